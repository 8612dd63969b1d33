"""Inline directives (`# migrate-lint: ignore[...]`), read from tokenize COMMENT tokens; also the
`# noqa: MLxxx` comments that look like one but silence nothing here."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

MARKER = "migrate-lint:"
DIRECTIVE = (r"(?i)#\s*migrate-lint:\s*(?P<kind>file-ignore|ignore)\s*\[(?P<rules>[^\]]*)\]"
    r"(?:\s*--\s*(?P<reason>.*))?")
NOQA = r"(?i)#\s*noqa\s*:\s*(?P<rules>ML\d{3}(?:\s*,\s*\w+)*)"


@dataclass(frozen=True)
class Directive:
    """An inline `# migrate-lint: ignore[...]` (or file-ignore, or noqa) comment."""

    kind: str  # "ignore", "file-ignore", or "noqa" (which this tool does not honour)
    rules: tuple[str, ...]  # as written: codes or names
    reason: str
    line: int
    column: int
    target_line: int  # the line an own-line `ignore` applies to; its own line otherwise


def parse_directives(source: str) -> list[Directive]:
    if MARKER not in source and "noqa" not in source.lower():
        return []
    lines = source.splitlines()
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []  # a file that does not tokenize is reported as a syntax error
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        line, column = token.start
        if (noqa := re.search(NOQA, token.string)) and MARKER not in token.string:
            named = (c.strip().upper() for c in noqa["rules"].split(","))
            codes = tuple(c for c in named if c.startswith("ML"))
            found.append(Directive("noqa", codes, "", line, column + 1 + noqa.start(), line))
            continue
        match = re.search(DIRECTIVE, token.string) if MARKER in token.string else None
        if not match:
            continue
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
