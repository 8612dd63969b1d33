"""Human-readable output, ruff style: `path:line:col: CODE [severity] message`, help, summary."""

from __future__ import annotations

from collections import Counter

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


def dialect_lines(report: Report) -> list[str]:
    """`dialect: sqlite (alembic.ini sqlalchemy.url)`; one line per history when they differ."""
    rows = report.dialects
    if len({(r.dialect, r.source) for r in rows}) == 1:
        return [f"dialect: {rows[0].dialect} ({rows[0].source})"]
    return [f"dialect: {r.dialect} ({r.source}) for {display_path(r.path)}" for r in rows]


def render(report: Report) -> str:
    lines = []
    for finding in report.findings:
        loc = finding.location
        lines.append(f"{display_path(loc.path)}:{loc.line}:{loc.column}: {finding.code} "
                     f"[{finding.severity.label}] {finding.message}")
        if finding.help:
            lines.append(f"  help: {finding.help}")
    for error in report.errors:
        lines.append(f"error: {error.describe()}")
    if lines:
        lines.append("")
    lines.append(summary(report))
    lines += dialect_lines(report)
    return "\n".join(lines) + "\n"

