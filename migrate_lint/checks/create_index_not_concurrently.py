"""create-index-not-concurrently: CREATE INDEX on an existing PostgreSQL table blocks its writes."""

import ast
import re
from collections.abc import Iterator
from typing import Any

from migrate_lint.checks import (
    CheckContext,
    Hit,
    as_code,
    computed_index_name,
    drop_index_not_concurrently,
    outside_transaction,
    shown,
    sql_hit,
    sql_walk,
)
from migrate_lint.checks.held_locks import first_holder, kind_of, rewritten_earlier
from migrate_lint.checks.index_rebuilds import rebuilt_from
from migrate_lint.checks.materialized_views import is_materialized_view
from migrate_lint.checks.set_not_null_scans_table import filled_under_add_lock
from migrate_lint.checks.timescale import hypertable_note
from migrate_lint.checks.written import LOOP_VARIABLE, call_on, calls_by_line
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref, Statement, Unknown
from migrate_lint.sql.names import BY_CONVENTION, as_written, convention_name, sql_ident

CODE = "ML101"
SCOPE = "revision"
# An earlier ALTER TABLE or plain DROP INDEX of the transaction holds ACCESS EXCLUSIVE until commit:
# the build's SHARE lock then blocks reads too (measured on PG 15: an index on a column just added,
# all NULL, takes 1.6 s per 2 million rows, against 2.5 s for one on filled data).
HELD = ("; the {statement} at line {line} already holds ACCESS EXCLUSIVE on {table}, so every SELECT "
        "waits too, until the transaction commits")
KEPT = ("unique", "schema", "postgresql_where", "postgresql_using", "postgresql_include", "postgresql_ops",
        "if_not_exists")  # a rerun that meets the index must still pass over it


def _literal(value: Any) -> str:
    """A value as source code again: sa.text('...') stays a call, not a repr of our Call."""
    if isinstance(value, Call):
        args = [_literal(a) for a in value.args] + [f"{k}={_literal(v)}" for k, v in value.kwargs.items()]
        return f"{value.func}({', '.join(args)})"
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, Unknown) and value.source:
        return as_code(value, value.source)  # a loop variable as its expression (index.unique), never prose
    return repr(value) if isinstance(value, str | bool | int | tuple | list) else shown(value)


def safe_call(statement: Statement, op: Operation | None, index: str, table: str,
              call_name: str | None = None, source: str | None = None, renamed: str | None = None) -> str:
    """The statement's concurrent form, keeping what makes it the same index (unique, where, schema);
    in SQL, named `renamed` where given (the name the project's convention gives an index=True)."""
    if op is None or op.name != "create_index":
        sql = re.sub(r"^(CREATE\s+(?:UNIQUE\s+)?INDEX)\s+", r"\1 CONCURRENTLY ", statement.sql, count=1,
                     flags=re.IGNORECASE)
        if renamed and renamed != BY_CONVENTION:
            sql = re.sub(rf'(CONCURRENTLY\s+)"?{re.escape(index)}"?', lambda m: m[1] + sql_ident(renamed),
                         sql, count=1, flags=re.IGNORECASE)
        return f"op.execute({sql!r})"
    batch = op.batch_table is not None
    if not batch and source is not None and (written := _as_written(source, op)):
        return written
    columns = op.arg(1 if batch else 2, "columns")
    kept = "".join(f", {k}={_literal(op.kwargs[k])}" for k in KEPT if k in op.kwargs and
                   not (k == "unique" and op.kwargs[k] is False))
    listed = isinstance(columns, tuple)
    columns_text = f"[{', '.join(map(_literal, columns))}]" if listed else _literal(columns)
    given = op.arg(0, "index_name")  # as written: the SQL's name is lower-cased, PostgreSQL's is not
    name_argument = call_name or f'"{given if isinstance(given, str) and given.lower() == index else index}"'
    table_argument = f'"{table}"' if batch else as_code(op.arg(1, "table_name"), table)
    return (f'op.create_index({name_argument}, {table_argument}, {columns_text}{kept}, '
            "postgresql_concurrently=True)")


def _as_written(source: str, op: Operation) -> str | None:
    """The call as the revision writes it, made concurrent, where its name or table is an
    expression (a loop variable, a helper's parameter): the help then fits every pass of the loop,
    where the values of one pass would build the same index twice. None for literal names."""
    line = source.splitlines()[op.line - 1][op.column - 1:] if op.line <= source.count("\n") + 1 else ""
    if re.match(r"[\w.]+\(\s*(?:[\w.]+\.f\(\s*)?[\"']", line):
        return None  # the name is a literal (the usual call): no need to read the file's tree again
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno == op.line
                 and n.col_offset == op.column - 1), None)
    given = {k.arg: k.value for k in call.keywords} if call is not None else {}
    name_and_table = [*call.args[:2], *(given[k] for k in ("index_name", "table_name")[len(call.args):]
                                          if k in given)] if call is not None else []
    if call is None or all(isinstance(a, ast.Constant) for a in name_and_table):
        return None
    call.keywords = [k for k in call.keywords if k.arg != "postgresql_concurrently"]
    call.keywords.append(ast.keyword("postgresql_concurrently", ast.Constant(True)))
    return ast.unparse(call)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or "INDEX" not in migration.upper_sql:
        return
    calls = calls_by_line(migration.operations, ("create_index",)) \
        if "create_index" in migration.names else {}
    column_calls = {op.line for op in migration.operations if op.name == "add_column"} \
        if "add_column" in migration.names else set()
    redefined: set[str] | None = None
    for statement, created in sql_walk(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create" and not fact[3] and fact[2] not in created:
            _, index, table, _, _ = fact
            if is_materialized_view(migration, ctx, statement, table):
                continue  # only REFRESH writes a materialized view: the build holds back the next one
            call = call_on(calls, statement.line, table)
            by_convention = _named_by_convention(ctx, call, table)
            if call is None and statement.line in column_calls:
                by_convention = _column_index_by_convention(ctx, statement, table)
            computed = computed_index_name(call, index)
            literal = call.arg(0, "index_name") if call is not None else None
            written = as_written(statement.sql, index, literal if isinstance(literal, str) else None)
            shown = by_convention or (computed[0] if computed else written)
            argument = "None" if by_convention else (computed[1] if computed else None)
            # `Column(..., index=True)` in op.add_column: the copied help would build a second
            # index of the same name unless the column stops asking for one
            old = rebuilt_from(migration, ctx, call) if call is not None else None
            variant = "same" if old == index.lower() else "rebuilt" if old else \
                "column" if call is None and statement.line in column_calls else "default"
            if variant == "default" and "DROP INDEX" in migration.upper_sql:
                if redefined is None:
                    redefined = _redefined(migration, ctx)
                if index.lower() in redefined:
                    continue  # drop-index-not-concurrently reports the pair, with the safe order
            if rewritten_earlier(migration, statement, table, ctx.transactional_ddl, ctx.dialect):
                continue  # the table is rewritten earlier in the transaction, every index with it, under
                # ACCESS EXCLUSIVE to commit (alter-column-type's or volatile-default's finding): CONCURRENTLY
                # cannot run in here, and one more index is part of that outage
            if filled_under_add_lock(migration, ctx, statement, table):
                continue  # set-not-null-scans-table names this build in the outage of the column's fill
            holder = first_holder(migration, statement, table, ctx.transactional_ddl)
            if call is not None and re.match(LOOP_VARIABLE, table) and re.match(LOOP_VARIABLE, shown):
                # the index's name already says which loop: the table is then its expression alone
                table = as_code(call.arg(1, "table_name"), table)
            chosen = _built_concurrently(migration, table) if variant == "default" else None
            if chosen:
                variant = "chosen"
            setting = concurrency_setting(call) or _sql_setting(migration, statement)
            if setting and variant == "default":
                variant = "configured"
            yield sql_hit(statement, f"{table}.{shown}", table=table, index=shown, old=old or "",
                          chosen=chosen[0] if chosen else "", chosen_table=chosen[1] if chosen else "",
                          qold=sql_ident(old or ""), qindex=sql_ident(index),
                          call=safe_call(statement, call, index, table, argument, migration.source,
                                         by_convention),
                          variant=variant, held=_held(holder, table), setting=setting,
                          outside=outside_transaction(statement, migration),
                          hypertable=hypertable_note(migration, ctx, table, creating=True))



def concurrency_setting(call: Operation | None) -> str:
    """The expression a call gives as postgresql_concurrently, where it is no literal: whether the
    build is concurrent is decided when the revision runs (Phoenix's PHOENIX_MIGRATE_INDEX_CONCURRENTLY,
    read from the environment), so it is the author's documented choice, not an oversight."""
    value = call.kwargs.get("postgresql_concurrently") if call is not None else None
    if value is None or isinstance(value, bool):
        return ""
    return value.source if isinstance(value, Unknown) and value.source else \
        value.name if isinstance(value, Ref) else "a setting"


# `f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}..."`: the condition is the setting
_CONDITIONAL = re.compile(r"\{[^{}]*CONCURRENTLY[^{}]*?\bif\s+(?P<setting>[^{}]+?)\s+else\b", re.I)


def _sql_setting(migration: Migration, statement: Statement) -> str:
    """The condition under which SQL the code builds says CONCURRENTLY, where the rendered statement
    does not: the code of its op.execute() writes the word inside an f-string's conditional
    (Phoenix's composite index)."""
    if "CONCURRENTLY" in statement.sql.upper():
        return ""
    call = next((op for op in migration.operations
                 if op.line == statement.line and op.name == "execute"), None)
    if call is None:
        return ""
    code = "\n".join(migration.source.splitlines()[call.line - 1:(call.end_line or call.line)])
    found = _CONDITIONAL.search(code)
    return found["setting"].strip() if found else ""


def _held(holder: Statement | None, table: str) -> str:
    """What the message adds where an earlier statement holds ACCESS EXCLUSIVE on the table."""
    if holder is None:
        return ""
    return HELD.format(statement=kind_of(holder), line=holder.line, table=table)


def _built_concurrently(migration: Migration, table: str) -> tuple[str, str] | None:
    """(index, table) of an index the revision builds concurrently on another table: the author
    knows the concurrent form, and chose the transaction for this table."""
    for statement in migration.statements:
        fact = statement.facts.index if "INDEX" in statement.sql[:40].upper() else None
        if fact and fact[0] == "create" and fact[3] and fact[2] != table:
            return fact[1], fact[2]
    return None


def _redefined(migration: Migration, ctx: CheckContext) -> set[str]:
    """Indexes this revision drops and builds again under the same name, a drop that
    drop-index-not-concurrently reports with the safe order for the pair (the new index built
    concurrently under another name first): this build is that finding's second half, and building
    it alone concurrently would commit the drop and leave the table without the index meanwhile."""
    if not ctx.reports(drop_index_not_concurrently.CODE, migration.path):
        return set()
    return {hit.subject.lower() for hit in drop_index_not_concurrently.check(migration, ctx)
            if hit.fields.get("variant") == "recreated"}


# CREATE INDEX ... ON [schema.]table [USING method] (first column: its schema and name)
_INDEX_COLUMNS = re.compile(r'(?is)\bON\s+(?:ONLY\s+)?(?:"?(\w+)"?\.)?"?\w+"?\s*(?:USING\s+\w+\s*)?'
                            r'\(\s*"?(\w+)"?')


def _column_index_by_convention(ctx: CheckContext, statement: Statement, table: str) -> str | None:
    """The name of the index a `Column(..., index=True)` in op.add_column asks for, under the project's
    convention ("ix"): Alembic builds that column's table from target_metadata's convention, so the
    index is not SQLAlchemy's default ix_<table>_<column> (h: ix__token_user_id)."""
    if "ix" not in ctx.conventions or (match := _INDEX_COLUMNS.search(statement.sql)) is None:
        return None
    qualified = f"{match[1]}.{table}" if match[1] else table
    return convention_name(ctx.conventions, "index", qualified, "", "", [match[2]],
                           max_length=64 if ctx.mysql else 63) or None


def _named_by_convention(ctx: CheckContext, call: Operation | None, table: str) -> str | None:
    """An index the code leaves unnamed is named by the project's convention ("ix"), where it has one:
    the name SQLAlchemy's own default would give is then not the index's."""
    if call is None or call.arg(0, "index_name") is not None or "ix" not in ctx.conventions:
        return None
    columns = call.arg(1 if call.batch_table is not None else 2, "columns")
    names = [c for c in columns if isinstance(c, str)] if isinstance(columns, tuple | list) else []
    return convention_name(ctx.conventions, "index", table, "", "", names or None,
                           max_length=64 if ctx.mysql else 63,
                           unique=call.kwargs.get("unique") is True) or None
