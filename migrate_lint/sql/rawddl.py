"""Facts read by pattern from DDL that sqlglot half parses: drops, LOCK, REINDEX, triggers.

These statements have simple, fixed grammars; a pattern reads them exactly and costs nothing,
where sqlglot turns several of them into an opaque Command.
"""

from __future__ import annotations

import re

_IDENT = r'(?:"[^"]+"|`[^`]+`|[\w$]+)(?:\.(?:"[^"]+"|`[^`]+`|[\w$]+))*'
_DROP_TABLE = re.compile(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<tables>{_IDENT}(?:\s*,\s*{_IDENT})*)",
                         re.IGNORECASE)
_ALTER = re.compile(rf"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_IDENT})\s+"
                    r"(?P<actions>.*)$", re.IGNORECASE | re.DOTALL)
_DROP_COLUMN = re.compile(rf"^DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?P<column>{_IDENT})", re.IGNORECASE)
_NOT_A_COLUMN = {"constraint", "index", "key", "foreign", "primary", "check", "partition", "default",
                 "not", "expression", "identity", "trigger", "rule"}
_LOCK = re.compile(rf"^LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<tables>{_IDENT}(?:\s*,\s*{_IDENT})*)"
                   r"(?:\s+IN\s+(?P<mode>[A-Z ]+?)\s+MODE)?(?:\s+NOWAIT)?$", re.IGNORECASE)
_REINDEX = re.compile(r"^REINDEX\s+(?:\([^)]*\)\s*)?(?P<kind>INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\s+"
                      rf"(?P<concurrently>CONCURRENTLY\s+)?(?P<target>{_IDENT})", re.IGNORECASE)
_TRIGGER = re.compile(r"^(?P<verb>CREATE(?:\s+OR\s+REPLACE)?(?:\s+CONSTRAINT)?|DROP)\s+TRIGGER\s+"
                      rf"(?:IF\s+EXISTS\s+)?(?P<name>{_IDENT})\s+(?:.*?\s)?ON\s+(?P<table>{_IDENT})",
                      re.IGNORECASE | re.DOTALL)


def unquote(text: str) -> str:
    """An identifier as the server stores it: unquoted, schema dropped, folded to lower case."""
    return re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', text)[-1].strip('"`[]').lower()


def _top_level_split(text: str) -> list[str]:
    """Split ALTER TABLE actions on the commas outside parentheses and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def dropped(sql: str) -> tuple[tuple[str, str, str], ...]:
    """("table", "", name) for DROP TABLE, ("column", table, name) for ALTER TABLE ... DROP [COLUMN]."""
    if match := _DROP_TABLE.match(sql):
        return tuple(("table", "", unquote(t)) for t in re.findall(_IDENT, match["tables"]))
    match = _ALTER.match(sql)
    if not match or not re.search(r"\bDROP\b", match["actions"], re.IGNORECASE):
        return ()
    table, found = unquote(match["table"]), []
    for action in _top_level_split(match["actions"]):
        column = _DROP_COLUMN.match(action)
        if column and column["column"].lower() not in _NOT_A_COLUMN:
            found.append(("column", table, unquote(column["column"])))
    return tuple(found)


def blocking(sql: str) -> tuple[tuple[str, str, str], ...]:
    """(kind, table or index, detail) for LOCK TABLE, REINDEX without CONCURRENTLY, CREATE/DROP TRIGGER.

    kind "lock": detail is the lock mode; "reindex": detail is INDEX/TABLE/...; "trigger": detail
    is CREATE or DROP and the table is the trigger's table.
    """
    if match := _LOCK.match(sql):
        mode = " ".join((match["mode"] or "ACCESS EXCLUSIVE").upper().split())
        return tuple(("lock", unquote(t), mode) for t in re.findall(_IDENT, match["tables"]))
    if (match := _REINDEX.match(sql)) and not match["concurrently"]:
        return (("reindex", unquote(match["target"]), match["kind"].upper()),)
    if match := _TRIGGER.match(sql):
        verb = "DROP" if match["verb"].upper().startswith("DROP") else "CREATE"
        return (("trigger", unquote(match["table"]), verb),)
    return ()


_ADD_COLUMN = re.compile(rf"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_IDENT})\s+ADD\s+"
                         rf"(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<column>{_IDENT})\s+(?P<rest>.*)$",
                         re.IGNORECASE | re.DOTALL)
_FILLED_PER_ROW = re.compile(r"\b(?P<serial>(?:SMALL|BIG)?SERIAL\d?)\b|"
                             r"\bGENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+(?P<identity>IDENTITY)\b|"
                             r"\bGENERATED\s+ALWAYS\s+AS\s*\(.*\)\s*(?P<stored>STORED)\b",
                             re.IGNORECASE | re.DOTALL)


def rewriting_add_column(sql: str) -> tuple[str, str, str] | None:
    """(table, column, what) for ADD COLUMN forms that fill every existing row, so rewrite the table:
    serial types and identity columns (a sequence value per row), stored generated columns."""
    upper = sql.upper()  # a plain ADD COLUMN names neither: no regex to run
    if "SERIAL" not in upper and "GENERATED" not in upper:
        return None
    match = _ADD_COLUMN.match(sql)
    if not match or not (filled := _FILLED_PER_ROW.search(match["rest"])):
        return None
    what = ("a serial column" if filled["serial"] else "an identity column" if filled["identity"]
            else "a stored generated column")
    return unquote(match["table"]), unquote(match["column"]), what
