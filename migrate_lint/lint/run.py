"""One `check` run: config, rule selection, discovery and the engine, glued together."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.cache.store import FactsCache, cache_dir
from migrate_lint.config import CheckOutcome, Config, load, select_rules
from migrate_lint.errors import UserError
from migrate_lint.finding import InputError
from migrate_lint.revisions.discover import History, find_histories

if TYPE_CHECKING:
    import subprocess

    from migrate_lint.rendering.render import RenderPool


def check(paths: list[Path], config_path: Path | None, overrides: dict[str, Any],
          use_cache: bool = True, execute: bool = True, base: str | None = None,
          ignore_baseline: bool = False, started_worker: subprocess.Popen[str] | None = None) -> CheckOutcome:
    """`started_worker`: a render worker process the command started first (see __main__); used
    only if rendering is wanted."""
    if base is not None and not base.strip():
        raise UserError("--base needs a git ref to compare with, such as origin/main")
    workers = None
    if started_worker is not None:
        from migrate_lint.rendering.render import RenderPool

        workers = RenderPool(started=started_worker)
    try:
        start = next((p for p in paths if p.exists()), Path("."))
        config = load(config_path, start).override(**overrides)
        histories, errors = find_histories(paths, config)
        cache_folder = cache_dir() if use_cache else None
        if execute:
            workers = start_rendering(histories, config, cache_folder, base is not None, workers)
        else:
            _stop(workers)
            workers = None
        from migrate_lint.catalog import load_catalog
        from migrate_lint.lint.engine import Engine

        catalog = load_catalog()
        engine = Engine(catalog, select_rules(config, catalog), config, cache_folder, execute, pool=workers)
        if base:
            from migrate_lint.lint.changes import changes_since

            engine.changes = changes_since(base, start if start.is_dir() else start.parent)
        report = engine.run(histories)
    finally:
        _stop(workers)
    report = replace(report, errors=tuple(errors) + report.errors)
    if config.baseline and not ignore_baseline:
        from migrate_lint.lint import baseline

        report = baseline.apply(report, baseline.load(config.root / config.baseline))
    return CheckOutcome(report, config)


def start_rendering(histories: list[History], config: Config, cache_folder: Path | None,
                    changes_only: bool, started: RenderPool | None = None) -> RenderPool | None:
    """Render workers started before the engine is even imported: each spends ~0.3 s importing
    Alembic, in parallel with this process reading and analysing the files. Not when the history
    has a render cache: then few revisions, often none, need rendering, and the engine starts
    workers for those it misses. Under --base a change usually adds a revision or two: one worker."""
    from migrate_lint.rendering.render import RenderPool, cache_key

    if not config.render or not histories or any(
            FactsCache.stored(cache_folder, cache_key(config.dialect, h)) for h in histories):
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
