"""Inline directives (`# migrate-lint: ignore[...]`), read from tokenize COMMENT tokens."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

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
