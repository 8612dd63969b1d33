"""application-import: a revision that imports the project's models, services, app or config."""

import re
from collections.abc import Iterator
from dataclasses import replace

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.facts import TYPE_ONLY
from migrate_lint.revisions.migration import Migration

CODE = "ML307"
SCOPE = "revision"

# What code changes with the application and breaks old revisions, or needs its configuration.
APPLICATION = frozenset({"models", "model", "services", "service", "app", "application", "factory",
                         "create_app", "make_app", "db", "session", "Session", "database", "config",
                         "settings", "setup", "tasks", "views", "api", "Base"})
SETTINGS = frozenset({"config", "settings"})
# the lesser wordings that give way to the default one where the revision imports more of the application
LESSER_OF_DEFAULT = frozenset({"settings", "session"})
UNUSED = frozenset({"unused", "unused_in_app", "template"})  # the revision uses nothing of the import
# Column types, constants and migration helpers: stable, lesser (application-helper-import).
# Anything else of the project is lesser too; these words only outweigh an application word in the
# same path (`myapp.db.sqlalchemy`, `myapp.models.types`, `myapp.db.migration`).
HELPERS = frozenset({"types", "type", "sqlalchemy", "custom", "utils", "util", "utilities", "constants",
                     "const", "consts", "enum", "enums", "migration", "migrations", "migrate",
                     "alembic_migrations", "i18n", "_i18n", "helpers", "helper"})


# What Flask-SQLAlchemy's `db` passes on from SQLAlchemy itself (`db.Integer`, `db.Column`): a use
# of the application's `db` for these reaches nothing of the application.
SQLALCHEMY_NAMES = frozenset({
    "Integer", "BigInteger", "SmallInteger", "String", "Text", "Unicode", "UnicodeText", "Boolean", "Date",
    "DateTime", "Time", "Interval", "Float", "Double", "Numeric", "DECIMAL", "Enum", "JSON", "LargeBinary",
    "PickleType", "ARRAY", "UUID", "Uuid", "TIMESTAMP", "VARCHAR", "CHAR", "TEXT", "INTEGER", "BIGINT",
    "BOOLEAN", "REAL", "Column", "ForeignKey", "Index", "UniqueConstraint", "CheckConstraint",
    "PrimaryKeyConstraint", "ForeignKeyConstraint", "Sequence", "Identity", "Computed", "func", "text",
    "literal_column", "and_", "or_", "not_", "select", "table", "column", "null", "true", "false"})


def _words(path: str) -> set[str]:
    """The path's parts and the words of each (`_model_utils` -> model, utils), lower case."""
    parts = path.split(".")
    return set(parts) | {word for part in parts for word in part.lower().split("_") if word}


def is_application(module: str, uses: tuple[str, ...]) -> bool:
    """Whether an import reaches the application itself rather than a type, constant or helper:
    judged by every dotted path the revision uses (`myapp.models.User`, `myapp.types.UUID`)."""
    if uses and all(use.startswith(TYPE_ONLY) for use in uses):
        return False  # a column type of the project's, wherever it is defined (`models.JsonBlob()`)
    uses = tuple(use for use in uses if not use.startswith(TYPE_ONLY))
    for path in [f"{module}.{name}" for name in uses if "." not in name] + \
            [p for p in uses if "." in p] or [module]:
        if "." in path and path.rsplit(".", 1)[1] in SQLALCHEMY_NAMES and path.count(".") == 1:
            continue  # db.Integer: SQLAlchemy's own type, through the application's db object
        # `from pkg.alembic_migrations import add_tasks_tables` used as `add_tasks_tables.upgrade`:
        # the module it came from says what it is, not the word "tasks" alone
        words = _words(path if path.startswith(module) else f"{module}.{path}")
        if words & APPLICATION and not words & HELPERS:
            return True
    return False


def _settings(module: str, uses: tuple[str, ...]) -> bool:
    """The import is of a settings module (`myapp.config`, `from myapp.common import config`) and
    of nothing else of the application."""
    # the package's own name aside: SurfSense's application package is called `app`
    inner = _words(module.split(".", 1)[1]) if "." in module else _words(module)
    for use in uses:
        words = _words(use.split(".")[0])
        # an accessor of the settings (mealie's get_app_settings) is the settings, whatever else it says
        inner |= (words & SETTINGS) or words
    return bool(inner & SETTINGS) and not inner & (APPLICATION - SETTINGS)


def reaches_application(module: str, uses: tuple[str, ...], ctx: CheckContext) -> bool:
    """is_application(), but for a settings module that stands alone (revisions.settings_modules):
    a reader of files and the environment is a helper, whatever its name."""
    if not is_application(module, uses):
        return False
    if not (_settings(module, uses) and ctx.project_roots):
        return True
    from migrate_lint.revisions.settings_modules import module_file, stands_alone

    named = [f"{module}.{use}" for use in uses if "." not in use]
    target = next((m for m in named if module_file(ctx.project_roots, m)), module)
    return not stands_alone(ctx.project_roots, target)


def local_imports(migration: Migration, ctx: CheckContext) -> Iterator[tuple[str, int, tuple[str, ...]]]:
    for module, line, uses in migration.imports:
        if module.split(".")[0] in ctx.local_modules and not _history_module(module, migration):
            yield module, line, uses


def _history_module(module: str, migration: Migration) -> bool:
    """The import is of the revision's own versions folder (cloudkitty imports the revision before
    it for its frozen table definitions): history, which does not change with the application."""
    parts = module.split(".")
    folder = migration.path.parent
    return folder.name in parts and \
        folder.as_posix().endswith("/".join(parts[:parts.index(folder.name) + 1]))


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    hits = list(_hits(migration, ctx))
    # the revision's imports are one finding, whose help is the first's: where it also imports the
    # models or the app (pgadmin4's config beside pgadmin.model), that help is the one to give
    if any(hit.fields["variant"] == "default" for hit in hits):
        hits = [replace(h, fields={**h.fields, "variant": "default"})
                if h.fields["variant"] in LESSER_OF_DEFAULT else h for h in hits]
    # deleting one import is no help where another is used: the help for what is used comes first
    if any(hit.fields["variant"] not in UNUSED for hit in hits):
        hits = [replace(h, fields={**h.fields, "variant": "default"})
                if h.fields["variant"] in ("unused", "unused_in_app") else h for h in hits]
    yield from hits


def _hits(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for module, line, uses in local_imports(migration, ctx):
        if reaches_application(module, uses, ctx):
            # the revision template's import, of which this revision uses nothing (mindsdb's 55 files)
            template = not uses and module in ctx.template_imports
            # a settings module env.py loads for every revision (dispatch.config): no new dependency;
            # its models or app (quay's data.database, app) still change what the revision does
            settings = _settings(module, uses)
            variant = "template" if template else "env" if settings and module in ctx.env_imports \
                else _unused_variant(ctx) if _unused(migration.source, line, uses) \
                else "session" if _session_only(uses) and _env_in_application(ctx) \
                else "settings" if settings else "default"
            yield Hit(line, module, {"module": module, "variant": variant})


# the application's `db` used for nothing but SQLAlchemy's Session class, which Flask-SQLAlchemy
# passes on (superset's `db.Session(bind=bind)` on Alembic's connection, in 50 revisions); not
# `db.session`, the application's own session on a connection of its own
_SESSION_CLASS = re.compile(r"^\w+\.Session$")


def _session_only(uses: tuple[str, ...]) -> bool:
    return bool(uses) and all(_SESSION_CLASS.match(use) for use in uses)


def _env_in_application(ctx: CheckContext) -> bool:
    """env.py runs inside the application (Flask-Migrate's current_app, or the project's own
    modules): every revision already loads the application, so importing its `db` for a session
    adds no dependency."""
    return any(module.split(".")[0] == "flask" or module.split(".")[0] in ctx.local_modules
               for module in ctx.env_imports)


def _unused_variant(ctx: CheckContext) -> str:
    """An unused import where env.py runs every revision inside the application loads nothing the
    run has not loaded already (local-authority-api's `config`, under Flask-Migrate's current_app):
    it is only an import to keep working."""
    return "unused_in_app" if _env_in_application(ctx) else "unused"


def _unused(source: str, line: int, uses: tuple[str, ...]) -> bool:
    """Nothing of the import is read in the revision outside its own line (kitchenowl's `from app
    import db`, left over from the template): the help is to delete it. Not one marked `# noqa`,
    which its author keeps for what importing it does."""
    lines = source.splitlines()
    if 0 < line <= len(lines) and "noqa" in lines[line - 1]:
        return False  # imported for what loading it does (vmware-nsx registers its config options)
    if not uses:
        return True
    if not source or any("." in use for use in uses):
        return False
    rest = "\n".join(text for number, text in enumerate(source.splitlines(), 1) if number != line)
    return not any(re.search(rf"\b{re.escape(use.removeprefix(TYPE_ONLY))}\b", rest) for use in uses)
