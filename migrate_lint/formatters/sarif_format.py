"""SARIF 2.1.0 for code scanning: rule metadata from the catalogue, stable fingerprints per finding."""

from __future__ import annotations

import json
from typing import Any

from migrate_lint import __version__
from migrate_lint.catalog import RuleSpec, load_catalog
from migrate_lint.finding import Finding, Report, Severity, display_path

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
HOME = "https://github.com/migrate-lint/migrate-lint"


def _rule(spec: RuleSpec) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": " ".join(spec.catches.split())},
        "help": {"text": " ".join(spec.safe.split()),
                 "markdown": f"{spec.risk.strip()}\n\n**Safe way:** {spec.safe.strip()}"},
        "defaultConfiguration": {"level": LEVELS[spec.severity], "enabled": spec.default},
        "properties": {"tags": list(spec.tags)},
    }
    if spec.references:
        rule["helpUri"] = spec.references[0]
    return rule


def _fix(finding: Finding) -> dict[str, Any]:
    """The edits of `check --fix` as SARIF replacements of whole lines."""
    assert finding.fix is not None
    replacements = [{"deletedRegion": {"startLine": e.line, "startColumn": e.column, "endLine": e.end_line,
                                       "endColumn": e.end_column},
                     "insertedContent": {"text": e.content}} for e in finding.fix.edits]
    return {"description": {"text": f"{finding.fix.message} ({finding.fix.applicability} fix)"},
            "artifactChanges": [{"artifactLocation": {"uri": display_path(finding.location.path),
                                                      "uriBaseId": "%SRCROOT%"},
                                 "replacements": replacements}]}


def render(report: Report) -> str:
    rules = load_catalog().rules
    index = {spec.code: i for i, spec in enumerate(rules)}
    results = []
    for finding in report.findings:
        loc = finding.location
        region = {"startLine": loc.line, "startColumn": loc.column, "endLine": loc.end_line or loc.line}
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message + (f"\n{finding.help}" if finding.help else "")},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": display_path(loc.path), "uriBaseId": "%SRCROOT%"},
                "region": region}}],
            "partialFingerprints": {"migrateLint/v1": finding.fingerprint},
            **({"fixes": [_fix(finding)]} if finding.fix else {}),
        })
    notifications = [{
        "level": "error", "message": {"text": error.message},
        **({"locations": [{"physicalLocation": {
            "artifactLocation": {"uri": display_path(error.path), "uriBaseId": "%SRCROOT%"},
            **({"region": {"startLine": error.line}} if error.line else {})}}]} if error.path else {}),
    } for error in report.errors]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "migrate-lint", "version": __version__, "informationUri": HOME,
                                "rules": [_rule(spec) for spec in rules]}},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"dialects": [{"path": display_path(r.path), "dialect": r.dialect,
                                         "source": r.source} for r in report.dialects]},
        }],
    }
    return json.dumps(document, indent=2) + "\n"
