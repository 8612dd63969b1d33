"""import-not-judged: with no project root in sight, an import may be the application unseen."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.extract import LIBRARIES
from migrate_lint.revisions.facts import NOT_THE_PROJECT
from migrate_lint.revisions.migration import Migration

CODE = "ML907"
SCOPE = "revision"

KNOWN = NOT_THE_PROJECT | LIBRARIES | {"__future__", "sqlmodel", "psycopg2", "psycopg", "pymysql",
                                       "MySQLdb", "geoalchemy2", "sqlalchemy_utils", "sa", "op"}


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if ctx.project_marked:
        return
    folder = migration.revision.path.parent
    package_names = {folder.name, folder.parent.name}  # the migrations package imported by name
    for module, line, _ in migration.imports:
        top = module.split(".")[0]
        if top and top not in KNOWN and top not in ctx.local_modules and top not in package_names:
            yield Hit(line, module, {"module": module, "top": top})
