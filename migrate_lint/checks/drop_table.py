"""drop-table: dropping a table that running code may still use."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, raw_drops, shown, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML202"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op in migration.operations:
        if op.name != "drop_table":
            continue
        table = op.arg(0, "table_name")
        if isinstance(table, str) and table.lower() in migration.created_before(op):
            continue
        yield at(op, shown(table), table=shown(table))
    for statement, _, table in raw_drops(migration, "table", "drop_table"):  # DROP TABLE in op.execute()
        yield sql_hit(statement, table, table=table)
