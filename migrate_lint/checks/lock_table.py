"""lock-table: an explicit LOCK TABLE holds its lock until the migration's transaction commits."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, blocking, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML116"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for statement, table, mode in blocking(migration, ctx, "lock"):
        if mode in ("ACCESS SHARE", "ROW SHARE"):  # block only ALTER/DROP and the like
            continue
        yield sql_hit(statement, table, table=table, mode=mode)
