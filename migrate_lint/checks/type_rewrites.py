"""Which column type changes the database makes in place, without rewriting the table. (A helper
of the lock rules, not a rule.)"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrate_lint.rendering.opsql import type_sql
from migrate_lint.revisions.migration import Migration, Statement

TYPE = r"^\s*(?P<name>[A-Z ]+?)\s*(?:\((?P<size>\d+)(?:\s*,\s*(?P<scale>\d+))?\))?\s*$"
SYNONYMS = {"CHARACTER VARYING": "VARCHAR", "DECIMAL": "NUMERIC"}  # sqlglot writes NUMERIC as DECIMAL
MYSQL_INTEGERS = {"INT": "INT", "INTEGER": "INT", "TINYINT": "TINYINT", "BOOL": "TINYINT",
                  "BOOLEAN": "TINYINT", "SMALLINT": "SMALLINT", "MEDIUMINT": "MEDIUMINT", "BIGINT": "BIGINT"}


def type_parts(sql_type: str) -> tuple[str, int | None, int | None] | None:
    match = re.match(TYPE, sql_type.upper())
    if not match:
        return None
    size, scale = match["size"], match["scale"]
    return match["name"], int(size) if size else None, int(scale) if scale else None


def no_rewrite(old: str, new: str, dialect: str, bytes_per_char: int | None = None) -> bool:
    """Type changes the database does in place: widening a varchar, varchar to text, and so on.
    `bytes_per_char`: the MySQL table's charset, where the history names it (3 for utf8)."""
    if dialect in ("mysql", "mariadb") and (appended := _enum_appended(old, new)) is not None:
        return appended
    before, after = type_parts(old), type_parts(new)
    if before is None or after is None:
        return False
    (old_name, old_size, old_scale), (new_name, new_size, new_scale) = before, after
    old_name, new_name = (SYNONYMS.get(n, n) for n in (old_name, new_name))
    if dialect in ("mysql", "mariadb") and old_name in MYSQL_INTEGERS and new_name in MYSQL_INTEGERS:
        # an integer's (11) is a display width, not a size: INTEGER and INT(11) are one type (SBS's
        # CHANGE user_id user_id INT(11) NOT NULL restates the Integer its table was made with)
        old_name, new_name = MYSQL_INTEGERS[old_name], MYSQL_INTEGERS[new_name]
        old_size = new_size = None
    if (old_name, old_size, old_scale) == (new_name, new_size, new_scale):
        return True  # the type restated (cinder's existing Boolean given again as type_)
    if dialect in ("mysql", "mariadb"):  # in place while the length prefix stays 1 or 2 bytes
        # the prefix counts bytes: 255 of them are 255 latin1 characters but 63 utf8mb4 ones (the
        # default charset; trace on MariaDB 10.11: VARCHAR(60) -> VARCHAR(70) copies the table);
        # with the charset unknown, both boundaries must hold
        if old_name != "VARCHAR" or new_name != "VARCHAR" or old_size is None or new_size is None:
            return False
        boundaries = (255 // bytes_per_char,) if bytes_per_char else (255, 63)
        return new_size >= old_size and all((old_size > b) == (new_size > b) for b in boundaries)
    if "CITEXT" in (old_name, new_name) and {old_name, new_name} <= {"VARCHAR", "TEXT", "CITEXT"}:
        # the citext extension casts to and from text and varchar WITHOUT FUNCTION (binary
        # coercible: checked on PostgreSQL 15, the table's file stays); only a length to check costs
        return new_name != "VARCHAR" or new_size is None
    if old_name == "VARCHAR" and new_name in ("VARCHAR", "TEXT"):
        return new_name == "TEXT" or new_size is None or (old_size is not None and new_size >= old_size)
    if old_name == "TEXT" and new_name == "VARCHAR":
        return new_size is None
    if old_name == new_name == "NUMERIC":
        return new_size is None or (old_size is not None and new_size >= old_size and old_scale == new_scale)
    return old_name == new_name and old_size == new_size


ENUM = r"(?is)^\s*ENUM\s*\((?P<labels>.*)\)\s*$"
LABEL = r"'((?:[^']|'')*)'"


def _enum_appended(old: str, new: str) -> bool | None:
    """For a MySQL ENUM on both sides: whether the change only appends labels, which MySQL and
    MariaDB make in place, with no copy, while the count stays under 256 (its storage stays one
    byte; checked on MariaDB 10.11: ALGORITHM=INSTANT; removing or inserting a label copies the
    table). None where either side is no ENUM."""
    before, after = re.match(ENUM, old), re.match(ENUM, new)
    if before is None or after is None:
        return None
    # the labels, not the keyword arguments a type written from the code may carry (name=)
    old_labels, new_labels = (re.findall(LABEL, re.split(r",\s*\w+\s*=", m["labels"])[0])
                              for m in (before, after))
    return new_labels[:len(old_labels)] == old_labels and (len(new_labels) < 256 or len(old_labels) >= 256)


BYTES_PER_CHAR = {"latin1": 1, "ascii": 1, "utf8": 3, "utf8mb3": 3, "utf8mb4": 4}


def type_bytes_per_char(value: object) -> int | None:
    """What a character takes by the charset the column's own type names: `charset="utf8mb4"`, or
    a collation, whose name starts with its charset (spiff-arena's
    `mysql.VARCHAR(collation="utf8mb4_0900_as_cs", length=50)`)."""
    kwargs = getattr(value, "kwargs", None) or {}
    named = kwargs.get("charset") or kwargs.get("collation")
    return BYTES_PER_CHAR.get(named.lower().split("_", 1)[0]) if isinstance(named, str) else None


def mysql_bytes_per_char(migrations: Iterable[Migration], table: str) -> int | None:
    """What a character of `table` takes, by the charset its create_table gave it
    (mysql_charset= or mysql_default_charset=), searching the given revisions in order (read
    lazily: the search stops at the create_table)."""
    for migration in migrations:
        for op in migration.operations:
            if op.name == "create_table" and isinstance(name := op.arg(0, "table_name"), str) \
                    and name.lower() == table.lower():
                charset = op.kwargs.get("mysql_charset", op.kwargs.get("mysql_default_charset"))
                return BYTES_PER_CHAR.get(charset.lower()) if isinstance(charset, str) else None
    return None


def kept_in_place(migration: Migration, statement: Statement, table: str, dialect: str) -> bool:
    """Every type change of `table` in the statement is one the database makes in place, as the
    alter_column call's existing_type= tells (a varchar widened, a non-native Enum given a longer
    label): the ALTER holds ACCESS EXCLUSIVE but rewrites nothing."""
    calls = [op for op in migration.operations if op.line == statement.line and op.name == "alter_column"
             and op.kwargs.get("existing_type") is not None and "type_" in op.kwargs]
    changes = [new for t, _, _, new in statement.facts.altered_columns if t == table and new is not None]
    if len(calls) != 1 or len(changes) != 1:
        return False  # several columns, or raw SQL: the old type is not at hand
    old = calls[0].kwargs["existing_type"]
    return no_rewrite(old if isinstance(old, str) else type_sql(old, dialect), changes[0], dialect)
