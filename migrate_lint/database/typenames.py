"""Canonical type names and server defaults per dialect, so that equivalent spellings compare equal."""

from __future__ import annotations

import re
from typing import Any

# Spellings that name the same stored type, per dialect (after upper-casing and spacing).
SYNONYMS: dict[str, dict[str, str]] = {
    "postgresql": {
        "FLOAT": "DOUBLE PRECISION", "FLOAT(53)": "DOUBLE PRECISION", "DOUBLE": "DOUBLE PRECISION",
        "FLOAT8": "DOUBLE PRECISION", "REAL": "REAL", "FLOAT(24)": "REAL", "FLOAT4": "REAL",
        "INT": "INTEGER", "INT4": "INTEGER", "SERIAL": "INTEGER", "INT8": "BIGINT", "BIGSERIAL": "BIGINT",
        "INT2": "SMALLINT", "BOOL": "BOOLEAN",
        "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP", "TIME WITHOUT TIME ZONE": "TIME",
        "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "DATETIME": "TIMESTAMP",
        "DECIMAL": "NUMERIC", "CHARACTER VARYING": "VARCHAR", "CHARACTER": "CHAR",
    },
    "mysql": {
        "BOOL": "TINYINT(1)", "BOOLEAN": "TINYINT(1)", "INT": "INTEGER", "DOUBLE PRECISION": "DOUBLE",
        "DECIMAL": "NUMERIC", "REAL": "DOUBLE",
    },
    "sqlite": {
        # SQLite stores by affinity: these are the same column to it.
        "DOUBLE": "FLOAT", "DOUBLE PRECISION": "FLOAT", "REAL": "FLOAT", "INT": "INTEGER",
        "BOOL": "BOOLEAN", "DECIMAL": "NUMERIC",
    },
}
SYNONYMS["mariadb"] = {**SYNONYMS["mysql"], "JSON": "LONGTEXT"}  # MariaDB's JSON is a LONGTEXT alias
DISPLAY_WIDTH = re.compile(r"^(TINYINT|SMALLINT|MEDIUMINT|INTEGER|INT|BIGINT)\(\d+\)")
NOW = {"NOW()", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP()", "LOCALTIMESTAMP", "LOCALTIMESTAMP()",
       "TRANSACTION_TIMESTAMP()", "STATEMENT_TIMESTAMP()", "CURRENT_TIMESTAMP(6)", "NOW(6)"}


def compiled(type_: Any, dialect: Any) -> str:
    """A type as the dialect writes it in DDL; a type it cannot write is shown as Python spells it."""
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # CompileError and friends: a type this dialect has no DDL for
        return repr(type_)


def canonical(text: str, dialect: str) -> str:
    name = " ".join(text.upper().split())
    name = re.sub(r" (CHARACTER SET|COLLATE) \w+", "", name)  # MySQL column options, not the type
    name = re.sub(r"\(\s*", "(", re.sub(r"\s*\)", ")", re.sub(r"\s*,\s*", ",", name)))
    synonyms = SYNONYMS.get(dialect, {})
    if dialect in ("mysql", "mariadb") and name != "TINYINT(1)":
        name = DISPLAY_WIDTH.sub(r"\1", name)  # INT(11) is INT: the width is display only
    base, _, size = name.partition("(")
    if name in synonyms:
        return synonyms[name]
    if base in synonyms and size:
        return f"{synonyms[base]}({size}"
    return synonyms.get(base, name) if not size else name


def default(text: str | None, dialect: str) -> str | None:
    """A server default with the casts, parentheses and quoting databases add when storing it."""
    if text is None:
        return None
    value = text.strip()
    while True:
        stripped = re.sub(r"::[\w .\[\]\"]+$", "", value)  # PostgreSQL casts: '0'::integer
        if stripped.startswith("(") and stripped.endswith(")") and _balanced(stripped[1:-1]):
            stripped = stripped[1:-1].strip()
        if stripped == value:
            break
        value = stripped
    if value.upper() == "NULL":
        return None  # MariaDB reports NULL for a nullable column without a default
    if value.upper() in NOW:
        return "CURRENT_TIMESTAMP"
    if len(value) >= 2 and value[0] == value[-1] == "'":
        inner = value[1:-1].replace("''", "'")
        value = inner if re.fullmatch(r"-?\d+(\.\d+)?", inner) else "'" + inner + "'"
    lowered = value.lower()
    if lowered in ("true", "'true'", "'t'"):
        return "1"
    if lowered in ("false", "'false'", "'f'"):
        return "0"
    return value


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
