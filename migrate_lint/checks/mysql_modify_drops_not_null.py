"""mysql-modify-drops-not-null: on MySQL, Alembic writes a column's type change or rename as MODIFY
or CHANGE, which restates the whole column: NULL unless the call says it is NOT NULL."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.revisions.coltypes import known_not_null
from migrate_lint.revisions.migration import Migration

CODE = "ML314"
SCOPE = "revision"


def _restated(kwargs: dict) -> bool:
    """The call emits MODIFY / CHANGE and does not say whether the column is NULL."""
    return ("type_" in kwargs or "new_column_name" in kwargs) and "nullable" not in kwargs \
        and "existing_nullable" not in kwargs


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.mysql or "alter_column" not in migration.names:
        return
    ancestors = None
    for index, op in enumerate(migration.operations):
        if op.name != "alter_column" or not _restated(dict(op.kwargs)):
            continue
        table, rest = op.table_and_rest()
        column = op.kwargs.get("column_name", rest[0] if rest else None)
        if not (isinstance(table, str) and isinstance(column, str)):
            continue
        ancestors = ancestors if ancestors is not None else tuple(ctx.ancestors(migration))
        if known_not_null(migration, index, ancestors, table, column, mysql=True):
            yield at(op, f"{table.lower()}.{column.lower()}", table=shown(table), column=shown(column))
