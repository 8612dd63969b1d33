"""One finding per rule and source location: a helper called twice, or one statement that does
the same risky thing to several columns, is reported once, naming every subject."""

from __future__ import annotations

from dataclasses import replace

from migrate_lint.finding import Finding

MAX_NAMED = 5


def one_per_location(findings: list[Finding]) -> list[Finding]:
    """The first finding of each (rule, path, line, column), its message naming the other
    subjects found there; order is kept."""
    first: dict[tuple[object, ...], int] = {}
    others: dict[int, list[str]] = {}
    kept: list[Finding] = []
    for finding in findings:
        loc = finding.location
        key = (finding.code, loc.path, loc.line, loc.column)
        if key not in first:
            first[key] = len(kept)
            kept.append(finding)
            continue
        named = others.setdefault(first[key], [])
        if finding.subject != kept[first[key]].subject and finding.subject not in named:
            named.append(finding.subject)
    for index, subjects in others.items():
        if not subjects:
            continue
        listed = ", ".join(subjects[:MAX_NAMED]) + (f" and {len(subjects) - MAX_NAMED} more"
                                                    if len(subjects) > MAX_NAMED else "")
        kept[index] = replace(kept[index], message=f"{kept[index].message} (the same line also: {listed})")
    return kept
