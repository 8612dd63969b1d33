"""mysql-non-transactional-ddl: several DDL statements in one MySQL revision cannot roll back."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML110"
SCOPE = "revision"
DDL = ("ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE")


def is_ddl(sql: str) -> bool:
    """The statement is DDL, which MySQL commits on its own."""
    words = sql.split(None, 1)
    return bool(words) and words[0].upper() in DDL


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.mysql:
        return
    risky = [s for s, created in sql_walk(migration, ctx)
             if is_ddl(s.sql) and not s.sql.upper().startswith("CREATE TABLE")]
    if len(risky) >= 2:
        first = risky[0]
        yield sql_hit(first, migration.revision.id, count=str(len(risky)),
                      lines=", ".join(dict.fromkeys(str(s.line) for s in risky)))  # a loop: its line once
