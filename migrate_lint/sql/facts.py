"""The only module that imports sqlglot: parsing SQL text into facts the checks use."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

from migrate_lint.sql.names import (  # noqa: F401 - re-exported
    server_constraint_name,
    server_index_name,
    server_object_name,
)

SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}

# The patterns of this module are kept as text, compiled by `re` on first use and cached there: only
# SQL from op.execute() and renders reaches them, and compiling them all at import cost ~1.3 ms.


@lru_cache(maxsize=1)
def _sqlglot() -> Any:
    """sqlglot, imported on first use only (it costs ~0.12 s), with its fallback warnings quieted."""
    import logging

    import sqlglot

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # Command fallbacks are expected here
    return sqlglot


sqlglot_module = _sqlglot  # for the other modules of sql/


@lru_cache(maxsize=8192)
def parse_statement(sql: str, dialect: str) -> Any:
    """One statement as a sqlglot expression; what sqlglot cannot parse becomes exp.Command."""
    sqlglot = _sqlglot()
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        parsed = sqlglot.parse_one(sql, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except (SqlglotError, RecursionError):  # RecursionError: SQL nested deeper than sqlglot goes
        head, _, rest = sql.partition(" ")
        return exp.Command(this=head.upper(), expression=exp.Literal.string(rest))
    return parsed if parsed is not None else exp.Command(this=sql)


# --- Facts the lock and compatibility checks read from one statement -------------------------

# statement_timestamp(), now() and CURRENT_TIMESTAMP are stable: PostgreSQL 11+ stores the value once
# (checked on PostgreSQL 15: relfilenode unchanged); clock_timestamp() is volatile and rewrites.
VOLATILE = re.compile(r"\b(random|gen_random_uuid|uuid_generate_v\d\w*|uuid|clock_timestamp|"
                      r"timeofday|nextval|txid_current|newid)\s*\(", re.IGNORECASE)
_RENAME_COLUMN = (r"(?i)^ALTER TABLE\s+(?P<table>\S+)\s+RENAME\s+(?:COLUMN\s+)?(?P<old>\S+)\s+TO\s+"
                  r"(?P<new>\S+)$")
_RENAME_TABLE = (r"(?i)^(?:ALTER TABLE\s+(?:IF EXISTS\s+)?(?P<old>[^\s;]+)\s+RENAME TO\s+(?P<new>[^\s;]+)|"
                 r"RENAME TABLE\s+(?P<old2>[^\s;]+)\s+TO\s+(?P<new2>[^\s;]+))\s*;?$")
_MYSQL_CHANGE = (r"(?i)^ALTER TABLE\s+(?P<table>\S+)\s+CHANGE\s+(?:COLUMN\s+)?(?P<old>\S+)\s+"
                 r"(?P<new>\S+)\s")
_VALIDATE = r"(?i)^ALTER TABLE\s+(?:ONLY\s+)?(?P<table>\S+)\s+VALIDATE CONSTRAINT\s+(?P<name>\S+)$"
_ENUM_VALUE = r"(?i)^ALTER TYPE\s+(?P<type>\S+)\s+ADD VALUE"


def _name(node: Any) -> str:
    return str(node.name if hasattr(node, "name") else node).strip('"`').lower()


def _unquote(text: str) -> str:
    return text.strip('"`[]').rsplit(".", 1)[-1].strip('"`[]').lower()


def index_ddl(expression: Any) -> tuple[str, str, str, bool, bool] | None:
    """(action, index, table, concurrently, unique) for CREATE INDEX / DROP INDEX."""
    from sqlglot import exp

    if isinstance(expression, exp.Create) and str(expression.args.get("kind", "")).upper() == "INDEX":
        index = expression.this
        table = index.args.get("table") if isinstance(index, exp.Index) else None
        table_name = _name(table) if table is not None else ""
        named = index.this if isinstance(index, exp.Index) else index
        if named is None:  # CREATE INDEX ON t (...): the server names it
            params = index.args.get("params")
            columns = params.args.get("columns") if params is not None else None
            named = server_object_name(table_name, [_index_column(c.this) for c in columns or ()], "idx")
        return ("create", _name(named), table_name, bool(expression.args.get("concurrently")),
                bool(expression.args.get("unique")))
    if isinstance(expression, exp.Drop) and str(expression.args.get("kind", "")).upper() == "INDEX":
        tables = expression.args.get("tables") or [expression.this]
        return ("drop", _name(tables[0]), "", bool(expression.args.get("concurrently")), False)
    return None


def created_table(expression: Any) -> str | None:
    from sqlglot import exp

    if isinstance(expression, exp.Create) and str(expression.args.get("kind", "")).upper() == "TABLE":
        target = expression.this
        return _name(target.this if isinstance(target, exp.Schema) else target)
    return None


def _alter_actions(expression: Any) -> tuple[str, list[Any]]:
    from sqlglot import exp

    if isinstance(expression, exp.Alter) and str(expression.args.get("kind", "")).upper() == "TABLE":
        return _name(expression.this), list(expression.args.get("actions") or [])
    return "", []


def added_constraints(expression: Any) -> list[tuple[str, str, str, bool, str]]:
    """(table, name, kind, not_valid, check condition SQL) for each ADD CONSTRAINT."""
    from sqlglot import exp

    table, actions = _alter_actions(expression)
    not_valid = bool(expression.args.get("not_valid")) if table else False
    found = []
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            found += _column_constraints(table, action)
            continue
        if not isinstance(action, exp.AddConstraint):
            continue
        for item in action.expressions:
            name, parts = "", [item]
            if isinstance(item, exp.Constraint):
                name, parts = _name(item.this), list(item.expressions)
            for part in parts:
                kind = {exp.ForeignKey: "foreign key", exp.CheckColumnConstraint: "check",
                        exp.UniqueColumnConstraint: "unique", exp.PrimaryKey: "primary key",
                        exp.PrimaryKeyColumnConstraint: "primary key"}.get(type(part))
                if kind:
                    condition = part.this.sql() if kind == "check" and part.this is not None else ""
                    found.append((table, name, kind, not_valid, condition))
    return found


def _column_constraints(table: str, column: Any) -> list[tuple[str, str, str, bool, str]]:
    """Constraints written inside ADD COLUMN, named as PostgreSQL names them.

    UNIQUE and PRIMARY KEY build their index under the ALTER's ACCESS EXCLUSIVE lock. REFERENCES
    checks existing rows only when the column gets a value: with no default every row holds NULL
    and PostgreSQL 15 skips the check (0.6 ms on 2,000,000 rows, against 145 ms for ADD COLUMN then
    ADD FOREIGN KEY), and the referenced table's lock is the one NOT VALID would take, so that case
    is left out; with a default it checks every row (0.6 s). CHECK scans every row even when the
    column has no default (286 ms on 3,000,000 rows, against 0.5 ms without it)."""
    from sqlglot import exp

    if not table:
        return []
    col = _name(column.this)
    items = [(c.this, c.args.get("kind")) for c in column.args.get("constraints") or []]
    dtype = column.args.get("kind")
    has_default = any(isinstance(k, exp.DefaultColumnConstraint) for _, k in items) or (
        dtype is not None and "SERIAL" in dtype.sql("postgres").upper())
    found = []
    for given, kind in items:
        name = _name(given) if given is not None else ""
        if isinstance(kind, exp.UniqueColumnConstraint):
            found.append((table, name or f"{table}_{col}_key", "unique", False, ""))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            found.append((table, name or f"{table}_pkey", "primary key", False, ""))
        elif isinstance(kind, exp.Reference) and has_default:
            found.append((table, name or f"{table}_{col}_fkey", "foreign key", False, ""))
        elif isinstance(kind, exp.CheckColumnConstraint):
            condition = kind.this.sql() if kind.this is not None else ""
            found.append((table, name or f"{table}_{col}_check", "check", False, condition))
    return found


def added_columns(expression: Any) -> list[tuple[str, str, bool, str | None]]:
    """(table, column, not_null, default SQL or None) for each ADD COLUMN."""
    from sqlglot import exp

    table, actions = _alter_actions(expression)
    found = []
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            kinds = [c.args.get("kind") for c in action.args.get("constraints") or []]
            default = next((k.this.sql("postgres") for k in kinds
                            if isinstance(k, exp.DefaultColumnConstraint)), None)
            not_null = any((isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null"))
                           or isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds)
            found.append((table, _name(action.this), not_null, default))
    return found


def altered_columns(expression: Any) -> list[tuple[str, str, bool, str | None]]:
    """(table, column, sets NOT NULL, new type SQL or None) for each ALTER COLUMN."""
    from sqlglot import exp

    table, actions = _alter_actions(expression)
    found = []
    for action in actions:
        if isinstance(action, exp.AlterColumn):
            dtype = action.args.get("dtype")
            found.append((table, _name(action.this), action.args.get("allow_null") is False and
                          not action.args.get("drop"), dtype.sql("postgres") if dtype is not None else None))
        elif isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):
            column = action.this  # MySQL restates the whole definition: type and nullability
            kinds = [c.args.get("kind") for c in column.args.get("constraints") or []]
            not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null")
                           for k in kinds)
            dtype = column.args.get("kind")
            found.append((table, _name(column.this), not_null,
                          dtype.sql("mysql") if dtype is not None else None))
    return found


def renames(sql: str) -> list[tuple[str, str, str, str]]:
    """("column", table, old, new) or ("table", "", old, new): read from Alembic's fixed forms, and
    from SQL that ends its statement with a semicolon (`RENAME COLUMN new_id TO id;`)."""
    text = " ".join(sql.split()).rstrip("; ")
    if match := re.match(_RENAME_TABLE, text):
        old, new = match["old"] or match["old2"], match["new"] or match["new2"]
        return [("table", "", _unquote(old), _unquote(new))]
    match = re.match(_RENAME_COLUMN, text) or re.match(_MYSQL_CHANGE, text)
    if match and _unquote(match["old"]) != _unquote(match["new"]):
        return [("column", _unquote(match["table"]), _unquote(match["old"]), _unquote(match["new"]))]
    return []


def validated_constraint(sql: str) -> tuple[str, str] | None:
    match = re.match(_VALIDATE, " ".join(sql.split()))
    return (_unquote(match["table"]), _unquote(match["name"])) if match else None


def enum_value_added(sql: str) -> str | None:
    match = re.match(_ENUM_VALUE, " ".join(sql.split()))
    return _unquote(match["type"]) if match else None


def unfiltered_write(expression: Any) -> tuple[str, str] | None:
    """("UPDATE" | "DELETE", table) for a statement that touches every row: no WHERE."""
    from sqlglot import exp

    if isinstance(expression, exp.Update | exp.Delete) and expression.args.get("where") is None:
        table = expression.this
        return ("UPDATE" if isinstance(expression, exp.Update) else "DELETE", _name(table))
    return None


def split_statements(sql: str, dialect: str) -> list[str]:
    """Literal SQL from op.execute() as separate statements, as the render worker splits them."""
    from migrate_lint.sql.split import split_sql

    return list(split_sql(sql))


@dataclass(frozen=True)
class SqlFacts:
    """Everything the SQL rules read from one statement, computed once (in the rendering worker)."""

    index: tuple[str, str, str, bool, bool] | None = None
    created_table: str | None = None
    added_columns: tuple[tuple[str, str, bool, str | None], ...] = ()
    altered_columns: tuple[tuple[str, str, bool, str | None], ...] = ()
    constraints: tuple[tuple[str, str, str, bool, str], ...] = ()
    renames: tuple[tuple[str, str, str, str], ...] = ()
    validated: tuple[str, str] | None = None
    unfiltered: tuple[str, str] | None = None
    dropped: tuple[tuple[str, str, str], ...] = ()  # rawddl.dropped: tables and columns
    blocking: tuple[tuple[str, str, str], ...] = ()  # rawddl.blocking: LOCK, REINDEX, triggers

    def to_json(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self)]

    @classmethod
    def from_json(cls, values: list[Any]) -> SqlFacts:
        def tuples(value: Any) -> Any:
            return tuple(tuples(v) for v in value) if isinstance(value, list) else value

        return cls(*(tuples(v) for v in values))


INTERESTING = ("CREATE", "ALTER", "DROP", "UPDATE", "DELETE", "RENAME", "LOCK", "REINDEX")
# A statement holds one of the facts above only if it contains one of these words; the rest
# (a plain ADD COLUMN, DROP COLUMN, ...) are not worth parsing. Keep in step with SqlFacts.
FACT_WORDS = (r"(?i)\b(INDEX|DEFAULT|CONSTRAINT|FOREIGN|UNIQUE|CHECK|PRIMARY|TYPE|MODIFY|CHANGE|"
              r"RENAME|NOT NULL|TABLE\s+\S+\s*\(|VALIDATE)\b|^\s*(UPDATE|DELETE|CREATE TABLE)")


# Alembic writes index DDL and CREATE TABLE heads in one fixed form: read those without a parser.
# The index name is optional (CREATE INDEX [CONCURRENTLY] ON t (c)): the server then names it.
_INDEX = (r"(?is)^CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?P<concurrently>CONCURRENTLY\s+)?"
          r"(?:IF NOT EXISTS\s+)?(?:(?!ON\s)(?P<name>[\w\"`.]+)\s+)?ON\s+(?:ONLY\s+)?"
          r"(?P<table>[\w\"`.]+)(?:\s+USING\s+\w+)?\s*\((?P<columns>[^;]*)\)$")
_DROP_INDEX = (r"(?i)^DROP\s+INDEX\s+(?P<concurrently>CONCURRENTLY\s+)?(?:IF EXISTS\s+)?"
               r"(?P<names>[\w\"`.]+(?:\s*,\s*[\w\"`.]+)*)(?:\s+(?:CASCADE|RESTRICT))?$")
_CREATE_TABLE = r"(?i)^CREATE\s+TABLE\s+(?:IF NOT EXISTS\s+)?(?P<table>[\w\"`.]+)\s*\("


_ADD_CONSTRAINT = (r"(?is)^ALTER TABLE\s+(?P<table>[\w\"`.]+)\s+ADD\s+"
                   r"(?:CONSTRAINT\s+(?P<name>[\w\"`.]+)\s+)?"
                   r"(?P<kind>CHECK|UNIQUE|FOREIGN KEY|PRIMARY KEY)\b"
                   r"(?P<body>.*?)(?P<not_valid>\s+NOT VALID)?$")


def _constraint_from_text(sql: str) -> tuple[str, str, str, bool, str] | None:
    """ADD [CONSTRAINT n] CHECK|UNIQUE|... where sqlglot falls back to a Command (unnamed CHECK)."""
    match = re.match(_ADD_CONSTRAINT, " ".join(sql.split()))
    if not match:
        return None
    kind = match["kind"].lower()
    condition = match["body"].strip()[1:-1].strip() if kind == "check" else ""
    name = _unquote(match["name"] or "")
    return (_unquote(match["table"]), name, kind, bool(match["not_valid"]), condition)


def _canonical_facts(sql: str) -> SqlFacts | None:
    text = sql.strip()
    if match := re.match(_INDEX, text):
        table = _unquote(match["table"])
        name = _unquote(match["name"]) if match["name"] else server_index_name(table, match["columns"])
        return SqlFacts(index=("create", name, table, bool(match["concurrently"]), bool(match["unique"])))
    if match := re.match(_DROP_INDEX, text):  # DROP INDEX a, b: the first is the fact, all are drops
        names = [_unquote(n.strip()) for n in match["names"].split(",")]
        return SqlFacts(index=("drop", names[0], "", bool(match["concurrently"]), False),
                        dropped=tuple(("index", "", n) for n in names) if len(names) > 1 else ())
    if (match := re.match(_CREATE_TABLE, text)) and not re.search(r"\bAS\s+SELECT\b", text, re.IGNORECASE):
        return SqlFacts(created_table=_unquote(match["table"]))
    return None


_RAW_WORDS = r"(?i)^\s*(?:DROP\s+TABLE|LOCK|REINDEX)\b|\bDROP\b|\bTRIGGER\b"


@lru_cache(maxsize=8192)
def facts_of(sql: str, dialect: str) -> SqlFacts:
    if not sql.lstrip()[:8].upper().startswith(INTERESTING):
        return SqlFacts()
    if sql[:10].upper() == "DROP INDEX" and (known := _canonical_facts(sql)) is not None:
        return known
    raw = _raw_facts(sql) if re.search(_RAW_WORDS, sql) else SqlFacts()
    if not re.search(FACT_WORDS, sql) or raw.blocking or (raw.dropped and raw.dropped[0][0] == "table"):
        return raw
    facts = _parsed_facts(sql, dialect)
    return replace(facts, dropped=raw.dropped) if raw.dropped else facts


# A plain ADD COLUMN (no DEFAULT, NOT NULL or constraint) is not parsed for facts: its table and
# columns are read from the text
_ALTER_TABLE = re.compile(r'^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?\s',
                          re.IGNORECASE)
_ADD_COLUMN = re.compile(r'\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?', re.IGNORECASE)


def columns_added(sql: str, facts: SqlFacts) -> list[tuple[str, str, bool, str | None]]:
    """(table, column, not_null, default SQL or None) of each column the statement adds: the parsed
    facts, or for a plain ADD COLUMN, which is not parsed, the text's (nullable, no default)."""
    if facts.added_columns:
        return list(facts.added_columns)
    table = _ALTER_TABLE.match(sql)
    if table is None or re.search(FACT_WORDS, sql):
        return []
    return [(table[1], column, False, None) for column in _ADD_COLUMN.findall(sql, table.end())]


def _raw_facts(sql: str) -> SqlFacts:
    from migrate_lint.sql import rawddl

    return SqlFacts(dropped=rawddl.dropped(sql), blocking=rawddl.blocking(sql))


def _parsed_facts(sql: str, dialect: str) -> SqlFacts:
    if (known := _canonical_facts(sql)) is not None:
        return known
    expression = parse_statement(sql, dialect)
    if type(expression).__name__ == "Command" and (constraint := _constraint_from_text(sql)):
        return SqlFacts(constraints=(constraint,))
    return SqlFacts(
        index=index_ddl(expression), created_table=created_table(expression),
        added_columns=tuple(added_columns(expression)), altered_columns=tuple(altered_columns(expression)),
        constraints=tuple(added_constraints(expression)), renames=tuple(renames(sql)),
        validated=validated_constraint(sql), unfiltered=unfiltered_write(expression))


def _index_column(column: Any) -> str:
    """What PostgreSQL names an index column after: its name, a function call's name, or expr."""
    from sqlglot import exp

    if isinstance(column, exp.Column):
        return _name(column)
    if isinstance(column, exp.Func):
        return (column.name if isinstance(column, exp.Anonymous) else column.sql_name()).lower()
    return "expr"
