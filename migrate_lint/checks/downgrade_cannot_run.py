"""downgrade-cannot-run: a downgrade() that fails whenever it runs (an unnamed constraint or index
to drop)."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.revisions.migration import Migration

CODE = "ML411"
SCOPE = "revision"
NAMED = {"drop_constraint": "constraint_name", "drop_index": "index_name"}
KINDS = {"foreignkey": "foreign key", "unique": "unique constraint", "check": "check constraint",
         "primary": "primary key"}


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op in migration.downgrade:
        keyword = NAMED.get(op.name)
        if keyword is None:
            continue
        name = op.arg(0, keyword, "missing")
        if name is None:
            table = op.batch_table if op.batch_table is not None else op.arg(1, "table_name")
            kind = "index" if op.name == "drop_index" else \
                KINDS.get(str(op.kwargs.get("type_")), "constraint")
            yield at(op, f"{shown(table)}.{op.name}", call=op.name, table=shown(table), kind=kind)
