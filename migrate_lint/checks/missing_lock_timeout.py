"""missing-lock-timeout: DDL that waits for a lock with no limit queues every query behind it."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML115"
# SET [LOCAL|SESSION] lock_timeout, or set_config('lock_timeout', ...); not a custom `foo.lock_timeout`.
SETS_LOCK_TIMEOUT = re.compile(r"^(?:SET\s+(?:LOCAL\s+|SESSION\s+)?LOCK_TIMEOUT\b|"
                               r"SELECT\s+(?:PG_CATALOG\.)?SET_CONFIG\s*\(\s*'LOCK_TIMEOUT')")
SCOPE = "revision"
LOCKING = ("ALTER TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX", "DROP TABLE", "ALTER TYPE",
           "LOCK", "REINDEX", "CREATE TRIGGER", "DROP TRIGGER")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement, created in sql_walk(migration, ctx):
        upper = " ".join(statement.sql.upper().split())
        if SETS_LOCK_TIMEOUT.match(upper):
            return
        if upper.startswith(LOCKING) and "CONCURRENTLY" not in upper and \
                not any(f" {t.upper()} " in f" {upper} " for t in created):
            ddl = " ".join(statement.sql.split()).split(" (")[0][:60]  # as written, not upper-cased
            yield sql_hit(statement, migration.revision.id, ddl=ddl)
            return
