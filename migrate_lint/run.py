"""One `check` run: config, rule selection, discovery and the engine, glued together."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from migrate_lint import baseline
from migrate_lint.cache import cache_dir
from migrate_lint.catalog import load_catalog
from migrate_lint.config import Config, load, select_rules
from migrate_lint.discover import DiscoveryError, History, discover_dir, discover_files
from migrate_lint.engine import Engine
from migrate_lint.finding import InputError, Report, Severity
from migrate_lint.history import changes_since

LOOKED_FOR = ("alembic.ini, migrations/alembic.ini, [tool.migrate-lint] script-location, "
              "a versions folder or revision files")


@dataclass(frozen=True)
class CheckOutcome:
    report: Report
    fail_on: Severity
    config: Config


def find_histories(paths: list[Path], config: Config) -> tuple[list[History], list[InputError]]:
    histories: list[History] = []
    errors: list[InputError] = []
    files = [p for p in paths if p.is_file()]
    if files:
        histories += discover_files(files)
    location = config.root / config.script_location if config.script_location else None
    for path in paths:
        if not path.exists():
            errors.append(InputError(path, None, "no such file or folder"))
        elif path.is_dir():
            try:
                found = discover_dir(path, location)
            except DiscoveryError as exc:
                errors.append(InputError(exc.path or path, exc.line, exc.message))
                continue
            if not found:
                errors.append(InputError(path, None, f"no Alembic revisions found (looked for {LOOKED_FOR})"))
            histories += found
    return histories, errors


def check(paths: list[Path], config_path: Path | None, overrides: dict[str, Any],
          use_cache: bool = True, execute: bool = True, base: str | None = None,
          ignore_baseline: bool = False) -> CheckOutcome:
    start = next((p for p in paths if p.exists()), Path("."))
    config = load(config_path, start).override(**overrides)
    catalog = load_catalog()
    selection = select_rules(config, catalog)
    histories, errors = find_histories(paths, config)
    changes = changes_since(base, start if start.is_dir() else start.parent) if base else None
    engine = Engine(catalog, selection, config, cache_dir() if use_cache else None, execute, changes)
    report = engine.run(histories)
    report = replace(report, errors=tuple(errors) + report.errors)
    if config.baseline and not ignore_baseline:
        report = baseline.apply(report, baseline.load(config.root / config.baseline))
    return CheckOutcome(report, config.fail_on, config)
