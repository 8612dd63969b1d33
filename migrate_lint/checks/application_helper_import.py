"""application-helper-import: a revision that imports a column type, constant or helper from the
project (a lesser form of application-import)."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.checks.application_import import local_imports, reaches_application
from migrate_lint.revisions.migration import Migration

CODE = "ML308"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for module, line, uses in local_imports(migration, ctx):
        if not reaches_application(module, uses, ctx):
            yield Hit(line, module, {"module": module})
