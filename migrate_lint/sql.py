"""The only module that imports sqlglot: parsing SQL text into facts the checks use."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}

# Driver placeholders (%s, %(name)s, :name) stop sqlglot; for an UPDATE the table and the
# assigned columns can still be read safely from the text.
_UPDATE = re.compile(r"^\s*UPDATE\s+(?:ONLY\s+)?(?P<table>[\w.\"`\[\]]+)(?:\s+(?:AS\s+)?\w+)?\s+SET\s+"
                     r"(?P<assignments>.*?)(?:\bWHERE\b|\bFROM\b|;|$)", re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r"(?:^|,)\s*[\"`\[]?(\w+)[\"`\]]?\s*=(?!=)")


def _updates_by_pattern(sql: str) -> tuple[tuple[str, frozenset[str]], ...]:
    found = []
    for statement in sql.split(";"):
        match = _UPDATE.match(statement)
        if match:
            table = re.sub(r"[\"`\[\]]", "", match["table"]).rsplit(".", 1)[-1]
            columns = frozenset(_ASSIGNED.findall(_flatten(match["assignments"])))
            if columns:
                found.append((table, columns))
    return tuple(found)


def _flatten(text: str) -> str:
    """Drop parenthesised parts so commas inside function calls do not split assignments."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text


@lru_cache(maxsize=1024)
def updated_columns(sql: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The (table, columns) pairs that the UPDATE statements in a SQL text assign."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = sqlglot.parse(sql)
    except SqlglotError:
        return _updates_by_pattern(sql)
    found = []
    for statement in statements:
        if not isinstance(statement, exp.Update) or not isinstance(statement.this, exp.Table):
            continue
        columns = frozenset(
            eq.left.name for eq in statement.expressions
            if isinstance(eq, exp.EQ) and isinstance(eq.left, exp.Column)
        )
        if columns:
            found.append((statement.this.name, columns))
    return tuple(found)


@lru_cache(maxsize=8192)
def parse_statement(sql: str, dialect: str) -> Any:
    """One statement as a sqlglot expression; what sqlglot cannot parse becomes exp.Command."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # Command fallbacks are expected here
    try:
        parsed = sqlglot.parse_one(sql, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except SqlglotError:
        head, _, rest = sql.partition(" ")
        return exp.Command(this=head.upper(), expression=exp.Literal.string(rest))
    return parsed if parsed is not None else exp.Command(this=sql)
