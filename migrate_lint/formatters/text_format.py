"""Human-readable output, ruff style: `path:line:col: CODE [severity] message`, help, summary."""

from __future__ import annotations

from collections import Counter

from migrate_lint.errors import printable
from migrate_lint.finding import Report, display_path


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: Report) -> str:
    counts = Counter(f.severity for f in report.findings)
    files = _plural(report.files_checked, "file")
    extras = [f"{len(report.suppressed)} suppressed"] if report.suppressed else []
    if report.baselined:
        extras.append(f"{len(report.baselined)} in the baseline")
    if report.errors:
        extras.append(_plural(len(report.errors), "error") + " reading the input")
    tail = f" ({', '.join(extras)})" if extras else ""
    if not report.findings:
        return f"No findings in {files}{tail}."
    parts = ", ".join(_plural(counts[s], s.label) for s in sorted(counts, reverse=True))
    return f"Found {_plural(len(report.findings), 'finding')} ({parts}) in {files}{tail}."


def render(report: Report) -> str:
    lines = []
    for finding in report.findings:
        loc = finding.location
        # one line each: what comes from the checked files (names, quoted source) cannot recolour
        # the terminal or start a line a CI runner would read as a command
        lines.append(printable(f"{display_path(loc.path)}:{loc.line}:{loc.column}: {finding.code} "
                               f"[{finding.severity.label}] {finding.message}"))
        if finding.help:
            lines.append(f"  help: {printable(finding.help)}")
    for error in report.errors:
        lines.append(f"error: {printable(error.describe())}")
    if lines:
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"

