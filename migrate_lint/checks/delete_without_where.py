"""delete-without-where: an DELETE with no WHERE touches, and locks, every row of the table."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, unfiltered
from migrate_lint.revisions.migration import Migration

CODE = "ML305"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    return unfiltered(migration, ctx, "DELETE")
