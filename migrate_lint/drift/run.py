"""`drift`: build a scratch database from the history, compare it with the models, drop it."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.catalog import Catalog, load_catalog
from migrate_lint.config import CheckOutcome, Config, RuleSelection, load, select_rules
from migrate_lint.drift.compare import DriftItem, compare
from migrate_lint.errors import UserError, redact
from migrate_lint.finding import Finding, HistoryDialect, Location, Report
from migrate_lint.revisions.discover import one_history

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
    allow_url_rights: bool = False  # run revisions with the URL's login if it cannot create a throwaway one


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
    from migrate_lint.database.guard import only

    _refuse_ignored_flags(options)
    start = next((p for p in paths if p.exists()), Path("."))
    config = load(config_path, start).override(**overrides)
    if overrides.get("dialect"):
        config = replace(config, dialect_source="--dialect")
    catalog = load_catalog()
    selection = select_rules(config, catalog)
    flags = options.app or options.metadata  # the command line wins over the config as a whole
    if options.flask_app is not None and not options.metadata:
        found = model_loading.from_app(options.flask_app, config.root)
    else:  # the app's import may not connect anywhere (a create_all() at import, say)
        with only(None, strict=False):
            found = model_loading.load(options.app if flags else config.app,
                                       options.metadata if flags else config.metadata, config.root)
    if not paths and found.script_location is not None:
        paths = [found.script_location]
    history, errors = one_history(paths, config, "drift compares one history with the models")
    config = replace(config, dialect=history.dialect or config.dialect,
                     dialect_source=history.dialect_source or config.dialect_source)
    run = _Run(catalog, selection, found, history, [], notes if notes is not None else [])
    keep = _table_filter(config)
    if options.live_url:
        _live(run, options.live_url, keep)
    else:
        _scratch(run, options, config, keep, progress)
    shown = HistoryDialect(history.version_dirs[0] if len(history.version_dirs) == 1
                           else history.script_location, config.dialect, config.dialect_source or "default")
    report = Report(tuple(sorted(run.findings, key=Finding.sort_key)), (), (), len(run.history.files),
                    tuple(errors), (shown,))
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
        if name == VERSION_TABLE or name.startswith(f"{VERSION_TABLE}_"):  # one per bind (multidb)
            return False
        if config.drift_include and not any(fnmatch.fnmatchcase(name, p) for p in config.drift_include):
            return False
        return not any(fnmatch.fnmatchcase(name, p) for p in config.drift_exclude)
    return keep


def _scratch(run: _Run, options: DriftOptions, config: Config, keep: Callable[[str], bool],
             progress: Progress | None) -> None:
    from migrate_lint.database import upgrade
    from migrate_lint.database.scratch import scratch
    from migrate_lint.database.upgrade import UpgradeFailure

    runner, why = upgrade.runner_for(run.history, run.models, options.runner)
    if options.roundtrip:
        runner, why = "builtin", "--roundtrip steps through revisions itself"
    used = "env.py" if runner == "env" else "migrate-lint's own runner (no env.py)"
    run.notes.append(f"upgraded with {used}: {why}")
    with scratch(options.database_url, options.allow_url_rights) as made:
        url = made.url
        backend = url.get_backend_name()
        run.notes.append("scratch database: a temporary SQLite file" if backend == "sqlite"
                         else f"scratch database {url.database} on {backend}, dropped after use")
        if not made.confined:
            run.notes.append(f"warning: revisions ran with the rights of {made.login} (--allow-url-rights): "
                             "they could reach every database that login can")
        if url.get_backend_name() == "sqlite" and config.dialect != "sqlite":
            if config.dialect_source.startswith("default") or not config.dialect_source:
                run.notes.append(f"production's dialect is not known ({config.dialect_source or 'default'}); "
                                 "compared on SQLite")  # never claim production is the default
            else:
                run.add("drift-sqlite-stand-in", {"dialect": config.dialect}, "sqlite",
                        run.history.script_location)
        failures = _run_revisions(run, options, url, runner, keep, progress)
        reached = made.outside()
        if reached:  # a way out the login allowed (a schema open to PUBLIC): said, then dropped
            failures.insert(0, UpgradeFailure(None, None, None, "created objects outside the scratch "
                                              f"database ({'; '.join(reached)}); drift dropped them"))
        for failure in failures:
            run.add_failure(failure, "drift-downgrade-failed" if failure.step == "downgrade"
                            else "drift-downgrade-incomplete" if failure.step == "restore"
                            else "drift-upgrade-failed")
        if failures:
            return  # the database stopped short of the heads: comparing it would only list that
        from migrate_lint.database.guard import only

        with only(url):  # the models' own types (TypeDecorators) run while they are compiled
            _compare(run, url, keep)


def _run_revisions(run: _Run, options: DriftOptions, url: sa.URL, runner: str, keep: Callable[[str], bool],
                   progress: Progress | None) -> list[UpgradeFailure]:
    """The upgrade (or roundtrip) in a child process: the revisions' code never runs here, where
    the scratch database is dropped, so a crash, os._exit() or a signal there cannot leave it behind."""
    from migrate_lint.database import isolate, upgrade

    ini = _ini_of(run.history)

    def work(mark: isolate.Mark) -> list[UpgradeFailure]:
        if options.roundtrip:
            from migrate_lint.drift.roundtrip import roundtrip

            return list(roundtrip(run.history, run.models, url, keep, progress, mark))
        stopped = upgrade.upgrade(run.history, run.models, url, runner, progress, ini, mark)
        return [stopped] if stopped is not None else []

    try:
        return isolate.run(work)
    except isolate.Crashed as crash:
        return [_crash_failure(run.history, crash)]


def _crash_failure(history: History, crash: Any) -> UpgradeFailure:
    """The revision that was running when the child died, with how it died."""
    import re

    from migrate_lint.database.upgrade import UpgradeFailure, revision_id

    if crash.last is None:
        raise UserError(f"the upgrade process ended ({crash.how}) before any revision ran; "
                        "the scratch database was dropped")
    revision, step = crash.last
    for path in history.files:
        if revision_id(path) == revision:
            text = path.read_text(encoding="utf-8", errors="replace")
            found = re.search(rf"^def {step}\b", text, re.MULTILINE)
            line = text[: found.start()].count("\n") + 1 if found else 1
            return UpgradeFailure(revision, path, line, f"the process running it ended ({crash.how})", step)
    return UpgradeFailure(revision, None, None, f"the process running it ended ({crash.how})", step)


def _ini_of(history: History) -> Path | None:
    if history.ini is not None:
        return history.ini
    folder = history.script_location
    for candidate in (folder / "alembic.ini", folder.parent / "alembic.ini"):
        if candidate.is_file():
            return candidate
    return None


def _compare(run: _Run, url: sa.URL, keep: Callable[[str], bool], read_only: bool = False,
             shown: sa.URL | None = None) -> None:
    import sqlalchemy as sa

    from migrate_lint.database.live import read_only as _read_only
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


def _live(run: _Run, live_url: str, keep: Callable[[str], bool]) -> None:
    from migrate_lint.database.live import live_url as parsed

    url, shown = parsed(live_url)
    run.notes.append("compared the live database read-only; nothing was migrated")
    _compare(run, url, keep, read_only=True, shown=shown)
