"""prefer-identity: serial columns on PostgreSQL, where identity columns are the standard."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML114"
SCOPE = "revision"
SERIAL = re.compile(r"\b(?P<column>\w+)\s+(?P<kind>SMALLSERIAL|BIGSERIAL|SERIAL)\b", re.IGNORECASE)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement in migration.statements:
        for match in SERIAL.finditer(statement.sql):
            yield sql_hit(statement, match["column"], column=match["column"], kind=match["kind"].upper())
