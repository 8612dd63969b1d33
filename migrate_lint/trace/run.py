"""`trace`: one history, upgraded on a scratch database (a throwaway login that can reach only
it, dropped after, however the run ends) in a child process, recorded statement by statement."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate_lint.errors import UserError
from migrate_lint.trace.blocking import Window, windows
from migrate_lint.trace.crosscheck import LOCK_TAGS, Verdict, cross_check
from migrate_lint.trace.model import Trace


@dataclass
class TraceOutcome:
    trace: Trace
    windows: list[Window]
    verdicts: list[Verdict]
    history: Path
    notes: list[str] = field(default_factory=list)

    def failing(self) -> list[Verdict]:
        recorded = self.trace
        failed = [Verdict("failed", "error", None, recorded.failed_revision, None, None, recorded.failure)] \
            if recorded.failure else []
        return failed + [v for v in self.verdicts
                         if v.severity == "error" and v.kind in ("contradicted", "trace-only")]


def trace(paths: list[Path], config_path: Path | None, database_url: str | None, start: str | None = None,
          cross: bool = True, rows: int = 0) -> TraceOutcome:
    from migrate_lint.config import load
    from migrate_lint.database import isolate
    from migrate_lint.database.scratch import parse_url, scratch
    from migrate_lint.revisions.discover import one_history
    from migrate_lint.trace.capture import traced_upgrade

    if not database_url:
        raise UserError("trace needs --database-url: the PostgreSQL or MySQL/MariaDB server to trace on")
    url = parse_url(database_url, "--database-url")
    begin = next((p for p in paths if p.exists()), Path("."))
    config = load(config_path, begin)
    history, _ = one_history(paths, config, "trace runs one history")
    notes = ["upgraded with migrate-lint's own runner (no env.py), in Alembic's transaction model"]
    # a finding can be held against what the server showed only where locks were observed; check's
    # findings come from the files alone, so they are found while the child upgrades
    findings = _Findings(paths, config_path) if cross and url.get_backend_name() == "postgresql" else None
    with scratch(database_url) as made:
        notes.append(f"scratch database {made.url.database} on {made.url.get_backend_name()} as a throwaway "
                     "login, dropped after use")
        try:
            recorded = isolate.run(lambda mark: traced_upgrade(history, made.url, start, mark, rows),
                                   findings.find if findings is not None else None)
        except isolate.Crashed as crash:
            raise UserError(f"the upgrade process ended ({crash.how}) during revision "
                            f"{(crash.last or ('?',))[0]}; the scratch database was dropped") from None
    if recorded.backend != "postgresql":
        notes.append(f"{recorded.backend}: each ALTER's algorithm and durations; findings are cross-checked "
                     "on PostgreSQL only so far")
    verdicts = findings.verdicts(recorded) if findings is not None else []
    return TraceOutcome(recorded, windows(recorded), verdicts, history.script_location,
                        notes + recorded.notes)


class _Findings:
    """check's findings on the lock rules, found while the traced upgrade runs in its child; an error
    is kept, and raised only once the trace has ended (so that the trace's own failure comes first)."""

    def __init__(self, paths: list[Path], config_path: Path | None) -> None:
        self.paths = paths
        self.config_path = config_path
        self.found: tuple[list[Any], set[str], dict[str, str]] | None = None
        self.error: BaseException | None = None

    def find(self) -> None:
        from migrate_lint.catalog import load_catalog
        from migrate_lint.lint.run import check

        try:
            catalog = load_catalog()
            # a rule whose claim no server fact shows (its `trace` note says why) gets no verdict
            codes = {rule.code for rule in catalog.rules
                     if set(rule.tags) & set(LOCK_TAGS) and not rule.trace}
            outcome = check(self.paths or [Path(".")], self.config_path, {"dialect": "postgresql"})
            self.found = (list(outcome.report.findings), codes, claims(catalog.rules))
        except Exception as exc:  # raised in verdicts(), after the trace
            self.error = exc

    def verdicts(self, recorded: Trace) -> list[Verdict]:
        if self.found is None and self.error is None:
            self.find()  # not asked for while the child ran
        if self.error is not None:
            raise self.error
        assert self.found is not None
        return cross_check(recorded, *self.found)


def claims(rules: Any) -> dict[str, str]:
    """The rules whose claim is more than a lock, from what their fail cases show the server doing:
    "keys" (a primary key dropped or replaced), else "rewrites" (the table rewritten)."""
    found: dict[str, str] = {}
    for rule in rules:
        shown = [facts for case in rule.cases if case.kind == "fail"
                 for facts in (case.server or {}).values()]
        if any(facts.get("keys") for facts in shown):
            found[rule.code] = "keys"
        elif any(facts.get("rewrites") for facts in shown):
            found[rule.code] = "rewrites"
    return found
