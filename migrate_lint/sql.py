"""The only module that imports sqlglot: parsing SQL text into facts the checks use."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1024)
def updated_columns(sql: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The (table, columns) pairs that the UPDATE statements in a SQL text assign."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = sqlglot.parse(sql)
    except SqlglotError:
        return ()
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
