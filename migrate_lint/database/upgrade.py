"""Running a history against a scratch database: with the project's env.py when it is one of the
standard templates and can be bound to that database, else with our own runner (no env.py)."""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

    from migrate_lint.database.models import Models
    from migrate_lint.revisions.discover import History

Progress = Callable[[int, int], None]  # (revisions applied, revisions in all)
Mark = Callable[[tuple[str, str]], None]  # (revision, step) as each step starts
FAILURES = (Exception, SystemExit)  # what a revision may raise and we report (sys.exit() included)
STEP = re.compile(r"Running (upgrade|downgrade) (.*?) -> ([^ ,]*)")

# An env.py may only run when every database it can reach is the one we hand it: it must be one of
# the templates, and must not read a URL from anywhere else (the environment, the app's config).
ELSEWHERE = re.compile(r"os\.environ|getenv|dotenv|create_engine\(|async_engine_from_config|"
                       r"create_async_engine|\.config\.get\(|\.config\[|DATABASE_URL|SQLALCHEMY_DATABASE_URI")
PLAIN_TEMPLATE = re.compile(r"engine_from_config\(\s*config\.get_section\(")
FLASK_TEMPLATE = re.compile(r"""current_app\.extensions\[['"]migrate['"]\]""")
FLASK_ENGINE = re.compile(r"connectable\s*=\s*get_engine\(\)")  # Flask-Migrate 3+: the app's engine
MULTIDB_ENV = re.compile(r"""\bbind_names\b|engines\s*=\s*\{""")  # Flask-Migrate's multidb env.py
URL_OVERRIDE = re.compile(r"""set_main_option\(\s*['"]sqlalchemy\.url['"]""")


@dataclass(frozen=True)
class UpgradeFailure:
    revision: str | None
    path: Path | None
    line: int | None
    error: str
    step: str = "upgrade"


def first_line(exc: BaseException) -> str:
    from migrate_lint.database.scratch import error_text

    return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {error_text(exc)}"


def runner_for(history: History, models: Models, requested: str) -> tuple[str, str]:
    """("env" or "builtin", why): env.py runs only if it is a template we can bind to the scratch
    database; a custom one could reach another database, so it never runs by surprise."""
    env = history.script_location / "env.py"
    if requested == "builtin":
        return "builtin", "as asked"
    text = env.read_text(encoding="utf-8", errors="replace") if env.is_file() else ""
    if not text:
        reason = "there is no env.py"
    elif FLASK_TEMPLATE.search(text) and MULTIDB_ENV.search(text):
        reason = ("env.py is Flask-Migrate's multi-database template; each bind is upgraded by our own "
                  "runner into its own version table")
    elif ELSEWHERE.search(text):
        reason = "env.py builds its own engine or reads the environment"
    elif FLASK_TEMPLATE.search(text):
        if not FLASK_ENGINE.search(text) or PLAIN_TEMPLATE.search(text):
            reason = "env.py is an older Flask-Migrate template that builds its own engine from a URL"
        elif models.flask_app is None:
            reason = "env.py is Flask-Migrate's and needs the app (--app or FLASK_APP)"
        elif _swappable(models) is None:
            reason = "the app's Flask-SQLAlchemy engines cannot be pointed at the scratch database"
        else:
            return "env", "Flask-Migrate's env.py, with the app's engine pointed at the scratch database"
    elif PLAIN_TEMPLATE.search(text) and not URL_OVERRIDE.search(text) and "current_app" not in text:
        return "env", "env.py, with sqlalchemy.url set to the scratch database"
    else:
        reason = "env.py is not one of Alembic's or Flask-Migrate's templates"
    if requested == "env":
        from migrate_lint.errors import UserError

        raise UserError(f"--runner env: cannot run {env}: {reason}")
    return "builtin", reason


def upgrade(history: History, models: Models, url: sa.URL, runner: str,
            progress: Progress | None = None, ini: Path | None = None,
            mark: Mark | None = None) -> UpgradeFailure | None:
    """Upgrade the scratch database at `url` to every head; the first failure, or None. Whatever
    runs (env.py, the revisions) can connect to `url` only (guard); `mark` hears each revision as
    it starts, so that a crash can be pinned on it."""
    from migrate_lint.database.guard import only

    paths = revision_files(history)
    from migrate_lint.errors import UserError

    try:
        with only(url), marking(mark):
            if runner == "env":
                with _counting_steps(progress, len(history.files)):
                    _upgrade_with_env(history, models, url, ini)
            else:
                with connection_to(url) as connection:
                    steps(history, models, connection, "heads", progress)
    except UserError:
        raise
    except FAILURES as exc:
        return failure_of(exc, paths)
    return None


@contextmanager
def marking(mark: Mark | None) -> Iterator[None]:
    """mark((revision, "upgrade" | "downgrade")) as Alembic starts each step: it logs "Running
    upgrade a -> b" at INFO before running b (the level is lowered here if need be, and only
    records that would have been shown before go on to the handlers)."""
    import logging

    if mark is None:
        yield
        return
    logger = logging.getLogger("alembic.runtime.migration")
    shown = logger.getEffectiveLevel()
    tell = mark

    class Marker(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            found = STEP.match(record.getMessage())
            if found:
                step, source, target = found.groups()
                tell((target if step == "upgrade" else source, step))
            lowered = logger.level == logging.INFO and shown > logging.INFO  # still our doing
            return record.levelno >= shown if lowered else True

    marker, level = Marker(), logger.level
    logger.addFilter(marker)
    if shown > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeFilter(marker)
        logger.setLevel(level)


@contextmanager
def _counting_steps(progress: Progress | None, total: int) -> Iterator[None]:
    """Progress for env.py runs, which we cannot pass a callback: Alembic logs each step it runs
    ("Running upgrade a -> b") at INFO on this logger, as the templates' logging config allows."""
    import logging

    if progress is None:
        yield
        return
    report, done = progress, [0]

    class Counter(logging.Filter):  # a filter, not a handler: env.py's fileConfig() clears handlers
        def filter(self, record: logging.LogRecord) -> bool:
            if record.getMessage().startswith("Running upgrade"):
                done[0] += 1
                report(done[0], max(total, done[0]))
            return True

    logger = logging.getLogger("alembic.runtime.migration")
    counter = Counter()
    logger.addFilter(counter)
    try:
        yield
    finally:
        logger.removeFilter(counter)


def revision_files(history: History) -> dict[str, Path]:
    """Each revision file under every spelling a traceback may give it (as named, absolute, real)."""
    import os

    return {name: p for p in history.files for name in (str(p), os.path.abspath(p), str(p.resolve()))}


def failure_of(exc: BaseException, paths: dict[str, Path], step: str = "upgrade") -> UpgradeFailure:
    """The revision whose code raised: the deepest frame in a revision file."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in paths]
    if not frames:  # not a revision's code: env.py, the configuration or the database itself
        from migrate_lint.errors import UserError

        raise UserError(f"the {step} failed outside any revision: {first_line(exc)}") from None
    frame = frames[-1]
    path = paths[frame.filename]
    return UpgradeFailure(revision_id(path), path, frame.lineno, first_line(exc), step)


def revision_id(path: Path) -> str | None:
    from migrate_lint.revisions.facts import analyse

    header = analyse(path, path.read_text(encoding="utf-8", errors="replace")).header
    return header.revision.id if header.revision else None


@contextmanager
def connection_to(url: sa.URL) -> Iterator[sa.Connection]:
    """One connection, its engine disposed afterwards (no pool left behind on the server)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def alembic_config(history: History, ini: Path | None) -> Any:
    from alembic.config import Config

    config = Config(str(ini), ini_section=history.section or "alembic") if ini and ini.is_file() else Config()
    config.set_main_option("script_location", str(history.script_location))
    config.set_main_option("version_locations", " ".join(str(d) for d in history.version_dirs))
    config.set_main_option("path_separator", "space")
    config.set_main_option("version_path_separator", "space")
    return config


def steps(history: History, models: Models, connection: sa.Connection, destination: str,
          progress: Progress | None = None, downgrade: bool = False) -> None:
    """Our own runner: Alembic's EnvironmentContext over our connection, with no env.py."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    config = alembic_config(history, None)
    script = ScriptDirectory.from_config(config)
    total = [0]
    done = [0]

    def plan(revision: Any, context: Any) -> Any:
        found = (script._downgrade_revs(destination, revision) if downgrade
                 else script._upgrade_revs(destination, revision))
        total[0] = len(found)
        return found

    def applied(*_: Any, **__: Any) -> None:
        done[0] += 1
        if progress:
            progress(done[0], total[0])

    for bind in engine_names(history):
        # Flask-Migrate's multi-database revisions: each bind's upgrade_<bind>() into the one scratch
        # database, each with its own version table, as if every bind were its own database
        arguments = {} if bind is None else {"engine_name": bind}
        with EnvironmentContext(config, script, fn=plan, destination_rev=destination) as environment:
            environment.configure(connection=connection, target_metadata=models.metadata,
                                  on_version_apply=applied, version_table=version_table(bind))
            with environment.begin_transaction():
                environment.run_migrations(**arguments)
        if connection.in_transaction():
            connection.commit()


MULTIDB_UPGRADE = re.compile(r"^def upgrade\(\s*engine_name\b", re.M)
BIND_UPGRADE = re.compile(r"^def upgrade_(\w*)\(", re.M)


def engine_names(history: History) -> list[str | None]:
    """[None] for an ordinary history; for Flask-Migrate's multi-database template (`upgrade(engine_name)`
    dispatching to `upgrade_<bind>()`), every bind its revisions define, the default ("") first."""
    binds: dict[str, None] = {}
    multidb = False
    for path in history.files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if MULTIDB_UPGRADE.search(text):
            multidb = True
            binds.update(dict.fromkeys(BIND_UPGRADE.findall(text)))
    return sorted(binds, key=lambda b: (b != "", b)) if multidb else [None]  # type: ignore[return-value]


def version_table(bind: str | None) -> str:
    return "alembic_version" if not bind else f"alembic_version_{bind}"


def _upgrade_with_env(history: History, models: Models, url: sa.URL, ini: Path | None) -> None:
    from alembic import command

    if models.flask_app is not None and FLASK_TEMPLATE.search(
            (history.script_location / "env.py").read_text(encoding="utf-8", errors="replace")):
        with _flask_bound_to(models, url):
            extension = models.flask_app.extensions["migrate"]  # Flask-Migrate's _MigrateConfig
            command.upgrade(extension.migrate.get_config(str(history.script_location)), "heads")
        return
    config = alembic_config(history, ini)
    config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    command.upgrade(config, "heads")


def _swappable(models: Models) -> dict[Any, Any] | None:
    """Flask-SQLAlchemy 3's engines for the app, if it has only the default one."""
    db = getattr(models.flask_app.extensions.get("migrate"), "db", None)
    engines = getattr(db, "_app_engines", None)
    try:
        found = engines[models.flask_app] if engines is not None else None
    except KeyError:
        return None
    return found if isinstance(found, dict) and set(found) == {None} else None


@contextmanager
def _flask_bound_to(models: Models, url: sa.URL) -> Iterator[None]:
    """The app's context, with its one engine replaced by the scratch database's, and checked."""
    import sqlalchemy as sa

    engines = _swappable(models)
    assert engines is not None
    saved = dict(engines)
    scratch = sa.create_engine(url, poolclass=sa.pool.NullPool)
    engines.clear()
    engines[None] = scratch
    try:
        with models.flask_app.app_context():
            db = models.flask_app.extensions["migrate"].db
            if db.engine.url != url:  # never run env.py unless it can only reach the scratch database
                raise RuntimeError("the app's engine could not be pointed at the scratch database")
            yield
    finally:
        engines.clear()
        engines.update(saved)
        scratch.dispose()
