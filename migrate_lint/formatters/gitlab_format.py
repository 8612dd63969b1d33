"""GitLab Code Quality: a JSON array of issues (description, check_name, fingerprint, severity,
location.path and location.lines.begin), as GitLab's code quality report expects."""

from __future__ import annotations

import json

from migrate_lint.finding import Report, Severity, display_path

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(report: Report) -> str:
    issues = [{
        "description": f"{finding.code} {finding.message}",
        "check_name": finding.name,
        "fingerprint": finding.fingerprint,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": display_path(finding.location.path),
                     "lines": {"begin": finding.location.line}},
    } for finding in report.findings]
    return json.dumps(issues, indent=2) + "\n"
