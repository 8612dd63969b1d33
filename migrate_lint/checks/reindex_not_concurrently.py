"""reindex-not-concurrently: REINDEX blocks writes to the table and reads through the index."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, blocking, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML117"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for statement, target, kind in blocking(migration, ctx, "reindex"):
        on_table = {"table": target} if kind.upper() == "TABLE" else {}  # REINDEX INDEX names no table
        yield sql_hit(statement, target, target=target, kind=kind.lower(), **on_table,
                      version=str(ctx.postgresql_version),
                      variant="default" if ctx.postgresql_version >= 12 else "before_12")
