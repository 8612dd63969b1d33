"""drop-index-not-concurrently: DROP INDEX takes an ACCESS EXCLUSIVE lock on its PostgreSQL table."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML102"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    new_indexes: set[str] = set()
    created_later = {s.facts.index[1] for s, _ in sql_walk(migration, ctx)
                     if "INDEX" in s.sql[:40].upper() and s.facts.index and s.facts.index[0] == "create"}
    for statement, _ in sql_walk(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create":
            new_indexes.add(fact[1])
        elif fact and fact[0] == "drop" and not fact[3]:  # DROP INDEX a, b: one finding per index
            names = [n for kind, _, n in statement.facts.dropped if kind == "index"] or [fact[1]]
            for name in names:
                if name not in new_indexes:  # dropped to be re-created: build the new one first
                    yield sql_hit(statement, name, index=name,
                                  variant="recreated" if name in created_later else "default")
