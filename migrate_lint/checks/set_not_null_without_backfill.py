"""set-not-null-without-backfill: SET NOT NULL on a column that nothing filled first."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at
from migrate_lint.migration import Migration, Operation


def _filled_when_added(migration: Migration, table: str, column: str,
                       before: Operation | None = None) -> bool | None:
    """True/False if this migration adds the column (filled by a default or not); None if not."""
    for op, added_to, spec in migration.added_columns():
        if op is before:
            break
        if added_to.lower() == table and isinstance(spec.name, str) and spec.name.lower() == column:
            return spec.server_default is not None or spec.generated or spec.not_null
    return None


def _backfilled(migration: Migration, table: str, column: str, position: int | None = None) -> bool:
    return any(u.fills(table, column) for u in migration.updates
               if position is None or u.position <= position)


def _safe(migration: Migration, op: Operation, table: str, column: str,
          ctx: CheckContext) -> bool:
    index = migration.operations.index(op)
    if _backfilled(migration, table, column, index):
        return True
    added = _filled_when_added(migration, table, column, before=op)
    if added is not None:
        return added
    for ancestor in ctx.ancestors(migration):
        if _backfilled(ancestor, table, column):
            return True
        added = _filled_when_added(ancestor, table, column)
        if added is not None:
            return added
    return False


CODE = "ML302"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op in migration.operations:
        if op.name != "alter_column" or op.kwargs.get("nullable") is not False:
            continue
        table, rest = op.table_and_rest()
        column = op.kwargs.get("column_name", rest[0] if rest else None)
        if not isinstance(table, str) or not isinstance(column, str):
            continue  # not guessed: the names are computed
        if table.lower() in migration.created_before(op):
            continue
        if not _safe(migration, op, table.lower(), column.lower(), ctx):
            yield at(op, f"{table}.{column}", table=table, column=column)
