"""One `check` run: config, rule selection, discovery and the engine, glued together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from migrate_lint.cache.folder import bypassed
from migrate_lint.cache.store import cache_dir
from migrate_lint.config import CheckOutcome, Config, RuleSelection, load, select_rules
from migrate_lint.errors import UserError
from migrate_lint.finding import Finding, HistoryDialect, InputError, Location, Report
from migrate_lint.revisions.discover import History, find_histories

if TYPE_CHECKING:
    from migrate_lint.catalog import Catalog
    from migrate_lint.lint.table_sizes import Snapshot
    from migrate_lint.rendering.process import Started
    from migrate_lint.rendering.render import RenderPool


def check(paths: list[Path], config_path: Path | None, overrides: dict[str, Any],
          use_cache: bool = True, execute: bool = True, base: str | None = None,
          ignore_baseline: bool = False, started_worker: Started | None = None) -> CheckOutcome:
    """`started_worker`: a render worker process the command started first (see __main__); used
    only if rendering is wanted."""
    if base is not None and not base.strip():
        raise UserError("--base needs a git ref to compare with, such as origin/main")
    workers = None
    if started_worker is not None:
        from migrate_lint.rendering.render import RenderPool

        workers = RenderPool(started=started_worker)
    try:
        with bypassed(not use_cache):
            report, config, errors = _check(paths, config_path, overrides, execute, base, workers)
    finally:
        _stop(workers)
    report = replace(report, errors=tuple(errors) + report.errors)
    if config.baseline and not ignore_baseline:
        from migrate_lint.lint import baseline

        report = baseline.apply(report, baseline.load(config.root / config.baseline))
    # after the baseline, which knows each object's finding on its own (Finding.parts keeps them)
    return CheckOutcome(replace(report, findings=tuple(per_table(report.findings))), config)


def per_table(findings: Iterable[Finding]) -> list[Finding]:
    """Findings of per-table rules on one table in one revision file as one (see dedupe.one_per_table)."""
    from migrate_lint.catalog import load_catalog
    from migrate_lint.lint.dedupe import one_per_table

    return one_per_table(findings, {r.code: r.per_table or r.per_revision for r in load_catalog().rules
                                    if r.per_table or r.per_revision})


def _check(paths: list[Path], config_path: Path | None, overrides: dict[str, Any], execute: bool,
           base: str | None, workers: RenderPool | None) -> tuple[Report, Config, list[InputError]]:
    try:
        start = next((p for p in paths if p.exists()), Path("."))
        config = given_dialect(load(config_path, start).override(**overrides), overrides)
        histories, errors = find_histories(paths, config)
        cache_folder = cache_dir()  # None under --no-cache (cache.folder.bypassed)
        if execute:
            workers = start_rendering(histories, config, cache_folder, base is not None, workers)
        else:
            _stop(workers)
            workers = None
        from migrate_lint.catalog import load_catalog
        from migrate_lint.lint.engine import Engine

        catalog = load_catalog()
        selection = select_rules(config, catalog)
        sizes = _snapshot(config)
        changes = None
        if base:
            from migrate_lint.lint.changes import changes_since

            changes = changes_since(base, start if start.is_dir() else start.parent)
        reports = []
        labels: set[str] = set()  # every history's branch labels: per-branch-deploy must name one
        groups = by_dialect(histories, config)
        for dialect, group in groups.items():  # one engine per dialect, sharing the render workers
            lent = _Lent(workers) if workers is not None and len(groups) > 1 else workers
            engine = Engine(catalog, selection, replace(config, dialect=dialect), cache_folder, execute,
                            changes, cast("RenderPool | None", lent), sizes)
            reports.append(engine.run(group))
            labels |= engine.labels
            if lent is workers:
                workers = None  # a single engine stops its workers itself, as soon as it is done
        report = merged(reports, dialects_of(histories, config))
        report = replace(report, errors=report.errors + _unknown_branches(config, labels))
        if sizes is not None:
            report = replace(report, findings=report.findings + _stale(sizes, config, catalog, selection))
        return report, config, errors
    finally:
        _stop(workers)


def _unknown_branches(config: Config, labels: set[str]) -> tuple[InputError, ...]:
    from migrate_lint.config import line_of_key
    from migrate_lint.lint.deploy import unknown_branches

    problems = unknown_branches(config, labels)
    line = line_of_key(config, "per-branch-deploy") if problems else None
    return tuple(InputError(config.source, line, problem) for problem in problems)


def _snapshot(config: Config) -> Snapshot | None:
    """The table sizes of `check --stats` or the config's `stats`, relative to the config's folder."""
    if not config.stats:
        return None
    from migrate_lint.lint.table_sizes import load

    return load(config.root / config.stats)


def _stale(sizes: Snapshot, config: Config, catalog: Catalog, selection: RuleSelection
           ) -> tuple[Finding, ...]:
    """stale-stats, once per run (not once per dialect's engine)."""
    import datetime

    from migrate_lint.lint.table_sizes import STALE, stale_hit

    hit = stale_hit(sizes, config, datetime.datetime.now(datetime.UTC))
    if hit is None or STALE not in selection.enabled - selection.ignored_for(sizes.path):
        return ()
    spec = catalog.get(STALE)
    assert spec is not None
    message, help_text = spec.render({"subject": hit.subject, **hit.fields})  # "-o {subject}"
    return (Finding(STALE, spec.name, selection.severities[STALE], message, Location(sizes.path, 1, 1, 1),
                    None, hit.subject, help_text),)


class _Lent:
    """Render workers lent to one of several engines: their close() leaves them for the next one
    (each worker keeps a migration context per dialect); the run stops them at its end."""

    def __init__(self, pool: RenderPool) -> None:
        self.pool = pool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    def __len__(self) -> int:
        return len(self.pool)

    def close(self) -> None:
        pass


def given_dialect(config: Config, overrides: dict[str, Any]) -> Config:
    """The config, saying so when the dialect came from --dialect."""
    return replace(config, dialect_source="--dialect") if overrides.get("dialect") else config


def by_dialect(histories: list[History], config: Config) -> dict[str, list[History]]:
    groups: dict[str, list[History]] = {}
    for history in histories:
        groups.setdefault(history.dialect or config.dialect, []).append(history)
    return groups


def dialects_of(histories: list[History], config: Config) -> tuple[HistoryDialect, ...]:
    return tuple(HistoryDialect(h.version_dirs[0] if len(h.version_dirs) == 1 else h.script_location,
                                h.dialect or config.dialect, h.dialect_source or "default")
                 for h in histories)


def merged(reports: list[Report], dialects: tuple[HistoryDialect, ...]) -> Report:
    """The reports of several engines (one per dialect) as one."""
    return Report(tuple(sorted((f for r in reports for f in r.findings), key=Finding.sort_key)),
                  tuple(f for r in reports for f in r.suppressed), (),
                  sum(r.files_checked for r in reports), tuple(e for r in reports for e in r.errors),
                  dialects, tuple(sorted((f for r in reports for f in r.not_reported), key=Finding.sort_key)),
                  tuple(_sum_reasons(reports).most_common()))


def _sum_reasons(reports: list[Report]) -> Counter[str]:
    total: Counter[str] = Counter()
    for report in reports:
        total.update(dict(report.not_reported_reasons))
    return total


def start_rendering(histories: list[History], config: Config, cache_folder: Path | None,
                    changes_only: bool, started: RenderPool | None = None) -> RenderPool | None:
    """Render workers started before the engine is even imported: each spends ~0.3 s importing
    Alembic, in parallel with this process reading and analysing the files. Not when the history
    has a render cache: then few revisions, often none, need rendering, and the engine starts
    workers for those it misses. Under --base a change usually adds a revision or two: one worker."""
    from migrate_lint.rendering.render import RenderPool
    from migrate_lint.rendering.store import has_renders

    if not config.render or not histories or any(
            has_renders(cache_folder, h, h.dialect or config.dialect) for h in histories):
        _stop(started)
        return None
    workers = RenderPool.size_for(1 if changes_only else sum(len(h.files) for h in histories))
    if started is None:
        return RenderPool(workers)
    started.grow(workers)
    return started


def _stop(workers: RenderPool | None) -> None:
    if workers is not None:
        workers.close()


def lock(paths: list[Path], config_path: Path | None) -> tuple[list[tuple[Path, int]], list[InputError]]:
    """Write migrate-lint.lock into each history's script location; (lock file, revisions) pairs."""
    from migrate_lint.catalog import load_catalog
    from migrate_lint.lint import lockfile
    from migrate_lint.lint.engine import Engine
    from migrate_lint.revisions.facts import code_fingerprint
    from migrate_lint.revisions.graph import RevisionGraph
    from migrate_lint.revisions.reading import known_header

    start = next((p for p in paths if p.exists()), Path("."))
    config = load(config_path, start)
    catalog = load_catalog()
    histories, errors = find_histories(paths, config)
    engine = Engine(catalog, select_rules(config, catalog), config, cache_dir(), execute=False)
    written = []
    for history in histories:
        files, problems = engine.read(history)
        errors += problems
        revisions = {revision.id: (revision, source)
                     for source, known in files.values() if (revision := known_header(known).revision)}
        graph = RevisionGraph(rev for rev, _ in revisions.values())
        checksums = {rev_id: code_fingerprint(source) for rev_id, (_, source) in revisions.items()}
        target = history.script_location / lockfile.NAME
        written.append((target, lockfile.write(target, graph, checksums)))
    return written, errors
