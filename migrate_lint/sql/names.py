"""The names PostgreSQL and SQLAlchemy give objects the code leaves unnamed, so findings say them."""

from __future__ import annotations

import hashlib
import re

from migrate_lint.sql.rawddl import top_level_split
from migrate_lint.sql.rawddl import unquote as _unquote


def is_name(text: str) -> bool:
    """A real (possibly quoted or schema-qualified) name, not an expression or "each t of the loop"."""
    return bool(re.fullmatch(r'[\w$."`]+', text))


NAME_LENGTH = 63  # NAMEDATALEN - 1


def server_object_name(table: str, columns: list[str], label: str) -> str:
    """PostgreSQL's makeObjectName: <table>_<columns joined by _>_<label>, the longer of the two
    parts shortened a character at a time until the whole fits in 63 bytes."""
    joined = ""
    for column in columns:  # ChooseIndexNameAddition: stops once the list is long enough
        joined = f"{joined}_{column}" if joined else column
        if len(joined) >= NAME_LENGTH + 1:
            break
    name1, name2 = len(table), len(joined)
    available = NAME_LENGTH - (len(label) + 1) - (1 if joined else 0)
    while name1 + name2 > available:
        if name1 > name2:
            name1 -= 1
        else:
            name2 -= 1
    return "_".join(part for part in (table[:name1], joined[:name2], label) if part)


def server_index_name(table: str, columns: str) -> str:
    """The name PostgreSQL gives an unnamed index: <table>_<its columns>_idx (an expression: expr,
    a function call: the function's name), shortened as the server does."""
    if not is_name(table):
        return "unnamed"  # built from a table the code computes: no name can be known
    return server_object_name(table, [_index_column(part) for part in top_level_split(columns)], "idx")


def _index_column(part: str) -> str:
    """What PostgreSQL names an index column after: its name, or a function call's name, or expr."""
    words = part.split()
    if re.fullmatch(r'[\w"`]+', words[0]):
        return _unquote(words[0])
    call = re.match(r"(\w+)\s*\(", part)
    return call[1].lower() if call else "expr"


_CONSTRAINT_COLUMNS = r"(?i)\b(?:FOREIGN KEY|UNIQUE|PRIMARY KEY)\s*\((?P<columns>[^)]*)\)"
_CHECK_WORDS = r'"([^"]+)"|\b([A-Za-z_]\w*)\b(?!\s*\()'
_SQL_WORDS = frozenset({"and", "or", "not", "is", "null", "in", "between", "like", "ilike", "true", "false",
                        "check", "any", "all", "similar", "to", "escape", "case", "when", "then", "else",
                        "end", "cast", "as", "constraint", "collate", "distinct", "from", "no", "inherit"})


def server_constraint_name(table: str, kind: str, sql: str, condition: str = "") -> str:
    """The name PostgreSQL chooses for an unnamed constraint: <table>_pkey, <table>_<cols>_key,
    <table>_<cols>_fkey, <table>_<column>_check (one column referenced) or <table>_check."""
    if not is_name(table):
        return "unnamed"  # built from a table the code computes: no name can be known
    if kind == "primary key":
        return f"{table}_pkey"
    if kind == "check":
        text = re.sub(r"'(?:[^']|'')*'", "", condition)  # string literals name no column
        words = {_unquote(q or w) for q, w in re.findall(_CHECK_WORDS, text)} - _SQL_WORDS
        words = {w for w in words if not w.isdigit() and not re.fullmatch(r"\d\w*", w)}
        return f"{table}_{words.pop()}_check" if len(words) == 1 else f"{table}_check"
    match = re.search(_CONSTRAINT_COLUMNS, sql)
    columns = [_stored(c.strip()) for c in match["columns"].split(",")] if match else []
    suffix = "fkey" if kind == "foreign key" else "key"
    return server_object_name(table, columns, suffix) if columns and "unknown" not in columns else "unnamed"


_CLAUSES = {"foreign key": "FOREIGN KEY", "unique": "UNIQUE", "primary key": "PRIMARY KEY"}


def server_name_of(table: str, kind: str, columns: object = None, condition: object = "") -> str:
    """server_constraint_name() for a constraint known by its parts (an op.create_* call's columns or
    condition) rather than its SQL; "unnamed" where they are not literals."""
    if kind == "check":
        return server_constraint_name(table, kind, "", condition) if isinstance(condition, str) \
            else f"{table}_check"
    if kind == "primary key":
        return server_constraint_name(table, kind, "")
    if not isinstance(columns, list | tuple) or not columns or not all(isinstance(c, str) for c in columns):
        return "unnamed"
    # SQLAlchemy quotes a name that is not all lower case, and the server keeps its case
    quoted = (f'"{c}"' if c != c.lower() else c for c in columns)
    return server_constraint_name(table, kind, f"{_CLAUSES[kind]} ({', '.join(quoted)})")


def _stored(identifier: str) -> str:
    """A column as PostgreSQL stores its name: a quoted one as written ("Warehouse_id" makes
    purchase_orders_Warehouse_id_fkey), any other folded to lower case."""
    bare = identifier.rsplit(".", 1)[-1]
    return bare[1:-1] if len(bare) > 1 and bare[0] == bare[-1] == '"' else _unquote(bare)


# PostgreSQL's reserved key words (and those reserved as names of tables or columns) that real
# schemas use as table or column names; an SQL line in help text must quote them.
RESERVED = frozenset({
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "authorization", "between", "binary",
    "both", "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint",
    "create", "cross", "current_catalog", "current_date", "current_role", "current_schema",
    "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct",
    "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant",
    "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join",
    "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not",
    "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary",
    "references", "returning", "right", "select", "session_user", "similar", "some", "symmetric",
    "system_user", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique", "user",
    "using", "variadic", "verbose", "when", "where", "window", "with"})


def sql_ident(name: str, mysql: bool = False) -> str:
    """A name as it must be written in SQL: quoted when reserved, upper-case or not a plain word.
    MySQL keeps an unquoted name's case, and reads double quotes as a string: it quotes with
    backquotes, only a reserved name or one that is not a plain word."""
    if mysql:
        if name.lower() in RESERVED or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", name):
            return "`" + name.replace("`", "``") + "`"
        return name
    if name in RESERVED or not re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return '"' + name.replace('"', '""') + '"'
    return name


def as_written(sql: str, name: str, code_name: str | None = None) -> str:
    """A name the facts lower-case as the code or the SQL spells it: the call's own literal, or a
    quoted identifier, keeps its case, which the convention's hash and every statement that names it
    again must use (an unquoted name in SQL is lower case to the server)."""
    if not name:
        return name
    if code_name is not None and code_name.lower() == name:
        return code_name
    match = re.search(rf'["`]({re.escape(name)})["`]', sql, re.IGNORECASE)  # MySQL quotes with backquotes
    return match[1] if match else name


CONVENTION_KEYS = {"foreign key": "fk", "check": "ck", "unique": "uq", "primary key": "pk", "index": "ix"}
BY_CONVENTION = "<the name the project's naming convention gives it>"
_TOKEN = r"%\((\w+)\)s"
_REFERENCES = r"(?i)\bREFERENCES\s+(?P<table>[\w\".]+)\s*(?:\((?P<columns>[^)]*)\))?"


def convention_name(templates: dict[str, str | None], kind: str, table: str, given: str,
                    sql: str, columns: list[str] | None = None, max_length: int = 63,
                    unique: bool = False) -> str | None:
    """The name SQLAlchemy gives a constraint under the project's naming convention: None where the
    convention does not name this kind (the usual name stands), BY_CONVENTION where it does but
    cannot be worked out from the source (a template that is not a literal, a token of its own)."""
    key = CONVENTION_KEYS.get(kind)
    if key not in templates:
        return None
    template = templates[key]
    if template is None:
        return BY_CONVENTION
    if given and "%(constraint_name)s" not in template:
        return None  # a given name stands unless the template builds on it
    template = re.sub(_TOKEN, lambda m: m.group(0) if (own := _own_token(templates, m.group(1), unique))
                      is None else own, template)
    if columns is None:
        match = re.search(_CONSTRAINT_COLUMNS, sql)
        columns = [_stored(c.strip()) for c in match["columns"].split(",")] if match else []
    refers = re.search(_REFERENCES, sql)
    referred = _unquote(refers["table"]).rsplit(".", 1)[-1] if refers else ""
    referred_columns = [_unquote(c.strip()) for c in (refers["columns"] or "").split(",")] if refers else []
    values = {"table_name": table.rsplit(".", 1)[-1], "constraint_name": given,
              "referred_table_name": referred}
    if columns:
        values |= {"column_0_name": columns[0], "column_0N_name": "".join(columns),
                   "column_0_N_name": "_".join(columns),
                   # SQLAlchemy's label of a column of a table in a schema starts with the schema
                   "column_0_label": f"{table.replace('.', '_')}_{columns[0]}"}
    if referred_columns and referred_columns[0]:
        values["referred_column_0_name"] = referred_columns[0]
    tokens = re.findall(_TOKEN, template)
    if any(not values.get(token) for token in tokens):
        return BY_CONVENTION
    return truncated(re.sub(_TOKEN, lambda m: values[m.group(1)], template), max_length)


def _own_token(templates: dict[str, str | None], token: str, unique: bool) -> str | None:
    """A token the project defines (see revisions.naming), as SQLAlchemy's own tokens or text."""
    value = templates.get(token) if token not in CONVENTION_KEYS.values() else None
    if value is None or not value.startswith("?unique:"):
        return value
    _, if_unique, otherwise = value.split(":", 2)
    return if_unique if unique else otherwise


def truncated(name: str, max_length: int) -> str:
    """A convention name as SQLAlchemy sends it when it is longer than the server allows: cut, with
    the last four hex digits of its MD5 (checked with SQLAlchemy 2 on the PostgreSQL dialect)."""
    if len(name) <= max_length:
        return name
    return f"{name[:max_length - 8]}_{hashlib.md5(name.encode()).hexdigest()[-4:]}"
