"""Facts read by pattern from DDL that sqlglot half parses: drops, LOCK, REINDEX, triggers.

These statements have simple, fixed grammars; a pattern reads them exactly and costs nothing,
where sqlglot turns several of them into an opaque Command.
"""

from __future__ import annotations

import re

# Patterns are kept as text and compiled by `re` on first use (and cached there): only raw SQL that
# drops, locks, reindexes or adds a filled column reaches them, and compiling all at import cost ~1.5 ms.
# a name, or how SQL written from the code says a loop's table ("each t of the loop over tables (line 9)")
_IDENT = (r'(?:each [\w.]+ of the loop over .*? \(line \d+\)|'
          r'(?:"[^"]+"|`[^`]+`|[\w$]+)(?:\.(?:"[^"]+"|`[^`]+`|[\w$]+))*)')
_DROP_TABLE = rf"(?i)^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?P<tables>{_IDENT}(?:\s*,\s*{_IDENT})*)"
_ALTER = (rf"(?is)^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_IDENT})\s+"
          r"(?P<actions>.*)$")
_DROP_COLUMN = rf"(?i)^DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?(?P<column>{_IDENT})"
_NOT_A_COLUMN = {"constraint", "index", "key", "foreign", "primary", "check", "partition", "default",
                 "not", "expression", "identity", "trigger", "rule"}
_LOCK = (rf"(?i)^LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<tables>{_IDENT}(?:\s*,\s*{_IDENT})*)"
         r"(?:\s+IN\s+(?P<mode>[A-Z ]+?)\s+MODE)?(?:\s+NOWAIT)?$")
_REINDEX = (r"(?i)^REINDEX\s+(?:\([^)]*\)\s*)?(?P<kind>INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\s+"
            rf"(?P<concurrently>CONCURRENTLY\s+)?(?P<target>{_IDENT})")
_TRIGGER = (r"(?is)^(?P<verb>CREATE(?:\s+OR\s+REPLACE)?(?:\s+CONSTRAINT)?|DROP)\s+TRIGGER\s+"
            rf"(?:IF\s+EXISTS\s+)?(?P<name>{_IDENT})\s+(?:.*?\s)?ON\s+(?P<table>{_IDENT})")


def unquote(text: str) -> str:
    """An identifier as the server stores it: unquoted, schema dropped, folded to lower case."""
    return re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', text)[-1].strip('"`[]').lower()


def top_level_split(text: str) -> list[str]:
    """Split a list (ALTER TABLE actions, an index's columns) on the commas outside parentheses and
    quotes."""
    parts, start = [], 0
    while start <= len(text):
        end = end_of_expression(text, start, NOTHING)  # stops at a top-level comma only
        parts.append(text[start:end])
        start = end + 1
    return [p.strip() for p in parts if p.strip()]


NOTHING = r"(?!)"  # a pattern that never matches


def altered(sql: str) -> tuple[str, str] | None:
    """(table as the server stores it, the actions) of an ALTER TABLE; None for other statements."""
    match = re.match(_ALTER, sql.lstrip())
    return (unquote(match["table"]), match["actions"].strip()) if match else None


def renamed_to(actions: str) -> str | None:
    """The new name an ALTER TABLE's `RENAME TO new` gives its table."""
    match = re.match(rf"(?i)^RENAME\s+TO\s+(?P<new>{_IDENT})", actions)
    return unquote(match["new"]) if match else None


_SCHEMA_OF = (r'(?i)^\s*(?:ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?|'
              r'DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?)(?P<schema>"[^"]+"|\w+)\s*\.')


def qualifying_schema(sql: str) -> str | None:
    """The schema an ALTER TABLE or a DROP INDEX qualifies its object with (`"events"."t"`)."""
    match = re.match(_SCHEMA_OF, sql)
    return match["schema"].strip('"') if match else None


def dropped(sql: str) -> tuple[tuple[str, str, str], ...]:
    """("table", "", name) for DROP TABLE, ("column", table, name) for ALTER TABLE ... DROP [COLUMN]."""
    if match := re.match(_DROP_TABLE, sql):
        return tuple(("table", "", unquote(t)) for t in re.findall(_IDENT, match["tables"]))
    alter = altered(sql)
    if not alter or not re.search(r"\bDROP\b", alter[1], re.IGNORECASE):
        return ()
    table, found = alter[0], []
    for action in top_level_split(alter[1]):
        column = re.match(_DROP_COLUMN, action)
        if column and column["column"].lower() not in _NOT_A_COLUMN:
            found.append(("column", table, unquote(column["column"])))
    return tuple(found)


def blocking(sql: str) -> tuple[tuple[str, str, str], ...]:
    """(kind, table or index, detail) for LOCK TABLE, REINDEX without CONCURRENTLY, CREATE/DROP TRIGGER.

    kind "lock": detail is the lock mode; "reindex": detail is INDEX/TABLE/...; "trigger": detail
    is CREATE or DROP and the table is the trigger's table.
    """
    if match := re.match(_LOCK, sql):
        mode = " ".join((match["mode"] or "ACCESS EXCLUSIVE").upper().split())
        return tuple(("lock", unquote(t), mode) for t in re.findall(_IDENT, match["tables"]))
    if (match := re.match(_REINDEX, sql)) and not match["concurrently"]:
        return (("reindex", unquote(match["target"]), match["kind"].upper()),)
    if match := re.match(_TRIGGER, sql):
        verb = "DROP" if match["verb"].upper().startswith("DROP") else "CREATE"
        return (("trigger", unquote(match["table"]), verb),)
    return ()


_ADD_COLUMN = (rf"(?is)^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_IDENT})\s+ADD\s+"
               rf"(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<column>{_IDENT})\s+(?P<rest>.*)$")
_FILLED_PER_ROW = (r"(?is)\b(?P<serial>(?:SMALL|BIG)?SERIAL\d?)\b|"
                   r"\bGENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+(?P<identity>IDENTITY)\b|"
                   r"\bGENERATED\s+ALWAYS\s+AS\s*\(.*\)\s*(?P<stored>STORED)\b")


def rewriting_add_column(sql: str) -> tuple[str, str, str] | None:
    """(table, column, what) for ADD COLUMN forms that fill every existing row, so rewrite the table:
    serial types and identity columns (a sequence value per row), stored generated columns."""
    upper = sql.upper()  # a plain ADD COLUMN names neither: no regex to run
    if "SERIAL" not in upper and "GENERATED" not in upper:
        return None
    match = re.match(_ADD_COLUMN, sql)
    if not match or not (filled := re.search(_FILLED_PER_ROW, match["rest"])):
        return None
    what = ("a serial column" if filled["serial"] else "an identity column" if filled["identity"]
            else "a stored generated column")
    return unquote(match["table"]), unquote(match["column"]), what


_DEFAULT_ENDS = r"(?i)\s+(?:NOT\s+NULL|NULL|CONSTRAINT|CHECK|REFERENCES|UNIQUE|PRIMARY|GENERATED|COLLATE)\b"
SHOWN_DEFAULT_CHARS = 80


def end_of_expression(sql: str, start: int, ends: str | None = None) -> int:
    """Where the expression starting at `start` ends: at a closing bracket it did not open, or, with
    `ends`, at a comma or a match of `ends` outside brackets and quotes; the end of the text else."""
    depth, quote, stop = 0, "", re.compile(ends) if ends else None
    for index in range(start, len(sql)):
        char = sql[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return index
            depth -= 1
        elif depth == 0 and stop is not None and (char == "," or stop.match(sql, index)):
            return index
    return len(sql)


def written_default(sql: str, column: str) -> str | None:
    """The DEFAULT of an added column as the SQL writes it (a parser's rendering may rename its
    functions), shortened for a message; None when it cannot be found."""
    match = re.search(rf'\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?{re.escape(column)}"?\s',
                      sql, re.IGNORECASE)
    default = re.compile(r"\bDEFAULT\s+", re.IGNORECASE).search(sql, match.end()) if match else None
    if default is None:
        return None
    text = " ".join(sql[default.end():end_of_expression(sql, default.end(), _DEFAULT_ENDS)].split())
    return text if len(text) <= SHOWN_DEFAULT_CHARS else text[:SHOWN_DEFAULT_CHARS - 1].rstrip() + "…"


def written_check(sql: str, name: str = "") -> str | None:
    """The condition of a CHECK as the SQL writes it (a parser's rendering may rename its
    functions): the one of constraint `name` where given, else the first; None when not found."""
    named = re.search(rf'\bCONSTRAINT\s+"?{re.escape(name)}"?\s+CHECK\s*\(', sql, re.IGNORECASE) if name \
        else None
    match = named or re.search(r"\bCHECK\s*\(", sql, re.IGNORECASE)
    if match is None:
        return None
    end = end_of_expression(sql, match.end())
    return " ".join(sql[match.end():end].split()) if end < len(sql) else None
