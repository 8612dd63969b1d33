"""rename-column: renaming a column breaks the code that still uses the old name during a deploy."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, renames
from migrate_lint.checks.rename_table import Renamed
from migrate_lint.revisions.migration import Migration

CODE = "ML203"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    found = list(renames(migration, ctx, "column"))
    # a column of a table the revision renames (rename-table reports it): the previous release
    # cannot query that table at all any more
    renamed = Renamed(migration, ctx) if found else None
    return (hit for statement, hit in found
            if not (renamed and renamed.covers(hit.fields["table"], statement)))
