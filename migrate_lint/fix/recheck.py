"""The re-check: every fixed file checked again (AST layer, fixed text read in place of the file's) before
anything is written; a file whose fixed findings did not go, or that gained one, is left as it was."""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate_lint.catalog import Catalog
from migrate_lint.config import CheckOutcome, select_rules
from migrate_lint.finding import Finding, display_path
from migrate_lint.lint.changes import ChangeSet
from migrate_lint.lint.engine import Engine
from migrate_lint.paths import real_path
from migrate_lint.revisions.discover import History


@dataclass
class FileFix:
    path: Path
    before: str
    after: str
    fixed: list[Finding] = field(default_factory=list)
    followups: list[Any] = field(default_factory=list)  # new revisions to write after it (fix.followup)

    def diff(self) -> str:
        name = display_path(self.path)
        old = f"a/{name}" if self.before or self.path.exists() else "/dev/null"  # a new file
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True),
                                            self.after.splitlines(keepends=True), old, f"b/{name}"))


def recheck(planned: list[FileFix], histories: list[History], outcome: CheckOutcome, catalog: Catalog,
            cache_folder: Path | None) -> tuple[list[FileFix], list[str], dict[Path, list[Finding]]]:
    """(fixes that passed, one line for each that did not, the findings left in each fixed file)."""
    if not planned:
        return [], [], {}
    config = outcome.config
    changed = ChangeSet("", frozenset(real_path(f.path) for f in planned))
    engine = Engine(catalog, select_rules(config, catalog), config, cache_folder, execute=False,
                    changes=changed)
    engine.reader.overlay = {f.path: f.after.encode() for f in planned}
    report = engine.run(histories)
    # counted per file once: a filter of every finding for each of a thousand files costs a second
    before: dict[Path, Counter[str]] = defaultdict(Counter)
    for finding in (*outcome.report.findings, *outcome.report.baselined, *outcome.report.suppressed):
        before[finding.location.path][finding.code] += len(finding.parts)  # the re-check merges none
    after: dict[Path, Counter[str]] = defaultdict(Counter)
    for finding in report.findings:
        after[finding.location.path][finding.code] += 1
    kept, refused = [], []
    for file in planned:
        errors = [e for e in report.errors if e.path == file.path]
        now = after[file.path]
        allowed = Counter(before[file.path])
        allowed.subtract(Counter(f.code for f in file.fixed))
        worse = sorted(code for code, count in now.items() if count > allowed[code])
        if errors or worse:
            what = errors[0].message if errors else ", ".join(
                f"{code} ({'still there' if any(f.code == code for f in file.fixed) else 'new'})"
                for code in worse)
            refused.append(f"not fixed: {display_path(file.path)}: the fixed file re-checks with {what}; "
                           "left as it was")
        else:
            kept.append(file)
    fresh: dict[Path, list[Finding]] = {file.path: [] for file in kept}
    for finding in report.findings:
        if finding.location.path in fresh:
            fresh[finding.location.path].append(finding)
    return kept, refused, fresh
