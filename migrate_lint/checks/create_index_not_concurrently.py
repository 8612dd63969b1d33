"""create-index-not-concurrently: CREATE INDEX on an existing PostgreSQL table blocks its writes."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML101"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement, created in sql_walk(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create" and not fact[3] and fact[2] not in created:
            _, index, table, _, _ = fact
            yield sql_hit(statement, f"{table}.{index}", table=table, index=index)
