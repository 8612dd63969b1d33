"""edited-applied-migration: a revision that already exists on the base branch was changed."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.paths import real_path
from migrate_lint.revisions.facts import code_fingerprint
from migrate_lint.revisions.migration import Migration

CODE = "ML406"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.base_sources:
        return  # only with --base, and only for revisions the change edited
    before = ctx.base_sources.get(real_path(migration.path))
    if before is not None and code_fingerprint(before) != code_fingerprint(migration.source):
        rev = migration.revision
        yield Hit(rev.line, rev.id, {"revision": rev.id, "base": ctx.base[:12]})
