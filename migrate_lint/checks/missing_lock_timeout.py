"""missing-lock-timeout: DDL that waits for a lock with no limit queues every query behind it."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML115"
SCOPE = "revision"
LOCKING = ("ALTER TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX", "DROP TABLE", "ALTER TYPE",
           "LOCK", "REINDEX", "CREATE TRIGGER", "DROP TRIGGER")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement, created in sql_walk(migration, ctx):
        upper = " ".join(statement.sql.upper().split())
        if upper.startswith("SET") and "LOCK_TIMEOUT" in upper:
            return
        if upper.startswith(LOCKING) and "CONCURRENTLY" not in upper and \
                not any(f" {t.upper()} " in f" {upper} " for t in created):
            yield sql_hit(statement, migration.revision.id, ddl=upper.split(" (")[0][:60])
            return
