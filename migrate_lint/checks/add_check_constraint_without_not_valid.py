"""add-check-constraint-without-not-valid: a new CHECK validates every row under a lock."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, constraints_without_not_valid
from migrate_lint.checks.set_not_null_scans_table import filled_under_add_lock
from migrate_lint.revisions.migration import Migration

CODE = "ML105"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    return constraints_without_not_valid(migration, ctx, "check", filled_under_add_lock)
