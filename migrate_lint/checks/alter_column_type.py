"""alter-column-type: changing a column's type rewrites the table under an exclusive lock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.checks.type_rewrites import (
    SYNONYMS,
    mysql_bytes_per_char,
    no_rewrite,
    type_bytes_per_char,
    type_parts,
)
from migrate_lint.rendering.opsql import TYPES, enum_length, is_array, non_native_enum, type_sql
from migrate_lint.revisions.coltypes import old_type
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref, Unknown

CODE = "ML107"
SCOPE = "revision"
def written(value: Any) -> str:
    """A type as SQL when it is one SQLAlchemy renders plainly, else as the code spells it (a
    TypeDecorator or a dialect type: what it renders is not knowable without importing it)."""
    if isinstance(value, str):
        return value.replace("DECIMAL", "NUMERIC")
    if isinstance(value, Unknown):
        return value.source or "a type the code computes"  # a variable: named, never guessed
    if isinstance(value, Call) and value.short.isupper() and set(value.kwargs) <= {"length", "collation"} \
            and all(isinstance(a, int) for a in value.args) and (sql := type_sql(value)):
        # a dialect's string type (mysql.VARCHAR(collation=..., length=50)): as MySQL shows it
        collation = value.kwargs.get("collation")
        return f"{sql} COLLATE {collation}" if isinstance(collation, str) else sql
    if isinstance(value, Call | Ref) and value.short not in TYPES and not is_array(value):
        if isinstance(value, Ref):
            return value.short
        args = [_argument(a) for a in value.args] + [f"{k}={_argument(v)}" for k, v in value.kwargs.items()]
        return f"{value.short}({', '.join(args)})" if args else value.short
    return type_sql(value)


def _argument(value: Any) -> str:
    """A type's argument as the code spells it: a nested type (`ARRAY(sa.VARCHAR())`) as a type,
    a name the code computes (`Enum(ConsentMechanism)`) as the code writes it."""
    if isinstance(value, Unknown):
        return value.source or "?"
    return written(value) if isinstance(value, Call | Ref) else repr(value)


def _alter_calls(migration: Migration) -> dict[Any, Operation]:
    """alter_column calls by line and by (table, column): a batch renders at its `with` line."""
    calls: dict[Any, Operation] = {}
    for op in migration.operations:
        if op.name == "alter_column":
            table, rest = op.table_and_rest()
            column = op.kwargs.get("column_name", rest[0] if rest else None)
            calls[op.line] = op
            if isinstance(table, str) and isinstance(column, str):
                calls[(table.lower(), column.lower())] = op
    return calls


def _charset(migration: Migration, ctx: CheckContext, table: str) -> int | None:
    return mysql_bytes_per_char(chain((migration,), ctx.ancestors(migration)), table) if ctx.mysql else None


def known_old_type(migration: Migration, ctx: CheckContext, call: Operation | None, table: str,
                   column: str, line: int) -> Any:
    """The column's type before the call: its existing_type, else what the history gave it."""
    given = call.kwargs.get("existing_type") if call is not None else None
    computed = isinstance(given, Unknown) or (
        isinstance(given, Ref) and not given.name.rsplit(".", 1)[-1][:1].isupper())
    if given is not None and not computed:
        return given
    # none given, or one read at run time (cinder's reflected `col.type`, not a type's class): the
    # type the history gave the column, where it says
    found = old_type(migration, ctx.ancestors(migration), table, column, line, ctx.dialect)
    return found if found is not None else given


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    words = migration.upper_sql
    if not (ctx.postgresql or ctx.mysql) or ("TYPE" not in words and "MODIFY" not in words
                                              and "CHANGE" not in words):
        return
    calls = _alter_calls(migration) if "alter_column" in migration.names else {}
    # MySQL's COPY lets reads go on (trace on MariaDB: COPY, LOCK=SHARED)
    under = "by copying it, with writes blocked until the copy is done" if ctx.mysql else \
        "under an exclusive lock"
    for statement, created in sql_walk(migration, ctx):
        upper = statement.sql.upper()
        if "TYPE" not in upper and "MODIFY" not in upper and "CHANGE" not in upper:
            continue
        rewrites = []  # one ALTER TABLE rewrites its table once, however many columns change
        charsets: dict[tuple[str, str], dict[str, str]] = {}
        for table, column, _, new_type in statement.facts.altered_columns:
            if new_type is None or table in created:
                continue
            call = calls.get(statement.line) if calls.get(statement.line) is not None and \
                _same_column(calls[statement.line], column) else calls.get((table, column))
            if call is not None and "type_" not in call.kwargs:
                continue  # no type_= (a keyword-only argument): MySQL's MODIFY restates the type it has
            # MySQL's CHANGE old new TYPE: the type it had under its old name
            before = statement.column_before(table, column)
            old_value = known_old_type(migration, ctx, call, table, before, statement.line)
            old_value = ctx.project_type(migration, old_value) or old_value
            old = old_value if isinstance(old_value, str) else \
                type_sql(old_value, ctx.dialect) if old_value is not None else None
            new_value = call.kwargs.get("type_") if call is not None else None
            if (impl := ctx.project_type(migration, new_value)) is not None:
                # the project's TypeDecorator: what it renders
                new_value, new_type = impl, type_sql(impl, ctx.dialect)
            unsized = _unsized_enum(old_value, new_value if not migration.rendered else None, new_type)
            charset = (type_bytes_per_char(old_value) if ctx.mysql else None) or \
                _charset(migration, ctx, table) if old is not None and not unsized else None
            if unsized == "widened" or (old is not None and not unsized and
                                        no_rewrite(old, new_type, ctx.dialect, charset)):
                continue
            new = written(new_value) if new_value is not None and not migration.rendered else \
                written(new_type)
            variant = unsized or ("default" if old else "unknown" if call is not None else "raw")
            if old and ctx.mysql and charset is None and no_rewrite(old, new_type, ctx.dialect, 4):
                # in place under a multi-byte charset (utf8mb4, MySQL 8's default; OpenStack's
                # utf8), a copy under latin1 (MariaDB's default before 11.6): the history does not say
                variant = unsized or "charset"
            elif old and ctx.mysql and charset is None and not unsized and \
                    (in_place := [name for name, size in _CHARSETS
                                  if no_rewrite(old, new_type, ctx.dialect, size)]):
                # a copy under utf8mb4, in place under a narrower charset (octavia's VARCHAR(36) to 64
                # is in place in utf8, the OpenStack default, where 64 characters still fit 255 bytes)
                variant = "charset_some"
                charsets[(table, column)] = {
                    "in_place": " or ".join(in_place),
                    "copying": " or ".join(name for name, _ in _CHARSETS if name not in in_place)}
            # a native Enum is named by its type's name: the one ALTER TYPE ... ADD VALUE takes
            enum_name = _enum_name(old_value)
            if variant == "default" and ctx.postgresql and _swapped_type(enum_name or old, new_type):
                variant = "swap"
            if variant == "default" and ctx.postgresql and ctx.postgresql_version >= 12 \
                    and _time_zone_only(old, new_type) and not re.search(r"(?i)\bUSING\b", statement.sql) \
                    and (call is None or "postgresql_using" not in call.kwargs):
                # (a USING expression, AT TIME ZONE 'UTC' say, is computed for every row: a rewrite)
                if _utc_session(migration, statement.line):
                    continue
                variant = "time_zone"
            shown_old = enum_name if variant == "swap" and enum_name else \
                written(old_value) if old_value is not None else ""
            rewrites.append((table, column, new, shown_old, variant))
        if len(rewrites) > 1:  # "several" says the table is rewritten: only sure rewrites say so
            sure = [r for r in rewrites if r[4] != "enum"]
            rewrites = sure or rewrites[:1]
        if len(rewrites) > 1:
            table = rewrites[0][0]
            columns = ", ".join(c for _, c, _, _, _ in rewrites)
            yield sql_hit(statement, f"{table}.{rewrites[0][1]}", table=table, column=columns,
                          count=str(len(rewrites)), new="", old="", variant="several", under=under)
        elif rewrites:
            table, column, new, old, variant = rewrites[0]
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column, new=new, old=old,
                          variant=variant, under=under, **charsets.get((table, column), {}))


# MySQL charsets by bytes per character: a varchar's length prefix counts bytes (255 of them)
_CHARSETS = (("utf8mb4", 4), ("utf8", 3), ("latin1", 1))


_TIMESTAMP = re.compile(r"(?i)^\s*TIMESTAMP(?P<tz>TZ)?\s*(?:\(\s*(?P<p>\d+)\s*\))?"
                        r"\s*(?P<with>WITH(?:OUT)?\s+TIME\s+ZONE)?\s*$")


def _time_zone_only(old: str | None, new: str) -> bool:
    """timestamp to timestamptz or back, at the same precision: from PostgreSQL 12 a change made in
    place when the session's TimeZone is UTC, and a rewrite otherwise (checked on PostgreSQL 15:
    relfilenode kept under UTC, changed under Europe/Paris)."""
    parts = [_TIMESTAMP.match(t) for t in (old or "", new)]
    if not all(parts):
        return False
    zoned = [bool(m["tz"]) or (m["with"] or "").upper().startswith("WITH ") for m in parts if m]
    precisions = {m["p"] for m in parts if m}
    return zoned[0] != zoned[1] and len(precisions) == 1


_UTC = re.compile(r"(?i)^\s*SET\s+(?:LOCAL\s+|SESSION\s+)?(?:TIME\s*ZONE|timezone)\s*(?:=|TO)?\s*"
                  r"'(?:UTC|Etc/UTC|GMT|Z|\+?0+(?::00)?)'")


def _utc_session(migration: Migration, line: int) -> bool:
    """The revision sets the session's TimeZone to UTC before the change (SET LOCAL timezone = 'UTC')."""
    return any(s.line < line and _UTC.match(s.sql) for s in migration.statements)


def _enum_name(value: Any) -> str | None:
    """The type name a native `sa.Enum(..., name="x")` (or the dialect's ENUM) gives its column."""
    name = value.kwargs.get("name") if isinstance(value, Call) and value.short.lower() == "enum" else None
    return name if isinstance(name, str) else None


def _swapped_type(old: str | None, new: str) -> bool:
    """A column moved between two types of the project's own whose names differ by a suffix
    (meters_type to meters_type_temp, and back): an enum rebuilt to change its labels."""
    if not old or not re.fullmatch(r"\w+", old) or not re.fullmatch(r"\w+", new) or \
            old.lower() == new.lower():
        return False
    short, long = sorted((old.lower(), new.lower()), key=len)
    return long.startswith(short + "_") or long.startswith("_" + short) or long.endswith("_" + short)


def _unsized_enum(old: Any, new: Any, new_sql: str) -> str | None:
    """Where a non-native Enum whose labels the AST cannot see (`sa.Enum(DocumentSource,
    native_enum=False)`: a VARCHAR as long as the class's longest member) is on either side:
    "widened" when it becomes a varchar without a length or text (never a rewrite), "enum" when a
    varchar is on the other side too (a rewrite only if the change narrows it); else None. `new`
    is the call's type_ where the SQL was written from the AST, which cannot size it either."""
    old_unsized = non_native_enum(old) and enum_length(old) is None
    new_unsized = non_native_enum(new) and enum_length(new) is None
    if not (old_unsized or new_unsized):
        return None
    if new_unsized:
        old_sql = type_sql(old) if not isinstance(old, str) else old
        parts = type_parts(old_sql) if old is not None else None
        return "enum" if old_unsized or (parts and SYNONYMS.get(parts[0], parts[0]) == "VARCHAR") else None
    parts = type_parts(new_sql)
    if parts is None or SYNONYMS.get(parts[0], parts[0]) not in ("VARCHAR", "TEXT"):
        return None  # to an integer, a native enum...: rewritten whatever its length
    return "widened" if parts[0] == "TEXT" or parts[1] is None else "enum"


def _same_column(op: Operation, column: str) -> bool:
    _, rest = op.table_and_rest()
    names = (op.kwargs.get("column_name", rest[0] if rest else None), op.kwargs.get("new_column_name"))
    return any(isinstance(name, str) and name.lower() == column for name in names)  # MySQL CHANGE: new
