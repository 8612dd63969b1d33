"""Baselines: fingerprints of known findings, without line numbers, so old problems stop failing CI."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from migrate_lint.errors import UserError
from migrate_lint.finding import Report
from migrate_lint.paths import read_file

DEFAULT_NAME = ".migrate-lint-baseline.json"


def write(report: Report, path: Path) -> int:
    counts = Counter(part.fingerprint for f in report.findings for part in f.parts)  # per object
    document = {"version": 1, "tool": "migrate-lint", "fingerprints": dict(sorted(counts.items()))}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return sum(counts.values())


def load(path: Path) -> Counter[str]:
    try:
        document = json.loads(read_file(path).decode("utf-8"))
    except FileNotFoundError:
        raise UserError("baseline file not found; create it with `migrate-lint baseline`", path) from None
    except OSError as exc:
        raise UserError(f"cannot read baseline: {exc.strerror or exc}", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read baseline: {exc}", path, getattr(exc, "lineno", None)) from None
    except RecursionError:
        raise UserError("cannot read baseline: nested too deeply to be one", path) from None
    fingerprints = document.get("fingerprints") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("version") != 1 or not isinstance(fingerprints, dict):
        raise UserError("not a migrate-lint baseline (version 1)", path)
    bad = next((k for k, v in fingerprints.items() if type(v) is not int or v < 0), None)
    if bad is not None:
        raise UserError(f"baseline: the count of {bad!r} must be a whole number, not "
                        f"{json.dumps(fingerprints[bad])[:40]}", path)
    return Counter(fingerprints)


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
