"""concurrently-under-lock-timeout: CREATE INDEX CONCURRENTLY waits for every older transaction, on
any table, and a short lock_timeout cancels it, leaving an INVALID index behind."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.checks.lock_timeouts import in_force
from migrate_lint.revisions.migration import Migration

CODE = "ML120"
SCOPE = "revision"
SHORT_MS = 60_000  # shorter than the transactions a busy server runs (reports, exports, idle sessions)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or "CONCURRENTLY" not in migration.upper_sql:
        return
    for statement, _, timeout in in_force(migration, ctx):
        if timeout is None or timeout.ms >= SHORT_MS or "CONCURRENTLY" not in statement.sql.upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create" and fact[3]:
            yield sql_hit(statement, f"{fact[2]}.{fact[1]}", index=fact[1], table=fact[2],
                          timeout=timeout.text.strip("'\""), where=timeout.where)
