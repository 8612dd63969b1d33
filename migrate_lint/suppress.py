"""Inline suppression directives, read from tokenize COMMENT tokens, and the findings they silence."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from migrate_lint.checks import Hit
from migrate_lint.finding import Finding

MARKER = "migrate-lint:"
DIRECTIVE = re.compile(
    r"#\s*migrate-lint:\s*(?P<kind>file-ignore|ignore)\s*\[(?P<rules>[^\]]*)\]"
    r"(?:\s*--\s*(?P<reason>.*))?", re.IGNORECASE)


@dataclass(frozen=True)
class Directive:
    kind: str  # "ignore" or "file-ignore"
    rules: tuple[str, ...]  # as written: codes or names
    reason: str
    line: int
    column: int
    target_line: int  # the line an own-line `ignore` applies to; its own line otherwise


def parse_directives(source: str) -> list[Directive]:
    if MARKER not in source:
        return []
    lines = source.splitlines()
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []  # a file that does not tokenize is reported as a syntax error
    for token in tokens:
        if token.type != tokenize.COMMENT or MARKER not in token.string:
            continue
        match = DIRECTIVE.search(token.string)
        if not match:
            continue
        line, column = token.start
        kind = match["kind"].lower()
        own_line = lines[line - 1][:column].strip() == ""
        target = _next_code_line(lines, line) if own_line and kind == "ignore" else line
        rules = tuple(r.strip() for r in match["rules"].split(",") if r.strip())
        found.append(Directive(kind, rules, (match["reason"] or "").strip(),
                               line, column + 1, target))
    return found


def _next_code_line(lines: list[str], line: int) -> int:
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1].strip()
        if text and not text.startswith("#"):
            return number
    return line


@dataclass
class Outcome:
    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    hits: list[tuple[str, Path, Hit]] = field(default_factory=list)  # ML902/ML903 facts


def _covers(directive: Directive, finding: Finding) -> bool:
    if directive.kind == "file-ignore":
        return True
    loc = finding.location
    return loc.line <= directive.target_line <= (loc.end_line or loc.line)


def apply(findings: Iterable[Finding], directives: dict[Path, list[Directive]],
          resolve: Callable[[str], str | None], enabled: Callable[[Path], frozenset[str]],
          require_reason: bool) -> Outcome:
    """Split findings into kept and suppressed; report unused, unknown and unexplained directives."""
    outcome = Outcome()
    used: set[tuple[Path, int, str]] = set()
    for finding in findings:
        path = finding.location.path
        for directive in directives.get(path, ()):
            if require_reason and not directive.reason:
                continue
            codes = {resolve(rule) for rule in directive.rules}
            if finding.code in codes and _covers(directive, finding):
                used.add((path, directive.line, finding.code))
                outcome.suppressed.append(finding)
                break
        else:
            outcome.kept.append(finding)
    for path, items in directives.items():
        for directive in items:
            for rule in directive.rules:
                code = resolve(rule)
                hit = Hit(directive.line, rule, {"rule": rule}, directive.column)
                if code is None:
                    outcome.hits.append(("ML902", path, Hit(hit.line, rule,
                                         {"rule": rule, "variant": "unknown"}, hit.column)))
                elif require_reason and not directive.reason:
                    outcome.hits.append(("ML903", path, hit))
                elif code in enabled(path) and (path, directive.line, code) not in used:
                    outcome.hits.append(("ML902", path, hit))
    return outcome
