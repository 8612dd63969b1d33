"""create-index-not-concurrently: CREATE INDEX on an existing PostgreSQL table blocks its writes."""

import re
from collections.abc import Iterator
from typing import Any

from migrate_lint.checks import CheckContext, Hit, shown, sql_hit, sql_walk
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref, Statement

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


def safe_call(statement: Statement, op: Operation | None, index: str, table: str) -> str:
    """The statement's concurrent form, keeping what makes it the same index (unique, where, schema)."""
    if op is None or op.name != "create_index":
        sql = re.sub(r"^(CREATE\s+(?:UNIQUE\s+)?INDEX)\s+", r"\1 CONCURRENTLY ", statement.sql, count=1,
                     flags=re.IGNORECASE)
        return f"op.execute({sql!r})"
    batch = op.batch_table is not None
    columns = op.arg(1 if batch else 2, "columns")
    kept = "".join(f", {k}={_literal(op.kwargs[k])}" for k in KEPT if k in op.kwargs and
                   not (k == "unique" and op.kwargs[k] is False))
    columns_text = repr(list(columns)) if isinstance(columns, tuple) else _literal(columns)
    return (f'op.create_index("{index}", "{table}", {columns_text}{kept}, '
            "postgresql_concurrently=True)")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    calls = {op.line: op for op in migration.operations if op.name == "create_index"}
    for statement, created in sql_walk(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create" and not fact[3] and fact[2] not in created:
            _, index, table, _, _ = fact
            yield sql_hit(statement, f"{table}.{index}", table=table, index=index,
                          call=safe_call(statement, calls.get(statement.line), index, table))
