"""Markdown: a summary for pull requests and GitHub's job summary ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from migrate_lint.finding import Report, Severity, display_path

ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}


def _cell(text: str) -> str:
    """Table cells: pipes escaped, newlines folded, so one finding stays one row."""
    return " ".join(text.replace("|", "\\|").split())


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
    if report.findings:
        lines += ["", "| | rule | where | message |", "|---|---|---|---|"]
        for finding in report.findings:
            where = f"`{display_path(finding.location.path)}:{finding.location.line}`"
            lines.append(f"| {ICONS[finding.severity]} | `{finding.code}` {finding.name} | {where} | "
                         f"{_cell(finding.message)} |")
        lines += ["", "<details><summary>How to fix each</summary>", ""]
        for finding in report.findings:
            lines.append(f"- **{finding.code}** `{display_path(finding.location.path)}:"
                         f"{finding.location.line}`: {_cell(finding.help)}")
        lines += ["", "</details>"]
    if report.errors:
        lines += ["", "### Input errors", ""]
        lines += [f"- {_cell(error.describe())}" for error in report.errors]
    return "\n".join(lines) + "\n"
