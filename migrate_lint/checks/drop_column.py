"""drop-column: dropping a column that running code may still read."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, raw_drops, shown, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML201"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op in migration.operations:
        if op.name != "drop_column":
            continue
        table, rest = op.table_and_rest()
        column = op.kwargs.get("column_name", rest[0] if rest else None)
        if isinstance(table, str) and table.lower() in migration.created_before(op):
            continue
        if isinstance(table, str) and isinstance(column, str) and \
                (table.lower(), column.lower()) in migration.columns_added_before(op):
            continue  # added earlier in this revision: no running code reads it yet
        yield at(op, f"{shown(table)}.{shown(column)}", table=shown(table), column=shown(column))
    for statement, table, column in raw_drops(migration, "column", "drop_column"):  # DROP COLUMN in SQL
        yield sql_hit(statement, f"{table}.{column}", table=table, column=column)
