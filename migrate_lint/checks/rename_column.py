"""rename-column: renaming a column breaks the code that still uses the old name during a deploy."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, renamed
from migrate_lint.revisions.migration import Migration

CODE = "ML203"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    return renamed(migration, ctx, "column")
