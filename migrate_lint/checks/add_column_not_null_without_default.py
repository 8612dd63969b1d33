"""add-column-not-null-without-default: a NOT NULL column that existing rows cannot fill."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.migration import Migration

CODE = "ML301"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op, table, column in migration.added_columns():
        if op.name != "add_column" or table.lower() in migration.created_before(op):
            continue
        if not column.not_null or column.server_default is not None or column.generated:
            continue
        variant = "default"
        if ctx.dialect == "sqlite":
            variant = "sqlite"
        elif column.has_python_default:
            variant = "python_default"
        name = shown(column.name)
        yield at(op, f"{table}.{name}", table=table, column=name, variant=variant)
