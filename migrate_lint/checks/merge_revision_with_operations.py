"""merge-revision-with-operations: a merge revision that also changes the schema."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.migration import Migration

CODE = "ML408"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    revision = migration.revision
    if len(revision.down_revisions) < 2 or not migration.operations:
        return
    first = migration.operations[0]
    yield Hit(first.line, revision.id, {"revision": revision.id, "count": str(len(migration.operations)),
                                        "parents": ", ".join(revision.down_revisions)},
              first.column, first.end_line)
