"""GitHub Actions workflow commands (::error file=...::message), escaped as the runner expects."""

from __future__ import annotations

from migrate_lint.errors import printable
from migrate_lint.finding import Report, Severity, display_path

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A command's message: terminal escapes from the checked files gone, then what the runner decodes
    (%, CR, LF) encoded, so nothing a file says can end the command or start another."""
    return printable(text, newlines=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file=, title=): one line, with the separators of properties encoded too."""
    return escape_data(printable(text)).replace(":", "%3A").replace(",", "%2C")


def command(level: str, props: dict[str, str], message: str) -> str:
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::{level}{' ' + joined if joined else ''}::{escape_data(message)}\n"


def render(report: Report) -> str:
    out = []
    for finding in report.findings:
        loc = finding.location
        props = {
            "file": display_path(loc.path), "line": str(loc.line),
            "endLine": str(loc.end_line or loc.line), "col": str(loc.column),
            "title": f"{finding.code} {finding.name}",
        }
        body = finding.message + (f"\n{finding.help}" if finding.help else "")
        out.append(command(LEVELS[finding.severity], props, body))
    for error in report.errors:
        props = {"file": display_path(error.path)} if error.path else {}
        if error.path and error.line:
            props["line"] = str(error.line)
        out.append(command("error", props, f"migrate-lint: {error.message}"))
    return "".join(out)
