"""not-null-default-dropped: a column the revision adds ends it NOT NULL with no server default (the
default it was added with dropped, or added nullable, filled and set NOT NULL), so the previous
release's INSERTs (which do not name the column) fail."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, sql_hit
from migrate_lint.checks.set_not_null_without_backfill import filled, set_not_null
from migrate_lint.revisions.migration import Migration, Operation, Statement
from migrate_lint.sql.facts import columns_added

CODE = "ML309"
SCOPE = "revision"


def _drops_default(op: Operation, table: str, column: str) -> bool:
    """`alter_column(table, column, server_default=None)` (or its batch form)."""
    if op.name != "alter_column" or op.kwargs.get("server_default", ...) is not None:
        return False
    altered_table, rest = op.table_and_rest()
    altered = op.kwargs.get("column_name", rest[0] if rest else None)
    return isinstance(altered_table, str) and isinstance(altered, str) \
        and altered_table.lower() == table.lower() and altered.lower() == column.lower()


def _sql_default(sql: str, table: str, column: str, action: str) -> bool:
    """The SQL's ALTER TABLE table ALTER [COLUMN] column {action} DEFAULT (SET or DROP)."""
    pattern = (rf'ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?:[\w"]+\.)?"?{re.escape(table)}"?\s.*?'
               rf'ALTER\s+(?:COLUMN\s+)?"?{re.escape(column)}"?\s+{action}\s+DEFAULT')
    return re.search(pattern, sql, re.IGNORECASE | re.DOTALL) is not None


def _keeps_default(migration: Migration, table: str, column: str) -> bool:
    """A SET DEFAULT gives the column a server default that no later DROP DEFAULT of the revision
    takes away (EVENTSEC's raw `ALTER COLUMN tenant_id SET DEFAULT 'default'` before its SET NOT NULL)."""
    kept = False
    for statement in migration.statements:
        if "DEFAULT" in statement.sql.upper():
            if _sql_default(statement.sql, table, column, "SET"):
                kept = True
            elif _sql_default(statement.sql, table, column, "DROP"):
                kept = False
    return kept


def _breaks_old_code(migration: Migration, table: str) -> bool:
    """The revision also drops or renames a column of the table: the previous release's writes to
    it fail on that already (drop-column and rename-column report it), default or not."""
    for op in migration.operations:
        owner, _ = op.table_and_rest()
        if isinstance(owner, str) and owner.lower() == table.lower() and (
                op.name == "drop_column" or (op.name == "alter_column" and "new_column_name" in op.kwargs)):
            return True
    return False


def _gives_default(op: Operation) -> bool:
    """The alter_column that sets NOT NULL also gives the column a server default."""
    return op.name == "alter_column" and op.kwargs.get("server_default") is not None


def _nullable_adds(statement: Statement) -> list[tuple[str, str]]:
    """(table, column) of each column the statement adds nullable and with no default."""
    return [(table, column) for table, column, not_null, default
            in columns_added(statement.sql, statement.facts) if not not_null and default is None]


def _filled_and_set_not_null(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    """A column added nullable, with no server default, then filled and set NOT NULL in the same
    revision: the previous release's INSERTs leave it NULL and fail. Where nothing filled it,
    set-not-null-without-backfill reports the SET NOT NULL, which fails on the rows already there."""
    if "NOT NULL" not in migration.upper_sql:
        return
    added = {(table.lower(), column.lower()): statement.line for statement in migration.statements
             for table, column in _nullable_adds(statement)}
    if not added:
        return
    for _, op_index, statement, table, column in set_not_null(migration, ctx):
        line = added.get((table, column))
        call = migration.operations[op_index] if op_index < len(migration.operations) else None
        if line is None or line > statement.line or (call is not None and _gives_default(call)) \
                or _breaks_old_code(migration, table) or _keeps_default(migration, table, column) \
                or not filled(migration, op_index, table, column, ctx):
            continue
        yield sql_hit(statement, f"{table}.{column}", table=table, column=column, line=str(line),
                      variant="set_not_null")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    yield from _filled_and_set_not_null(migration, ctx)
    for added, table, spec in migration.added_columns():
        if added.name != "add_column" or not isinstance(spec.name, str) or not spec.not_null \
                or spec.server_default is None or spec.generated:
            continue
        if table.lower() in migration.created_before(added) or _breaks_old_code(migration, table):
            continue
        later = migration.operations[migration.operations.index(added) + 1:]
        drop = next((op for op in later if _drops_default(op, table, spec.name)), None)
        if drop is not None:
            yield at(drop, f"{table}.{spec.name}", table=table, column=spec.name, line=str(added.line))
            continue
        for statement in migration.statements:
            if statement.line > added.line and _sql_default(statement.sql, table, spec.name, "DROP"):
                yield sql_hit(statement, f"{table}.{spec.name}", table=table, column=spec.name,
                              line=str(added.line))
                break
