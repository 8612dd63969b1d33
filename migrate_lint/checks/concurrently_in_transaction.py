"""concurrently-in-transaction: CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML103"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or "CONCURRENTLY" not in migration.upper_sql:
        return
    for statement, _ in sql_walk(migration, ctx):
        if "CONCURRENTLY" not in statement.sql.upper() or statement.autocommit:
            continue
        fact = statement.facts.index
        if fact and fact[3]:
            verb = "CREATE INDEX" if fact[0] == "create" else "DROP INDEX"
            yield sql_hit(statement, fact[1], index=fact[1], verb=verb)
