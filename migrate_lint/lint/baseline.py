"""Baselines: fingerprints of known findings, without line numbers, so old problems stop failing CI."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from migrate_lint.errors import UserError
from migrate_lint.finding import Report

DEFAULT_NAME = ".migrate-lint-baseline.json"


def write(report: Report, path: Path) -> int:
    counts = Counter(f.fingerprint for f in report.findings)
    document = {"version": 1, "tool": "migrate-lint", "fingerprints": dict(sorted(counts.items()))}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return sum(counts.values())


def load(path: Path) -> Counter[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("baseline file not found; create it with `migrate-lint baseline`", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read baseline: {exc}", path) from None
    fingerprints = document.get("fingerprints") if isinstance(document, dict) else None
    if document.get("version") != 1 or not isinstance(fingerprints, dict):
        raise UserError("not a migrate-lint baseline (version 1)", path)
    return Counter({str(k): int(v) for k, v in fingerprints.items()})


def apply(report: Report, known: Counter[str]) -> Report:
    """Move findings the baseline knows (as many times as it knows them) to report.baselined."""
    remaining = Counter(known)
    kept, baselined = [], []
    for finding in report.findings:
        key = finding.fingerprint
        if remaining[key] > 0:
            remaining[key] -= 1
            baselined.append(finding)
        else:
            kept.append(finding)
    return replace(report, findings=tuple(kept), baselined=tuple(baselined))
