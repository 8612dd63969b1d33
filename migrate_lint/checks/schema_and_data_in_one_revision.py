"""schema-and-data-in-one-revision: a data migration mixed into a schema migration."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML306"
SCOPE = "revision"
DDL = ("ALTER", "CREATE", "DROP", "RENAME")
DML = ("UPDATE", "INSERT", "DELETE")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    keywords = [(s, s.sql.lstrip()[:8].upper()) for s in migration.statements]
    if any(k.startswith(DDL) for _, k in keywords):
        first_dml = next((s for s, k in keywords if k.startswith(DML)), None)
        if first_dml is not None:
            yield sql_hit(first_dml, migration.revision.id)
