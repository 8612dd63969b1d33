"""concurrently-under-lock-timeout: CREATE INDEX CONCURRENTLY waits for every older transaction, on
any table, and a short lock_timeout cancels it, leaving an INVALID index behind."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.checks.index_history import drops_if_exists
from migrate_lint.checks.lock_timeouts import in_force
from migrate_lint.revisions.migration import Migration, Statement

CODE = "ML120"
SCOPE = "revision"
SHORT_MS = 60_000  # shorter than the transactions a busy server runs (reports, exports, idle sessions)


def _dropped_first(migration: Migration, statement: Statement, index: str) -> bool:
    """The revision drops the index IF EXISTS before it builds it: an INVALID index a timed-out run
    left behind goes on the retry (dstack's documented retry-safe pattern), as this rule's help asks."""
    before = migration.statements[:migration.statements.index(statement)]
    return any(s.facts.index and s.facts.index[0] == "drop" and s.facts.index[1] == index
               and drops_if_exists(s.sql) for s in before if "INDEX" in s.sql[:40].upper())


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or "CONCURRENTLY" not in migration.upper_sql:
        return
    for statement, _, timeout in in_force(migration, ctx):
        if timeout is None or timeout.ms >= SHORT_MS or "CONCURRENTLY" not in statement.sql.upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create" and fact[3] and not _dropped_first(migration, statement, fact[1]):
            yield sql_hit(statement, f"{fact[2]}.{fact[1]}", index=fact[1], table=fact[2],
                          timeout=timeout.text.strip("'\""), where=timeout.where)
