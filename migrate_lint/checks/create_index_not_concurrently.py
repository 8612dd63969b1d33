"""create-index-not-concurrently: CREATE INDEX on an existing PostgreSQL table blocks its writes."""

import re
from collections.abc import Iterator
from typing import Any

from migrate_lint.checks import CheckContext, Hit, as_code, computed_index_name, shown, sql_hit, sql_walk
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref, Statement
from migrate_lint.sql.names import convention_name

CODE = "ML101"
SCOPE = "revision"
KEPT = ("unique", "schema", "postgresql_where", "postgresql_using", "postgresql_include", "postgresql_ops")


def _literal(value: Any) -> str:
    """A value as source code again: sa.text('...') stays a call, not a repr of our Call."""
    if isinstance(value, Call):
        args = [_literal(a) for a in value.args] + [f"{k}={_literal(v)}" for k, v in value.kwargs.items()]
        return f"{value.func}({', '.join(args)})"
    if isinstance(value, Ref):
        return value.name
    return repr(value) if isinstance(value, str | bool | int | tuple | list) else shown(value)


def safe_call(statement: Statement, op: Operation | None, index: str, table: str,
              call_name: str | None = None) -> str:
    """The statement's concurrent form, keeping what makes it the same index (unique, where, schema)."""
    if op is None or op.name != "create_index":
        sql = re.sub(r"^(CREATE\s+(?:UNIQUE\s+)?INDEX)\s+", r"\1 CONCURRENTLY ", statement.sql, count=1,
                     flags=re.IGNORECASE)
        return f"op.execute({sql!r})"
    batch = op.batch_table is not None
    columns = op.arg(1 if batch else 2, "columns")
    kept = "".join(f", {k}={_literal(op.kwargs[k])}" for k in KEPT if k in op.kwargs and
                   not (k == "unique" and op.kwargs[k] is False))
    listed = isinstance(columns, tuple)
    columns_text = f"[{', '.join(map(_literal, columns))}]" if listed else _literal(columns)
    name_argument = call_name or f'"{index}"'
    table_argument = f'"{table}"' if batch else as_code(op.arg(1, "table_name"), table)
    return (f'op.create_index({name_argument}, {table_argument}, {columns_text}{kept}, '
            "postgresql_concurrently=True)")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or "INDEX" not in migration.upper_sql:
        return
    calls = {op.line: op for op in migration.operations if op.name == "create_index"} \
        if "create_index" in migration.names else {}
    for statement, created in sql_walk(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create" and not fact[3] and fact[2] not in created:
            _, index, table, _, _ = fact
            call = calls.get(statement.line)
            by_convention = _named_by_convention(ctx, call, table)
            computed = computed_index_name(call, index)
            shown = by_convention or (computed[0] if computed else index)
            argument = "None" if by_convention else (computed[1] if computed else None)
            yield sql_hit(statement, f"{table}.{shown}", table=table, index=shown,
                          call=safe_call(statement, call, index, table, argument))



def _named_by_convention(ctx: CheckContext, call: Operation | None, table: str) -> str | None:
    """An index the code leaves unnamed is named by the project's convention ("ix"), where it has one:
    the name SQLAlchemy's own default would give is then not the index's."""
    if call is None or call.arg(0, "index_name") is not None or "ix" not in ctx.conventions:
        return None
    columns = call.arg(1 if call.batch_table is not None else 2, "columns")
    names = [c for c in columns if isinstance(c, str)] if isinstance(columns, tuple | list) else []
    return convention_name(ctx.conventions, "index", table, "", "", names or None) or None
