"""not-null-default-dropped: a NOT NULL column added with a server default that the same revision
then drops, so the previous release's INSERTs (which do not name the column) fail."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at
from migrate_lint.revisions.migration import Migration, Operation

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


def _sql_drop_default(sql: str, table: str, column: str) -> bool:
    pattern = (rf'ALTER\s+TABLE\s+(?:ONLY\s+)?(?:[\w"]+\.)?"?{re.escape(table)}"?\s.*?ALTER\s+(?:COLUMN\s+)?'
               rf'"?{re.escape(column)}"?\s+DROP\s+DEFAULT')
    return re.search(pattern, sql, re.IGNORECASE | re.DOTALL) is not None


def _breaks_old_code(migration: Migration, table: str) -> bool:
    """The revision also drops or renames a column of the table: the previous release's writes to
    it fail on that already (drop-column and rename-column report it), default or not."""
    for op in migration.operations:
        owner, _ = op.table_and_rest()
        if isinstance(owner, str) and owner.lower() == table.lower() and (
                op.name == "drop_column" or (op.name == "alter_column" and "new_column_name" in op.kwargs)):
            return True
    return False


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
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
            if statement.line > added.line and _sql_drop_default(statement.sql, table, spec.name):
                yield Hit(statement.line, f"{table}.{spec.name}", {
                    "table": table, "column": spec.name, "line": str(added.line)},
                    statement.column, statement.end_line)
                break
