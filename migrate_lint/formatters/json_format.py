"""The stable JSON contract (version 1) described in DESIGN.md section 7."""

from __future__ import annotations

import json

from migrate_lint import __version__
from migrate_lint.finding import Finding, Report, display_path


def finding_dict(finding: Finding) -> dict[str, object]:
    loc = finding.location
    return {
        "code": finding.code, "name": finding.name, "severity": finding.severity.label,
        "message": finding.message, "path": display_path(loc.path), "line": loc.line,
        "end_line": loc.end_line or loc.line, "column": loc.column, "revision": finding.revision,
        "subject": finding.subject, "help": finding.help, "fix": fix_dict(finding),
    }


def _dialect(report: Report) -> dict[str, object]:
    """The dialect checked for and its source (null when histories differ), then per history."""
    shared = {(r.dialect, r.source) for r in report.dialects}
    dialect, source = shared.pop() if len(shared) == 1 else (None, None)
    return {"dialect": dialect, "dialect_source": source,
            "dialects": [{"path": display_path(r.path), "dialect": r.dialect, "source": r.source}
                         for r in report.dialects]}


def fix_dict(finding: Finding) -> dict[str, object] | None:
    """The fix `check --fix` would apply (ruff's shape): none for findings without one, or in
    revisions that are applied already."""
    if finding.fix is None:
        return None
    return {"applicability": finding.fix.applicability, "message": finding.fix.message,
            "edits": [{"content": e.content, "location": {"row": e.line, "column": e.column},
                       "end_location": {"row": e.end_line, "column": e.end_column}}
                      for e in finding.fix.edits]}


def render(report: Report) -> str:
    document = {
        "version": 1,
        "tool": {"name": "migrate-lint", "version": __version__},
        "summary": {
            "files": report.files_checked, "findings": len(report.findings),
            "suppressed": len(report.suppressed), "baselined": len(report.baselined),
            "errors": len(report.errors), **_dialect(report),
            # findings whose risk the revision's deploy rules out (README: Online and offline deploys)
            "not_reported": len(report.not_reported),
            "not_reported_reasons": [{"reason": reason, "findings": count}
                                     for reason, count in report.not_reported_reasons],
        },
        "findings": [finding_dict(f) for f in report.findings],
        "errors": [{"path": display_path(e.path) if e.path else None, "line": e.line,
                    "message": e.message} for e in report.errors],
    }
    return json.dumps(document, indent=2) + "\n"
