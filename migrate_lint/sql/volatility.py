"""Which functions a column default calls that are not known to be immutable or stable.

PostgreSQL 11+ evaluates a non-volatile default once and stores it in the catalog; a volatile one is
evaluated for every existing row, and the table is rewritten. A function created without a
volatility is VOLATILE, so a call to a function this module does not know is treated as volatile,
unless the history itself creates it IMMUTABLE or STABLE.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Built-ins that are immutable or stable (pg_proc.provolatile 'i' or 's'), as defaults use them.
KNOWN = frozenset({
    "now", "current_timestamp", "statement_timestamp", "transaction_timestamp", "localtimestamp",
    "current_date", "current_time", "localtime", "current_setting", "current_user", "current_schema",
    "session_user", "timezone", "date_trunc", "date_part", "extract", "to_char", "to_date",
    "to_timestamp", "to_number", "make_date", "make_time", "make_timestamp", "make_timestamptz",
    "make_interval", "lower", "upper", "trim", "btrim", "ltrim", "rtrim", "replace", "substring",
    "substr", "left", "right", "length", "concat", "concat_ws", "md5", "abs", "round", "floor", "ceil",
    "coalesce", "nullif", "greatest", "least", "json_build_object", "jsonb_build_object",
    "json_build_array", "jsonb_build_array", "array_fill", "to_json", "to_jsonb", "row", "cast",
    "array", "interval", "lpad", "rpad", "format", "encode", "decode", "sha256",
})
# Type names written with a size, which read like calls: varchar(80), numeric(10, 2)
TYPES = frozenset({"varchar", "character", "char", "numeric", "decimal", "timestamp", "timestamptz",
                   "time", "timetz", "interval", "bit", "varbit", "float", "varying", "nvarchar"})
_STRING = re.compile(r"'(?:[^']|'')*'")
_CALL = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\(")
_DECLARED = r"(?i)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?P<name>[\w.\"]+)\s*\("
_NOT_VOLATILE = r"(?i)\b(?:IMMUTABLE|STABLE)\b"


def unknown_calls(default: str, declared: Iterable[str] = ()) -> list[str]:
    """Functions the default calls that are neither known built-ins nor declared non-volatile."""
    text = _STRING.sub("''", default)
    known = KNOWN | {name.lower() for name in declared}
    found = []
    for match in _CALL.finditer(text):
        name = match["name"].lower()
        short = name.rsplit(".", 1)[-1]
        before = text[:match.start()].rstrip().upper()
        if before.endswith("::") or before.endswith(" AS") or short in TYPES:
            continue  # a type with its size, in a cast
        if short not in known and name not in known:
            found.append(match["name"])
    return found


def declared_non_volatile(sql: str) -> str | None:
    """The function a CREATE FUNCTION ... IMMUTABLE|STABLE statement creates (lower case), else None."""
    match = re.match(_DECLARED, sql)
    if match and re.search(_NOT_VOLATILE, sql[match.end():]):
        name = match["name"].replace('"', "").lower()
        return name.rsplit(".", 1)[-1]
    return None
