"""What weighing a lock finding by its table does, by a size (table_sizes) or an age (table_age):
one severity lower or higher, and a note on the message saying why."""

from __future__ import annotations

from dataclasses import replace

from migrate_lint.finding import Finding, Severity

WEIGHED_TAG = "locks"  # rules whose harm grows with the table: locks held while scanning or rewriting
ROWS_TAG = "rows"  # rules whose harm needs rows at all: a statement that fails on a table with rows
MOVED = ": {from_} {verb} to {to}"


def lower(severity: Severity) -> Severity:
    return Severity(max(severity - 1, Severity.INFO))


def moved(finding: Finding, severity: Severity, template: str, fields: dict[str, str]) -> Finding:
    suffix = template.format(**fields)
    if severity != finding.severity:  # an info finding on a small table stays info, and says no more
        verb = "lowered" if severity < finding.severity else "raised"
        suffix += MOVED.format(from_=finding.severity.label, verb=verb, to=severity.label)
    return replace(finding, severity=severity, message=f"{finding.message} ({suffix})")
