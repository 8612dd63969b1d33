"""`drift`: build a scratch database from the history, compare it with the models, drop it."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.catalog import Catalog, load_catalog
from migrate_lint.config import CheckOutcome, Config, RuleSelection, load, select_rules
from migrate_lint.drift.compare import DriftItem, compare
from migrate_lint.errors import UserError, redact
from migrate_lint.finding import Finding, Location, Report
from migrate_lint.revisions.discover import find_histories

if TYPE_CHECKING:
    import sqlalchemy as sa

    from migrate_lint.database.models import Models
    from migrate_lint.database.upgrade import Progress, UpgradeFailure
    from migrate_lint.revisions.discover import History

VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class DriftOptions:
    app: str | None = None
    metadata: str | None = None
    database_url: str | None = None
    live_url: str | None = None
    roundtrip: bool = False
    runner: str = "auto"  # auto, env or builtin
    flask_app: Any = None  # an app already loaded (the `flask migrate-lint` command)


@dataclass
class _Run:
    catalog: Catalog
    selection: RuleSelection
    models: Models
    history: History
    findings: list[Finding]
    notes: list[str]
    origins: dict[str, tuple[Path, int, str]] | None = None  # table -> the revision that created it

    def add(self, rule: str, fields: dict[str, str], subject: str, path: Path, line: int = 1,
            revision: str | None = None) -> None:
        spec = self.catalog.get(rule)
        assert spec is not None, rule
        if spec.code not in self.selection.enabled:
            return
        message, help_text = spec.render({key: redact(value) for key, value in fields.items()})
        self.findings.append(Finding(spec.code, spec.name, self.selection.severities[spec.code], message,
                                     Location(path, line, 1, line), revision, subject, help_text))

    def add_item(self, item: DriftItem) -> None:
        """At the model class of the table; for a table no model declares, at the revision call
        that created it; else at the top of the models' file."""
        place = self.models.places.get(item.table or "")
        if place is not None or not item.table:
            path, line = place or (self.models.source, 1)
            self.add(item.rule, item.fields, item.subject, path, line)
            return
        if self.origins is None:
            from migrate_lint.drift.origins import table_origins

            self.origins = table_origins(self.history)
        path, line, revision = self.origins.get(item.table.lower(), (self.models.source, 1, None))
        self.add(item.rule, item.fields, item.subject, path, line, revision)

    def add_failure(self, failure: UpgradeFailure, rule: str = "drift-upgrade-failed") -> None:
        path = failure.path or self.history.script_location
        self.add(rule, {"revision": failure.revision or "?", "error": failure.error},
                 failure.revision or path.name, path, failure.line or 1, failure.revision)


def drift(paths: list[Path], config_path: Path | None, overrides: dict[str, Any], options: DriftOptions,
          progress: Progress | None = None, notes: list[str] | None = None) -> CheckOutcome:
    """One drift run; `notes` receives what the user should know (which runner ran, SQLite caveats)."""
    from migrate_lint.database import models as model_loading

    _refuse_ignored_flags(options)
    start = next((p for p in paths if p.exists()), Path("."))
    config = load(config_path, start).override(**overrides)
    catalog = load_catalog()
    selection = select_rules(config, catalog)
    flags = options.app or options.metadata  # the command line wins over the config as a whole
    if options.flask_app is not None and not options.metadata:
        found = model_loading.from_app(options.flask_app, config.root)
    else:
        found = model_loading.load(options.app if flags else config.app,
                                   options.metadata if flags else config.metadata, config.root)
    if not paths and found.script_location is not None:
        paths = [found.script_location]
    histories, errors = find_histories(paths or [Path(".")], config)
    if not histories and errors:
        raise UserError(errors[0].describe())
    if len(histories) != 1:
        where = ", ".join(h.script_location.as_posix() for h in histories) or "none found"
        raise UserError(f"drift compares one history with the models; name its folder ({where})")
    run = _Run(catalog, selection, found, histories[0], [], notes if notes is not None else [])
    keep = _table_filter(config)
    if options.live_url:
        _live(run, options.live_url, keep)
    else:
        _scratch(run, options, config, keep, progress)
    report = Report(tuple(sorted(run.findings, key=Finding.sort_key)), (), (), len(run.history.files),
                    tuple(errors))
    return CheckOutcome(report, config)


def _refuse_ignored_flags(options: DriftOptions) -> None:
    """URLs that cannot be used, and flags --live-url would ignore, are usage errors before any work
    (--live-url reads one database and migrates nothing)."""
    from migrate_lint.database.scratch import parse_url

    for flag, value in (("--database-url", options.database_url), ("--live-url", options.live_url)):
        if value:
            parse_url(value, flag)
    if options.live_url:
        ignored = [flag for flag, given in (("--database-url", options.database_url),
                                            ("--roundtrip", options.roundtrip),
                                            ("--runner", options.runner != "auto")) if given]
        if ignored:
            raise UserError(f"--live-url compares a live database read-only and migrates nothing: "
                            f"{', '.join(ignored)} cannot go with it")


def _table_filter(config: Config) -> Callable[[str], bool]:
    def keep(name: str) -> bool:
        if name == VERSION_TABLE:
            return False
        if config.drift_include and not any(fnmatch.fnmatchcase(name, p) for p in config.drift_include):
            return False
        return not any(fnmatch.fnmatchcase(name, p) for p in config.drift_exclude)
    return keep


def _scratch(run: _Run, options: DriftOptions, config: Config, keep: Callable[[str], bool],
             progress: Progress | None) -> None:
    from migrate_lint.database import upgrade
    from migrate_lint.database.scratch import scratch_url

    runner, why = upgrade.runner_for(run.history, run.models, options.runner)
    if options.roundtrip:
        runner, why = "builtin", "--roundtrip steps through revisions itself"
    used = "env.py" if runner == "env" else "migrate-lint's own runner (no env.py)"
    run.notes.append(f"upgraded with {used}: {why}")
    with scratch_url(options.database_url) as url:
        backend = url.get_backend_name()
        run.notes.append("scratch database: a temporary SQLite file" if backend == "sqlite"
                         else f"scratch database {url.database} on {backend}, dropped after use")
        if url.get_backend_name() == "sqlite" and config.dialect != "sqlite":
            run.add("drift-sqlite-stand-in", {"dialect": config.dialect}, "sqlite",
                    run.history.script_location)
        ini = _ini_of(run.history)
        if options.roundtrip:
            from migrate_lint.drift.roundtrip import roundtrip

            failures = list(roundtrip(run.history, run.models, url, keep, progress))
            for failure in failures:
                run.add_failure(failure, "drift-downgrade-failed" if failure.step == "downgrade"
                                else "drift-downgrade-incomplete" if failure.step == "restore"
                                else "drift-upgrade-failed")
            if failures:
                return  # the database stopped short of the heads: comparing it would only list that
        else:
            stopped = upgrade.upgrade(run.history, run.models, url, runner, progress, ini)
            if stopped is not None:
                run.add_failure(stopped)
                return
        _compare(run, url, keep)


def _ini_of(history: History) -> Path | None:
    folder = history.script_location
    for candidate in (folder / "alembic.ini", folder.parent / "alembic.ini"):
        if candidate.is_file():
            return candidate
    return None


def _compare(run: _Run, url: sa.URL, keep: Callable[[str], bool], read_only: bool = False,
             shown: sa.URL | None = None) -> None:
    import sqlalchemy as sa

    from migrate_lint.database.schema import from_metadata, reflect
    from migrate_lint.database.upgrade import connection_to

    try:
        with connection_to(url) as connection:
            if read_only:
                _read_only(connection)
            database = reflect(connection, keep)
            models = from_metadata(run.models.metadata, connection.dialect, keep)
            comments = bool(connection.dialect.supports_comments)
            connection.rollback()
    except sa.exc.SQLAlchemyError as exc:
        from migrate_lint.database.scratch import DatabaseError, describe, error_text

        raise DatabaseError(f"cannot read {describe(shown or url)}: {error_text(exc)}") from None
    for item in compare(models, database, comments):
        run.add_item(item)


def _read_only(connection: sa.Connection) -> None:
    """Every statement of this session is refused a write by the server itself."""
    name = connection.dialect.name
    if name == "postgresql":
        connection.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif name in ("mysql", "mariadb"):
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        connection.exec_driver_sql("START TRANSACTION READ ONLY")


def _live(run: _Run, live_url: str, keep: Callable[[str], bool]) -> None:
    from urllib.parse import quote

    from migrate_lint.database.scratch import parse_url

    url = parse_url(live_url, "--live-url")
    shown = url
    if url.get_backend_name() == "sqlite" and url.database:  # read-only by the SQLite library itself
        # quoted: in a URI a `#` or `?` in the path would start a fragment or query, and SQLite
        # would then open (and create) another file, without mode=ro
        path = quote(url.database, safe="/:")
        url = url.set(database=f"file:{path}?mode=ro", query={**url.query, "uri": "true"})
    run.notes.append("compared the live database read-only; nothing was migrated")
    _compare(run, url, keep, read_only=True, shown=shown)
