"""application-import: a revision that imports the project's own application code."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.migration import Migration

CODE = "ML307"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for module, line in migration.imports:
        if module.split(".")[0] in ctx.local_modules:
            yield Hit(line, module, {"module": module})
