"""The names PostgreSQL and SQLAlchemy give objects the code leaves unnamed, so findings say them."""

from __future__ import annotations

import re

from migrate_lint.sql.rawddl import unquote as _unquote


def _flatten(text: str) -> str:
    """Drop parenthesised parts: lower(c), d -> lower, d."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text


def server_index_name(table: str, columns: str) -> str:
    """The name PostgreSQL gives an unnamed index: <table>_<first column>_idx (expressions: _expr)."""
    first = _flatten(columns).split(",")[0].strip().split()[0] if columns.strip() else ""
    column = _unquote(first) if re.fullmatch(r'[\w"`]+', first or "") else "expr"
    return f"{table}_{column}_idx"


_CONSTRAINT_COLUMNS = re.compile(r"\b(?:FOREIGN KEY|UNIQUE|PRIMARY KEY)\s*\((?P<columns>[^)]*)\)",
                                 re.IGNORECASE)
_CHECK_WORDS = re.compile(r'"([^"]+)"|\b([A-Za-z_]\w*)\b(?!\s*\()')
_SQL_WORDS = frozenset({"and", "or", "not", "is", "null", "in", "between", "like", "ilike", "true", "false",
                        "check", "any", "all", "similar", "to", "escape", "case", "when", "then", "else",
                        "end", "cast", "as", "constraint", "collate", "distinct", "from", "no", "inherit"})


def server_constraint_name(table: str, kind: str, sql: str, condition: str = "") -> str:
    """The name PostgreSQL chooses for an unnamed constraint: <table>_pkey, <table>_<cols>_key,
    <table>_<cols>_fkey, <table>_<column>_check (one column referenced) or <table>_check."""
    if kind == "primary key":
        return f"{table}_pkey"
    if kind == "check":
        text = re.sub(r"'(?:[^']|'')*'", "", condition)  # string literals name no column
        words = {_unquote(q or w) for q, w in _CHECK_WORDS.findall(text)} - _SQL_WORDS
        words = {w for w in words if not w.isdigit() and not re.fullmatch(r"\d\w*", w)}
        return f"{table}_{words.pop()}_check" if len(words) == 1 else f"{table}_check"
    match = _CONSTRAINT_COLUMNS.search(sql)
    columns = [_unquote(c.strip()) for c in match["columns"].split(",")] if match else []
    suffix = "fkey" if kind == "foreign key" else "key"
    return "_".join([table, *columns, suffix]) if columns and "unknown" not in columns else "unnamed"
