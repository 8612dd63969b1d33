"""mysql-add-column-copies-table: before MySQL 8.0.12 / MariaDB 10.3.2, ADD COLUMN copies the table."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML112"
SCOPE = "revision"
INSTANT = {"mysql": (8, 0, 12), "mariadb": (10, 3, 2)}


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.mysql or ctx.mysql_version >= INSTANT[ctx.dialect]:
        return
    version = ".".join(str(p) for p in ctx.mysql_version)
    for statement, created in sql_walk(migration, ctx):
        upper = " ".join(statement.sql.upper().split())
        if upper.startswith("ALTER TABLE") and " ADD " in upper and "INDEX" not in upper \
                and "CONSTRAINT" not in upper:
            table = statement.sql.split()[2].strip("`\"").lower()
            if table not in created:
                yield sql_hit(statement, table, table=table, version=version)
