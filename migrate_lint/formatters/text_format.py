"""Human-readable output, ruff style: `path:line:col: CODE name [severity] message`, the source line
with a caret under the operation, help with a link to the rule's docs, and a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from migrate_lint.catalog import rule_url
from migrate_lint.errors import printable
from migrate_lint.finding import Finding, Report, Severity, display_path
from migrate_lint.paths import read_file

SEVERITY_STYLE = {Severity.ERROR: "1;31", Severity.WARNING: "1;33", Severity.INFO: "1;36"}


@dataclass(frozen=True)
class TextOptions:
    """How the text report is laid out."""

    colour: bool = False
    quiet: bool = False  # findings only, no summary
    statistics: bool = False  # a count per rule instead of the findings
    per_rule: int = 5  # findings of one rule shown per revision before "and N more"


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{style}m{text}\x1b[0m" if self.on and text else text


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
    note = f" {not_reported_note(report)}" if report.not_reported else ""
    if not report.findings:
        return f"No findings in {files}{tail}.{note}"
    parts = ", ".join(_plural(counts[s], s.label) for s in sorted(counts, reverse=True))
    return f"Found {_plural(len(report.findings), 'finding')} ({parts}) in {files}{tail}.{note}"


def not_reported_note(report: Report) -> str:
    """`4 findings not reported: offline deploy (contract branch).`: what the deploy settings held back."""
    reasons = report.not_reported_reasons
    why = reasons[0][0] if len(reasons) == 1 else ", ".join(f"{reason}: {count}" for reason, count in reasons)
    return f"{_plural(len(report.not_reported), 'finding')} not reported: {why}."


def dialect_lines(report: Report) -> list[str]:
    """`dialect: sqlite (alembic.ini sqlalchemy.url)`; one line per history when they differ."""
    rows = report.dialects
    if len({(r.dialect, r.source) for r in rows}) == 1:
        return [f"dialect: {rows[0].dialect} ({rows[0].source})"]
    return [f"dialect: {r.dialect} ({r.source}) for {display_path(r.path)}" for r in rows]


def _lines(path: Path) -> list[str]:
    """The file's lines as Python reads its source (its encoding, universal newlines), without their
    line ends; none when it cannot be read. Read once for all of the file's findings."""
    try:
        data = read_file(path)
        text = _decoded(data)
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _decoded(data: bytes) -> str:
    """The text as Python decodes its source: UTF-8 unless a BOM or a PEP 263 cookie (on one of the
    first two lines) says otherwise, which only tokenize's detect_encoding() is then asked about."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    if b"coding" not in data[:len(data) if second < 0 else second] and not data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # as detect_encoding() has it: an error, raised below
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def _source(finding: Finding, lines: list[str], paint: _Paint) -> list[str]:
    """The finding's source line, with a caret under the operation from its column to the line's end."""
    loc = finding.location
    line = lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""
    text = printable(line.expandtabs(4))
    if not text.strip():
        return []
    number = str(loc.line)
    gutter = " " * len(number)
    start = max(loc.column - 1, len(text) - len(text.lstrip()))
    marks = "^" * max(_extent(text, start) - start, 1)
    bar = paint("|", "1;34")
    return [f"{gutter} {bar}", f"{paint(number, '1;34')} {bar} {text}",
            f"{gutter} {bar} {' ' * start}{paint(marks, SEVERITY_STYLE[finding.severity])}"]


def _extent(text: str, start: int) -> int:
    """Where the expression starting at `start` ends on this line: its closing bracket, else the end
    of the code before a trailing comment (a comment itself runs to the end of the line)."""
    if text[start:start + 1] == "#":
        return len(text.rstrip())
    depth, quote, index = 0, "", start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            break
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text[:index].rstrip())


def _finding(finding: Finding, lines: list[str], paint: _Paint) -> Iterator[str]:
    loc = finding.location
    # what comes from the checked files (names, messages quoting source) is made printable before
    # it is painted: it can neither recolour the terminal nor start a line a CI runner reads as a command
    where = paint(printable(f"{display_path(loc.path)}:{loc.line}:{loc.column}:"), "1")
    label = paint(f"{finding.code} {finding.name}", SEVERITY_STYLE[finding.severity])
    yield f"{where} {label} [{finding.severity.label}] {printable(finding.message)}"
    yield from _source(finding, lines, paint)
    link = rule_url(finding.code, finding.name)
    help_text = f"{printable(finding.help)} ({link})" if finding.help else link
    yield f"  {paint('help:', '1;36')} {help_text}"


def _listing(report: Report, options: TextOptions, paint: _Paint) -> Iterator[str]:
    """Findings grouped by file (a revision), and within it by rule, each rule's beyond `per_rule`
    folded into one "and N more" line."""
    for path, in_file in groupby(report.findings, key=lambda f: f.location.path):
        shown: Counter[str] = Counter()
        hidden: Counter[str] = Counter()
        lines = _lines(path)
        for finding in in_file:
            if shown[finding.code] >= options.per_rule:
                hidden[finding.code] += 1
                continue
            shown[finding.code] += 1
            yield from _finding(finding, lines, paint)
            yield ""
        for code, count in hidden.items():
            yield f"  ... and {count} more {code} in this file (all of them in --format json)"
            yield ""


def _statistics(report: Report) -> Iterator[str]:
    counts = Counter((f.code, f.name, f.severity.label) for f in report.findings)
    width = len(str(max(counts.values(), default=0)))
    for (code, name, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        yield f"{count:>{width}}  {code}  {name} [{severity}]"


def render(report: Report, options: TextOptions | None = None) -> str:
    options = options or TextOptions()
    paint = _Paint(options.colour)
    lines = list(_statistics(report) if options.statistics else _listing(report, options, paint))
    for error in report.errors:
        lines.append(f"{paint('error:', '1;31')} {printable(error.describe())}")
    if not options.quiet:
        if lines and lines[-1]:
            lines.append("")
        lines.append(paint(summary(report), "1"))
        lines += dialect_lines(report)
    elif lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""
