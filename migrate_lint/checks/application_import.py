"""application-import: a revision that imports the project's models, services, app or config."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.migration import Migration

CODE = "ML307"
SCOPE = "revision"

# What code changes with the application and breaks old revisions, or needs its configuration.
APPLICATION = frozenset({"models", "model", "services", "service", "app", "application", "factory",
                         "create_app", "make_app", "db", "session", "Session", "database", "config",
                         "settings", "setup", "tasks", "views", "api", "Base"})
# Column types, constants and migration helpers: stable, lesser (application-helper-import).
# Anything else of the project is lesser too; these words only outweigh an application word in the
# same path (`myapp.db.sqlalchemy`, `myapp.models.types`, `myapp.db.migration`).
HELPERS = frozenset({"types", "type", "sqlalchemy", "custom", "utils", "util", "utilities", "constants",
                     "const", "consts", "enum", "enums", "migration", "migrations", "migrate",
                     "alembic_migrations", "i18n", "_i18n", "helpers"})


def is_application(module: str, uses: tuple[str, ...]) -> bool:
    """Whether an import reaches the application itself rather than a type, constant or helper:
    judged by every dotted path the revision uses (`myapp.models.User`, `myapp.types.UUID`)."""
    for path in [f"{module}.{name}" for name in uses if "." not in name] + \
            [p for p in uses if "." in p] or [module]:
        parts = set(path.split("."))
        if parts & APPLICATION and not parts & HELPERS:
            return True
    return False


def local_imports(migration: Migration, ctx: CheckContext) -> Iterator[tuple[str, int, tuple[str, ...]]]:
    for module, line, uses in migration.imports:
        if module.split(".")[0] in ctx.local_modules:
            yield module, line, uses


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for module, line, uses in local_imports(migration, ctx):
        if is_application(module, uses):
            yield Hit(line, module, {"module": module})
