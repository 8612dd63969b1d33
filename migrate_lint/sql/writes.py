"""What the data statements of a SQL text write, and what the values they write are read from.

An UPDATE backfills the columns it assigns; an INSERT fills the columns it names, but only in the
rows it adds (a backfill only of a table that was empty before it); a DELETE without WHERE or a
TRUNCATE empties a table. Which columns the written values are computed from tells a real copy (a
dropped column's values moved elsewhere) from an UPDATE or INSERT of constants.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from migrate_lint.sql.facts import sqlglot_module

ANY = "*"  # a column list the statement does not give (INSERT INTO t SELECT ...), or a table it does not tell


class Write(NamedTuple):
    """kind: "update" (assigns the columns, or a DELETE that removes the rows where they are NULL,
    or a SELECT of those rows for the code to handle),
    "insert" (INSERT ... SELECT), "seed" (INSERT ... VALUES) or "empty". reads: "table.column" of
    what the written values are computed from, the table ANY where the SQL does not tell it; None
    where the text was read by pattern only, or the values are parameters the code passes."""

    kind: str
    table: str
    columns: frozenset[str]
    reads: frozenset[str] | None = None


# Driver placeholders (%s, %(name)s, :name) stop sqlglot; for an UPDATE the table and the
# assigned columns can still be read safely from the text, and for an INSERT the columns it names.
_UPDATE = (r"(?is)^\s*UPDATE\s+(?:OR\s+\w+\s+)?(?:ONLY\s+)?(?P<table>[\w.\"`\[\]]+)"
           r"(?:\s+(?:AS\s+)?\w+)?\s+SET\s+"
           r"(?P<assignments>.*?)(?:\bWHERE\b|\bFROM\b|;|$)")
_ASSIGNED = r"(?:^|,)\s*[\"`\[]?(\w+)[\"`\]]?\s*=(?!=)"
_INSERT = r"(?is)^\s*INSERT\s+INTO\s+(?P<table>[\w.\"`\[\]]+)\s*\((?P<columns>[^()]*)\)"
_EMPTY = (r"(?is)^\s*(?:DELETE\s+FROM\s+(?:ONLY\s+)?(?P<table>[\w.\"`\[\]]+)\s*$|"
          r"TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<truncated>[\w.\"`\[\]]+)\s*(?:CASCADE|RESTRICT)?\s*$)")

# DELETE FROM t WHERE a IS NULL [OR b IS NULL]: the rows that hold NULL are gone, as after a backfill
_DELETE_NULLS = (r"(?is)^\s*DELETE\s+FROM\s+(?:ONLY\s+)?(?P<table>[\w.\"`\[\]]+)\s+"
                 r"(?:AS\s+\w+\s+)?WHERE\s+(?P<condition>.*)$")
_IS_NULL = r"(?i)[\"`\[]?(\w+)[\"`\]]?\s+IS\s+NULL\s*;?"


@lru_cache(maxsize=1024)
def data_writes(sql: str) -> tuple[Write, ...]:
    """The writes of the UPDATE, INSERT, DELETE and TRUNCATE statements in a SQL text (those
    nested in a WITH too), in their order."""
    sqlglot = sqlglot_module()
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statements = sqlglot.parse(sql)
    except (SqlglotError, RecursionError):  # RecursionError: SQL nested deeper than sqlglot goes
        return _writes_by_pattern(sql)
    found: list[Write] = []
    for statement in statements:
        if statement is None:
            continue
        if isinstance(statement, exp.Select):
            found.extend(_null_rows(statement, exp))
            continue
        if isinstance(statement, exp.TruncateTable):
            found.extend(Write("empty", t.name, frozenset()) for t in statement.expressions
                         if isinstance(t, exp.Table))
            continue
        nodes = [statement] if isinstance(statement, exp.Delete) else \
            sorted(statement.find_all(exp.Insert, exp.Update), key=lambda n: n.depth, reverse=True)
        for node in nodes:  # a WITH's INSERT runs before the UPDATE that reads what it returns
            write = _write(node, exp)
            if write is not None:
                found.append(write)
    return tuple(found)


def _write(node: Any, exp: Any) -> Write | None:
    if isinstance(node, exp.Delete):
        return _delete(node, exp)
    if isinstance(node, exp.Update):
        if not isinstance(node.this, exp.Table):
            return None
        targets = [eq.left for eq in node.expressions
                   if isinstance(eq, exp.EQ) and isinstance(eq.left, exp.Column)]
        if not targets:
            return None
        given = any(eq.expression.find(exp.Placeholder) for eq in node.expressions if isinstance(eq, exp.EQ))
        return Write("update", node.this.name, frozenset(t.name for t in targets),
                     None if given else _reads(node, {id(t) for t in targets}, exp))
    return _insert(node, exp)


def _delete(node: Any, exp: Any) -> Write | None:
    if not isinstance(node.this, exp.Table):
        return None
    where = node.args.get("where")
    if where is None:
        return Write("empty", node.this.name, frozenset())
    disjuncts = list(where.this.flatten()) if isinstance(where.this, exp.Or) else [where.this]
    if all(isinstance(d, exp.Is) and isinstance(d.this, exp.Column) and isinstance(d.expression, exp.Null)
           for d in disjuncts):
        return Write("update", node.this.name, frozenset(d.this.name for d in disjuncts))
    return None


def _null_rows(select: Any, exp: Any) -> list[Write]:
    """SELECT ... WHERE c IS NULL [OR d IS NULL]: the revision looks up the rows that hold NULL to
    handle them (to fill, delete or refuse them: backend.ai deletes the keypairs it finds with no
    secret key), so they count as handled, as after a DELETE of the same rows."""
    where = select.args.get("where")
    if where is None:
        return []
    disjuncts = list(where.this.flatten()) if isinstance(where.this, exp.Or) else [where.this]
    if not all(isinstance(d, exp.Is) and isinstance(d.this, exp.Column) and isinstance(d.expression, exp.Null)
               for d in disjuncts):
        return []
    tables = {table.alias_or_name.lower(): table.name for table in select.find_all(exp.Table)}
    only = next(iter(set(tables.values()))) if len(set(tables.values())) == 1 else None
    found: dict[str, set[str]] = {}
    for test in disjuncts:
        table = tables.get(test.this.table.lower()) if test.this.table else only
        if table:
            found.setdefault(table, set()).add(test.this.name)
    return [Write("update", table, frozenset(columns)) for table, columns in found.items()]


def _insert(node: Any, exp: Any) -> Write | None:
    target = node.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return None
    names = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
    source = node.expression
    if source is not None and source.find(exp.Placeholder):
        source = None  # values the code passes in: what they are read from, the SQL does not tell
    if not names:
        kind = "seed" if isinstance(source, exp.Values) else "insert"
        return Write(kind, table.name, frozenset({ANY}), _reads(source, set(), exp) if source else None)
    if isinstance(source, exp.Values):
        rows = [row.expressions for row in source.expressions if isinstance(row, exp.Tuple)]
        # a column every row gives NULL stays NULL: it is not filled
        written = [name for i, name in enumerate(names)
                   if not rows or not all(i < len(row) and isinstance(row[i], exp.Null) for row in rows)]
        return Write("seed", table.name, frozenset(written), frozenset())
    if isinstance(source, exp.Select):
        values = [v.this if isinstance(v, exp.Alias) else v for v in source.expressions]
        written = [name for i, name in enumerate(names)
                   if not (i < len(values) and isinstance(values[i], exp.Null))]
        return Write("insert", table.name, frozenset(written), _reads(source, set(), exp))
    return Write("insert", table.name, frozenset(names), _reads(source, set(), exp) if source else None)


def _reads(node: Any, skip: set[int], exp: Any) -> frozenset[str]:
    """"table.column" of every column the statement reads (its SET targets left out): a qualifier
    resolved through the statement's aliases, an unqualified column given the one table its query
    reads from, or ANY where it reads from several."""
    aliases = {t.alias_or_name.lower(): t.name.lower() for t in node.find_all(exp.Table)}
    found = set()
    for column in node.find_all(exp.Column, exp.Star):
        if id(column) in skip or isinstance(column.parent, exp.Column) or \
                (isinstance(column, exp.Star) and not isinstance(column.parent, exp.Select)):
            continue  # t.* is read as its Column; count(*) reads no column
        qualifier = column.table.lower() if isinstance(column, exp.Column) else ""
        table = aliases.get(qualifier, qualifier) if qualifier else _only_source(column, exp)
        found.add(f"{table}.{column.name.lower() if isinstance(column, exp.Column) else ANY}")
    return frozenset(found)


def _only_source(column: Any, exp: Any) -> str:
    """The one table the innermost query around an unqualified column reads from, else ANY."""
    scope = column.parent
    while scope is not None and not isinstance(scope, exp.Select | exp.Update | exp.Delete):
        scope = scope.parent
    if scope is None:
        return ANY
    sources = [scope.this] if isinstance(scope, exp.Update | exp.Delete) else []
    origin = scope.args.get("from_") or scope.args.get("from")  # sqlglot 26 renamed the key
    sources += [origin.this] if origin is not None else []
    sources += [join.this for join in scope.args.get("joins") or ()]
    tables = [s for s in sources if isinstance(s, exp.Table)]
    return tables[0].name.lower() if len(tables) == 1 == len(sources) else ANY


def _writes_by_pattern(sql: str) -> tuple[Write, ...]:
    found = []
    for statement in sql.split(";"):
        if match := re.match(_UPDATE, statement):
            kind, columns = "update", frozenset(re.findall(_ASSIGNED, _flatten(match["assignments"])))
        elif match := re.match(_DELETE_NULLS, statement):
            disjuncts = [re.fullmatch(_IS_NULL, d.strip())
                         for d in re.split(r"(?i)\s+OR\s+", match["condition"])]
            kind = "update"
            columns = frozenset(d[1] for d in disjuncts if d) if all(disjuncts) else frozenset()
        elif match := re.match(_INSERT, statement):
            kind = "seed" if re.search(r"(?i)\bVALUES\b", statement) else "insert"
            columns = frozenset(_unquote(c) for c in match["columns"].split(",") if c.strip())
        elif match := re.match(_EMPTY, statement):
            found.append(Write("empty", _unquote(match["table"] or match["truncated"]), frozenset()))
            continue
        else:
            continue
        if columns:
            found.append(Write(kind, _unquote(match["table"]), columns))
    return tuple(found)


# UPDATE t SET c = <literal>, with no WHERE or only WHERE c IS NULL: one constant written into one column
_CONSTANT_UPDATE = re.compile(r"""(?is)^\s*UPDATE\s+(?P<table>\S+)\s+SET\s+"?(?P<column>\w+)"?\s*=\s*"""
                              r"(?P<value>-?\d+(?:\.\d+)?|'(?:[^']|'')*'|TRUE|FALSE)"
                              r"""(?:\s+WHERE\s+"?(?P=column)"?\s+IS\s+NULL)?\s*;?\s*$""")


def constant_update(sql: str, source: str | None = None) -> tuple[str, str, str] | None:
    """(table, unquoted and without its schema; column as written; the literal) of an UPDATE with no
    WHERE (or only `WHERE column IS NULL`: every row of a column the revision just added) that writes
    one literal into one column of every row; None for any other statement. With
    the revision's `source`, only a literal the code writes: a rendered bind parameter the code
    computes as it runs (`text(...).bindparams(date=datetime.utcnow())`) is no constant."""
    match = _CONSTANT_UPDATE.match(sql)
    if not match or (source is not None and match["value"].strip("'") not in source):
        return None
    return _unquote(match["table"]), match["column"], match["value"]


def _unquote(name: str) -> str:
    return re.sub(r"[\"`\[\]]", "", name.strip()).rsplit(".", 1)[-1]


def _flatten(text: str) -> str:
    """Drop parenthesised parts so commas inside function calls do not split assignments."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return text
