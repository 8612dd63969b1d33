"""Markdown: a summary for pull requests and GitHub's job summary ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

import re

from migrate_lint.errors import inert_markdown, printable
from migrate_lint.finding import Report, Severity, display_path
from migrate_lint.formatters.text_format import dialect_lines, not_reported_note

ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}


def _cell(text: str) -> str:
    return inert_markdown(text)


def _code(text: str) -> str:
    """A code span that no backtick in the text can close early; pipes escaped for tables."""
    text = printable(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render(report: Report) -> str:
    counts = {s: sum(f.severity is s for f in report.findings) for s in Severity}
    lines = ["## migrate-lint", ""]
    if not report.findings and not report.errors:
        lines.append(f"No findings in {report.files_checked} files. ✅")
    else:
        parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 else ''}"
                 for s in sorted(Severity, reverse=True) if counts[s]]
        lines.append(f"**{len(report.findings)} findings** ({', '.join(parts) or 'none'}) "
                     f"in {report.files_checked} files.")
    if report.suppressed or report.baselined:
        lines.append(f"{len(report.suppressed)} suppressed, {len(report.baselined)} in the baseline.")
    if report.not_reported:
        lines.append(_cell(not_reported_note(report)))
    if report.dialects:
        lines += ["", *(f"- {_cell(line)}" for line in dialect_lines(report))]
    if report.findings:
        lines += ["", "| | rule | where | message |", "|---|---|---|---|"]
        for finding in report.findings:
            where = _code(f"{display_path(finding.location.path)}:{finding.location.line}")
            lines.append(f"| {ICONS[finding.severity]} | `{finding.code}` {finding.name} | {where} | "
                         f"{_cell(finding.message)} |")
        lines += ["", "<details><summary>How to fix each</summary>", ""]
        for finding in report.findings:
            where = _code(f"{display_path(finding.location.path)}:{finding.location.line}")
            lines.append(f"- **{finding.code}** {where}: {_cell(finding.help)}")
        lines += ["", "</details>"]
    if report.errors:
        lines += ["", "### Input errors", ""]
        lines += [f"- {_cell(error.describe())}" for error in report.errors]
    return "\n".join(lines) + "\n"
