"""prefer-jsonb: json columns on PostgreSQL, where jsonb is indexable and comparable."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML113"
SCOPE = "revision"
JSON = re.compile(r"\bJSON\b(?!B)", re.IGNORECASE)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement in migration.statements:
        upper = statement.sql.lstrip().upper()
        if upper.startswith(("CREATE TABLE", "ALTER TABLE")) and JSON.search(statement.sql):
            yield sql_hit(statement, statement.sql.split()[2].strip('"').lower())
