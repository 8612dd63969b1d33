"""missing-lock-timeout: DDL that waits for a lock with no limit queues every query behind it."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.checks.lock_timeouts import in_force
from migrate_lint.revisions.migration import Migration

CODE = "ML115"
# SET [LOCAL|SESSION] lock_timeout, or set_config('lock_timeout', ...); not a custom `foo.lock_timeout`.
SETS_LOCK_TIMEOUT = re.compile(r"^(?:SET\s+(?:LOCAL\s+|SESSION\s+)?LOCK_TIMEOUT\b|"
                               r"SELECT\s+(?:PG_CATALOG\.)?SET_CONFIG\s*\(\s*'LOCK_TIMEOUT')")
SCOPE = "revision"
LOCKING = ("ALTER TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX", "DROP INDEX", "DROP TABLE", "ALTER TYPE",
           "LOCK", "REINDEX", "CREATE TRIGGER", "DROP TRIGGER")
# The table a locking statement names (CREATE INDEX ... ON t; ALTER/DROP TABLE [IF EXISTS] [ONLY] t).
TABLE = re.compile(r'^(?:ALTER|DROP) TABLE (?:IF EXISTS )?(?:ONLY )?("[^"]+"|[\w.]+)|'
                   r'^CREATE (?:UNIQUE )?INDEX .*? ON (?:ONLY )?("[^"]+"|[\w.]+)', re.IGNORECASE)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement, created, timeout in in_force(migration, ctx):
        if timeout is not None:
            return  # set before the first lock: the revision fails fast rather than queuing
        sql = " ".join(statement.sql.split()).rstrip("; ")
        upper = sql.upper()
        if upper.startswith(LOCKING) and "CONCURRENTLY" not in upper and \
                not any(f" {t.upper()} " in f" {upper} " for t in created):
            match = TABLE.match(sql)
            table = {"table": (match.group(1) or match.group(2)).strip('"')} if match else {}
            yield sql_hit(statement, migration.revision.id, ddl=sql.split(" (")[0][:60], **table)
            return
