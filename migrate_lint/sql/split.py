"""Splitting a SQL text into statements, without a parser: quotes, dollar quotes and comments aware.

op.execute() takes any text, and real revisions pass scripts: several statements, comments before
them, function bodies with semicolons inside. Both layers split the same way, so a statement is
linted whether Alembic rendered it or the AST layer read it.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DOLLAR = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


def _skip_quoted(text: str, start: int, quote: str) -> int:
    """Index just past the quoted run starting at `start` ('' and "" escape themselves)."""
    index = start + 1
    while index < len(text):
        if text[index] == quote:
            if text.startswith(quote * 2, index):
                index += 2
                continue
            return index + 1
        index += 1
    return len(text)


def _skip_comment(text: str, start: int) -> int:
    if text.startswith("--", start):
        end = text.find("\n", start)
        return len(text) if end < 0 else end + 1
    depth, index = 0, start
    while index < len(text):  # PostgreSQL block comments nest
        if text.startswith("/*", index):
            depth, index = depth + 1, index + 2
        elif text.startswith("*/", index):
            depth, index = depth - 1, index + 2
            if depth == 0:
                return index
        else:
            index += 1
    return len(text)


def strip_leading_comments(sql: str) -> str:
    """A statement without the comments and blank space before its first keyword."""
    text = sql.strip()
    while text.startswith(("--", "/*")):
        text = text[_skip_comment(text, 0):].lstrip()
    return text


@lru_cache(maxsize=4096)
def split_sql(sql: str) -> tuple[str, ...]:
    """The statements of a SQL text, each without its terminator or leading comments."""
    statements: list[str] = []
    start = index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char in "'\"`":
            index = _skip_quoted(sql, index, char)
        elif sql.startswith(("--", "/*"), index):
            index = _skip_comment(sql, index)
        elif char == "$" and (tag := _DOLLAR.match(sql, index)) and not sql[index - 1:index].isalnum():
            end = sql.find(tag.group(), tag.end())
            index = length if end < 0 else end + len(tag.group())
        elif char == ";":
            statements.append(sql[start:index])
            start = index = index + 1
        else:
            index += 1
    statements.append(sql[start:])
    return tuple(text for text in (strip_leading_comments(s) for s in statements) if text)
