"""What a history itself says a column's type was: its downgrade, and earlier revisions' DDL.

alter_column(type_=...) without existing_type= leaves the old type unsaid; the revision's own
downgrade usually alters it back (its type_ is the old type), and the revision that created or
last altered the column wrote it down too. Values are the AST's (Call / Ref), never guesses.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from migrate_lint.revisions.migration import Call, ColumnSpec, Migration, Operation, Ref, Unknown
from migrate_lint.sql.rawddl import NOTHING, altered, end_of_expression


@lru_cache(maxsize=256)
def downgrade_operations(source: str) -> tuple[Operation, ...]:
    """The op calls of downgrade(), read as the AST layer reads upgrade()."""
    from migrate_lint.revisions.extract import extract
    from migrate_lint.revisions.facts import parse

    try:
        tree = parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return ()
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade"]
    if not functions:
        return ()
    body = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name.startswith("upgrade"))]
    for node in body:
        if node is functions[0]:
            node.name = "upgrade"  # the extractor starts at upgrade(): let it read downgrade()
    return extract(ast.Module(body=body, type_ignores=[]))[0]


def _altered(op: Operation) -> tuple[Any, Any]:
    table, rest = op.table_and_rest()
    return table, op.kwargs.get("column_name", rest[0] if rest else None)


def _same(value: Any, name: str) -> bool:
    return isinstance(value, str) and value.lower() == name


def from_operations(operations: Iterable[Operation], table: str, column: str) -> Any:
    """The type the last call among `operations` gave table.column, or None."""
    found = None
    for op in operations:
        if op.name == "alter_column" and "type_" in op.kwargs:
            t, c = _altered(op)
            if _same(t, table) and _same(c, column):
                found = op.kwargs["type_"]
        elif op.name in ("add_column", "create_table"):
            target, rest = op.table_and_rest()
            items = rest if op.name == "create_table" else (
                op.kwargs.get("column", rest[0] if rest else None),)
            for item in items:
                spec = ColumnSpec.from_call(item) if isinstance(item, Call) else None
                if spec is not None and _same(target, table) and _same(spec.name, column):
                    found = item.arg(1, "type_")
    return found


_IN_SCHEMA = re.compile(r'ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?:"[^"]+"|\w+)\s*\.', re.IGNORECASE)


def _sql_type(op: Operation, table: str, column: str, in_schema: bool = True,
              added: bool = False) -> str | None:
    """The SQL type a literal ALTER ... TYPE gives table.column (in a downgrade: gives it back), and
    where `added`, the type a literal ADD COLUMN gives it. Not `in_schema`: none from an ALTER of a
    table its SQL names with a schema, which the SQL's facts, keeping bare names, cannot tell from a
    table of the same name in another (indico alters categories.settings, events.settings and
    users.settings in one revision)."""
    from migrate_lint.sql.facts import facts_of, split_statements

    sql = op.literal_sql
    if sql is None:
        return None
    found = None
    for statement in split_statements(sql, "postgresql"):
        if not in_schema and _IN_SCHEMA.search(statement):
            continue
        facts = facts_of(statement, "postgresql")
        for t, c, _, new_type in facts.altered_columns:
            if t == table and c == column and new_type:
                found = str(new_type)
        if added:
            found = _added_type(statement, table, column) or found
    return found


def _added_type(sql: str, table: str, column: str) -> str | None:
    """The type an ALTER TABLE ... ADD COLUMN gives table.column (SBS adds `identifier VARCHAR(255)`
    in SQL, then restates it NOT NULL with CHANGE). Read by pattern: a plain ADD COLUMN is not among
    the facts parsed from each statement."""
    quoted = r'[`"]?'
    match = re.match(rf"(?is)\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?{quoted}{re.escape(table)}"
                     rf"{quoted}\s+ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?{quoted}{re.escape(column)}"
                     rf"{quoted}\s+", sql)
    return column_type(sql[match.end():]) if match else None


# what may follow a column's type in its definition: the type ends where one of them starts
_AFTER_TYPE = re.compile(r"(?i)\s+(?:NOT\s+NULL|NULL|DEFAULT|PRIMARY|REFERENCES|UNIQUE|CHECK|COLLATE|"
                         r"CONSTRAINT|GENERATED|AUTO_INCREMENT|COMMENT|ON\s+UPDATE|CHARACTER\s+SET|CHARSET|"
                         r"FIRST|AFTER)\b")


def column_type(rest: str) -> str | None:
    """The SQL type a column definition starts with, given the text after the column's name, without
    a schema: the server's types in upper case and whole (`character varying(16)`, not CHARACTER;
    `timestamp without time zone`, `integer[]`), a type of the project's as it is named
    (`public.roletype` as roletype, not PUBLIC)."""
    depth, end = 0, len(rest)
    for index, char in enumerate(rest):  # the definition ends at the next comma or ) outside parentheses
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                end = index
                break
            depth -= 1
        elif char == "," and depth == 0:
            end = index
            break
    definition = rest[:end].strip().rstrip(";").strip()
    if after := _AFTER_TYPE.search(" " + definition):
        definition = definition[:after.start() - 1]
    definition = " ".join(definition.split())
    if not definition or not re.match(r"[\w\"`]", definition):
        return None
    # a type in a schema: the name after the dot (a column of public.roletype has the type roletype)
    definition = re.sub(r'^(?:"[^"]+"|\w+)\.', "", definition).replace('"', "")
    # the server's own types in capitals, as the rules compare them; a type of the project's as named
    if re.fullmatch(r"\w+", definition) and definition.upper() not in BUILT_IN:
        return definition
    # ...but an ENUM's labels as written: 'balsamic' is not 'BALSAMIC'
    return re.sub(r"'(?:[^']|'')*'|[^']+", lambda m: m[0] if m[0].startswith("'") else m[0].upper(),
                  definition)


# the first words of the types the servers define (PostgreSQL's, MySQL's): any other is the project's
BUILT_IN = frozenset({
    "BIGINT", "BIGSERIAL", "BINARY", "BIT", "BLOB", "BOOL", "BOOLEAN", "BOX", "BYTEA", "CHAR", "CHARACTER",
    "CIDR", "CIRCLE", "DATE", "DATETIME", "DECIMAL", "DOUBLE", "ENUM", "FLOAT", "FLOAT4", "FLOAT8", "INET",
    "INT", "INT2", "INT4", "INT8", "INTEGER", "INTERVAL", "JSON", "JSONB", "LINE", "LONGBLOB", "LONGTEXT",
    "MACADDR", "MEDIUMBLOB", "MEDIUMINT", "MEDIUMTEXT", "MONEY", "NUMERIC", "OID", "PATH", "POINT",
    "POLYGON", "REAL", "SERIAL", "SET", "SMALLINT", "SMALLSERIAL", "TEXT", "TIME", "TIMESTAMP",
    "TIMESTAMPTZ", "TIMETZ", "TINYBLOB", "TINYINT", "TINYTEXT", "TSQUERY", "TSVECTOR", "UUID", "VARBINARY",
    "VARCHAR", "XML", "YEAR", "GEOMETRY", "GEOGRAPHY", "CITEXT", "HSTORE", "LTREE"})


def _last_type(operations: Iterable[Operation], table: str, column: str, earlier: bool = False) -> Any:
    """The type the last alter_column type_ or literal ALTER ... TYPE among the operations gives
    table.column, followed through an ALTER TYPE ... RENAME TO; None when none does. `earlier`: the
    revision's own statements before the one judged, whose calls also give the type by adding or
    creating the column (from_operations), whose SQL counts only where it names the table without
    a schema, and whose type renames are not followed."""
    found = None
    for op in operations:
        if op.name == "execute":
            if sql_type := _sql_type(op, table, column, in_schema=not earlier, added=earlier):
                found = sql_type  # op.execute("ALTER TABLE ... ALTER COLUMN c TYPE numeric(8,2)")
            elif not earlier and isinstance(found, str) and (renamed := _type_renamed(op)) \
                    and renamed[0].lower() == found.lower():
                found = renamed[1]  # moved to meters_type_temp, which is then renamed meters_type
        elif earlier:
            given = from_operations((op,), table, column)
            found = given if given is not None else found
        elif op.name == "alter_column" and "type_" in op.kwargs:
            t, c = _altered(op)
            if _same(t, table) and _same(c, column):
                found = op.kwargs["type_"]
    return found


_RENAME_TYPE = re.compile(r'ALTER\s+TYPE\s+"?(\w+)"?\s+RENAME\s+TO\s+"?(\w+)"?', re.IGNORECASE)


def _type_renamed(op: Operation) -> tuple[str, str] | None:
    """(old, new) of an op.execute's literal ALTER TYPE ... RENAME TO."""
    sql = op.literal_sql
    match = _RENAME_TYPE.search(sql) if sql is not None else None
    return (match[1], match[2]) if match else None


def old_type(migration: Migration, ancestors: Iterable[Migration], table: str, column: str,
             before_line: int | None = None, dialect: str | None = None) -> Any:
    """The column's type before this revision (before `before_line` of it, where this revision
    added or altered the column itself: the type it gave): the downgrade's alter_column type_ (a
    Call/Ref) or literal ALTER ... TYPE (SQL text), else the nearest earlier revision that created
    or altered it. None when the history does not say."""
    table, column = table.lower(), column.lower()
    if before_line is not None:
        earlier = [op for op in migration.operations if op.line < before_line and _runs_on(op, dialect)]
        here = _last_type(earlier, table, column, earlier=True)
        if here is not None:
            return here
    # the type the downgrade leaves it with: its last change of the column (resultsdb moves an enum
    # column to a temporary type and back to the rebuilt one, in both directions), unless the
    # history's SQL made the table since with the column's type (seer swaps in a table built with a
    # BIGINT id, and its downgrade still says INTEGER)
    made, kind = _from_history(ancestors, table, column, dialect)
    if made and kind is not None:
        return kind
    # the downgrade's branch for this dialect: asterisk's PostgreSQL branch names the enum type alone
    back = _last_type([op for op in downgrade_operations(migration.source) if _runs_on(op, dialect)],
                      table, column)
    if back is not None and _unread(kind) and not _unread(back):
        return back  # the history's type spreads labels it computed; the downgrade lists them
    return back if back is not None else kind


def _unread(value: Any) -> bool:
    """A type whose arguments the code computes (`ENUM(*new_options)` of a sorted list): its labels
    or size are not known."""
    return isinstance(value, Call) and any(
        isinstance(a, Unknown) or _unread(a) for a in (*value.args, *value.kwargs.values()))


def _runs_on(op: Operation, dialect: str | None) -> bool:
    """The call runs on the dialect: outside any dialect branch, or in one of its own."""
    return dialect is None or op.dialects is None or dialect in op.dialects


def _from_history(ancestors: Iterable[Migration], table: str, column: str,
                  dialect: str | None = None) -> tuple[bool, Any]:
    """(whether SQL made the table, the type) of the nearest earlier revision that gave table.column
    a type: by a call, or by a CREATE TABLE, followed through tables renamed into the name."""
    for ancestor in ancestors:
        found = from_operations((op for op in ancestor.operations if _runs_on(op, dialect)), table, column)
        if found is not None:
            return False, found
        made = _made_in_sql(ancestor, table, column)
        if made is not None:
            name, kind, created = made
            if created:
                return True, kind  # None: its CREATE TABLE does not say
            table = name  # renamed into the name: the type is the one the old table gave it
    return False, None


_COLUMN_DEFINITIONS = r"(?is)\s*CREATE\s+(?:\w+\s+)*?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\w\"`.]+\s*\("


def _made_in_sql(migration: Migration, table: str, column: str) -> tuple[str, str | None, bool] | None:
    """What this revision's SQL says of table.column, read back from its last statement that says
    it: (table, the column's SQL type or None, True) for a CREATE TABLE, an ADD COLUMN or an ALTER
    ... TYPE (SBS adds its columns in SQL), also of a table made under another name and renamed into
    this one (seer builds grouping_records_new with a BIGINT id and swaps it in for grouping_records);
    (the old name, None, False) for a table renamed into the name only; None when no statement does."""
    name = table
    for statement in reversed(migration.statements):
        facts = statement.facts
        if facts.created_table and facts.created_table.lower() == name:
            # its column definitions, not a CREATE TABLE ... AS SELECT, whose types the query gives
            definition = rf'(?i)[(,]\s*"?{re.escape(column)}"?\s+'
            defined = re.match(_COLUMN_DEFINITIONS, statement.sql)
            match = re.search(definition, statement.sql) if defined else None
            return name, column_type(statement.sql[match.end():]) if match else None, True
        altered = [new for t, c, _, new in facts.altered_columns if t == name and c == column and new]
        if altered:
            return name, str(altered[-1]), True
        if (added := _added_type(statement.sql, name, column)) is not None:
            return name, added, True
        name = next((old.lower() for kind, _, old, new in facts.renames
                     if kind == "table" and new.lower() == name), name)
    return (name, None, False) if name != table else None


_DROP_NOT_NULL = r"ALTER\s+(?:COLUMN\s+)?\"?{column}\"?\s+DROP\s+NOT\s+NULL"


def _schema(op: Operation) -> str | None:
    schema = op.kwargs.get("schema", op.batch_schema)
    return schema.lower() if isinstance(schema, str) else None


def _nullability(operations: Iterable[Operation], table: str, column: str, schema: str | None,
                 mysql: bool = False) -> tuple[bool | None, str, str]:
    """Whether the last of `operations` that says so leaves table.column NOT NULL (None: none says;
    False also when one drops or replaces the column, so what came before no longer counts), and
    the table's and column's names before the operations. On MySQL a type change that does not
    restate NOT NULL (nullable= or existing_nullable=False) is a MODIFY that leaves the column
    nullable. A rename keeps what the column was: the search goes on under its old name
    (sbl-filing-api's contact_info.phone, made NOT NULL, renamed phone_number)."""
    for op in reversed(tuple(operations)):
        if _schema(op) != schema and op.name != "execute":
            continue
        if (old := _renamed_from(op, table, column)) is not None:
            if op.name == "alter_column" and isinstance(op.kwargs.get("nullable"), bool):
                return op.kwargs["nullable"] is False, table, column
            if mysql and op.name == "alter_column":  # CHANGE restates the column: NULL unless said
                return op.kwargs.get("existing_nullable") is False, table, column
            table, column = old
            continue
        if _replaces(op, table, column):
            return False, table, column  # dropped or re-created: not known to be NOT NULL
        if op.name == "alter_column" and isinstance(op.kwargs.get("nullable"), bool):
            t, c = _altered(op)
            if _same(t, table) and _same(c, column):
                return op.kwargs["nullable"] is False, table, column
        elif mysql and op.name == "alter_column" and "type_" in op.kwargs:
            t, c = _altered(op)
            if _same(t, table) and _same(c, column):
                return op.kwargs.get("existing_nullable") is False, table, column
        elif op.name in ("add_column", "create_table"):
            spec = _declared(op, table, column)
            if spec is not None and spec.nullable is not None:
                return spec.not_null, table, column
        elif op.name == "execute" and isinstance(sql := op.arg(0, "sqltext"), str) and table in sql.lower() \
                and re.search(_DROP_NOT_NULL.format(column=re.escape(column)), sql, re.IGNORECASE):
            return False, table, column
        elif mysql and op.name == "execute" and isinstance(sql := op.arg(0, "sqltext"), str) \
                and (alter := altered(sql)) is not None and alter[0] == table \
                and (restated := mysql_modify(sql, column)) is not None:
            return restated, table, column
    return None, table, column


def mysql_modify(sql: str, column: str) -> bool | None:
    """Whether MySQL's `MODIFY [COLUMN] column <definition>` in the SQL restates the column NOT NULL
    (None where the SQL does not modify it): MODIFY restates the whole column, so without NOT NULL
    it leaves the column nullable (beaker's `MODIFY status ENUM(...) NOT NULL`)."""
    match = re.search(rf"(?i)\bMODIFY\s+(?:COLUMN\s+)?[`\"]?{re.escape(column)}[`\"]?\s", sql)
    if match is None:
        return None
    definition = sql[match.end():end_of_expression(sql, match.end(), NOTHING)]  # to the next clause
    return re.search(r"(?i)\bNOT\s+NULL\b", definition) is not None


def _renamed_from(op: Operation, table: str, column: str) -> tuple[str, str] | None:
    """The (table, column) names before the call, where it renames the table or the column into
    these names; None for any other call."""
    if op.name == "rename_table" and _same(op.arg(1, "new_table_name"), table) \
            and isinstance(old := op.arg(0, "old_table_name"), str):
        return old.lower(), column
    if op.name == "alter_column":
        t, c = _altered(op)
        if _same(t, table) and _same(op.kwargs.get("new_column_name"), column) and isinstance(c, str) \
                and c.lower() != column:
            return table, c.lower()
    return None


def _replaces(op: Operation, table: str, column: str) -> bool:
    """The call drops table.column or its table, or renames another column or table into it."""
    if op.name in ("drop_table", "rename_table"):
        names = (op.arg(0, "table_name"), op.arg(1, "new_table_name"), op.arg(0, "old_table_name"))
        return any(_same(n, table) for n in names)
    if op.name == "drop_column":
        t, rest = op.table_and_rest()
        return _same(t, table) and _same(op.kwargs.get("column_name", rest[0] if rest else None), column)
    if op.name == "alter_column":
        t, _ = _altered(op)
        return _same(t, table) and _same(op.kwargs.get("new_column_name"), column)
    return False


def in_primary_key(migration: Migration, before: int, ancestors: Iterable[Migration], table: str,
                   column: str) -> bool:
    """The create_table that made the table (in this revision before operation `before`, else the
    nearest ancestor that made it) has the column in its primary key, which no database lets hold
    NULL, MySQL's MODIFY included (tacker restates nullable=False on its keys)."""
    table, column = table.lower(), column.lower()
    for operations in (migration.operations[:before], *(a.operations for a in ancestors)):
        for op in reversed(tuple(operations)):
            if op.name == "rename_table" and _same(op.arg(1, "new_table_name"), table) \
                    and isinstance(old := op.arg(0, "old_table_name"), str):
                table = old.lower()  # made under its old name (tacker's devicetemplates, now vnfd)
                continue
            target, rest = op.table_and_rest()
            if op.name != "create_table" or not _same(target, table):
                continue
            for item in rest:
                if not isinstance(item, Call):
                    continue
                if item.short == "PrimaryKeyConstraint":
                    if any(_same(name, column) for name in item.args):
                        return True
                elif (spec := ColumnSpec.from_call(item)) is not None and _same(spec.name, column) \
                        and spec.primary_key:
                    return True
            return False
    return False


def known_not_null(migration: Migration, before: int, ancestors: Iterable[Migration], table: str,
                   column: str, mysql: bool = False) -> bool:
    """The history made table.column NOT NULL and nothing since made it nullable: this revision's
    calls before operation `before` (the alter_column that sets it, whose schema is the table's),
    else the nearest earlier revision that says, in the same schema."""
    return known_nullability(migration, before, ancestors, table, column, mysql) is True


def known_nullability(migration: Migration, before: int, ancestors: Iterable[Migration], table: str,
                      column: str, mysql: bool = False) -> bool | None:
    """True: the history last made table.column NOT NULL (as known_not_null reads it); False:
    nullable; None: no revision of this history says (a table another project's history created)."""
    table, column = table.lower(), column.lower()
    schema = _schema(migration.operations[before]) if before < len(migration.operations) else None
    found, table, column = _nullability(migration.operations[:before], table, column, schema, mysql)
    for ancestor in ancestors:
        if found is not None:
            break
        found, table, column = _nullability(ancestor.operations, table, column, schema, mysql)
    return found


def known_required(migration: Migration, before: int, ancestors: Iterable[Migration], table: str,
                   column: str, mysql: bool = False) -> bool:
    """The history made table.column NOT NULL with no server default, and it is no key the database
    fills: an INSERT that does not name it fails (spiff-arena's process_instance_file_data.identifier)."""
    ancestors = tuple(ancestors)
    if not known_not_null(migration, before, ancestors, table, column, mysql):
        return False
    table, column = table.lower(), column.lower()
    for operations in (migration.operations[:before], *(a.operations for a in ancestors)):
        for op in reversed(tuple(operations)):
            if op.name == "alter_column" and "server_default" in op.kwargs:
                t, c = _altered(op)
                if _same(t, table) and _same(c, column):
                    return op.kwargs["server_default"] is None
            elif op.name in ("add_column", "create_table") and (spec := _declared(op, table, column)):
                return spec.server_default is None and not (spec.primary_key or spec.generated)
    return False


def _declared(op: Operation, table: str, column: str) -> ColumnSpec | None:
    """What an add_column or create_table of `table` says of `column`, where it declares it."""
    target, rest = op.table_and_rest()
    if not _same(target, table):
        return None
    items = rest if op.name == "create_table" else (op.kwargs.get("column", rest[0] if rest else None),)
    specs = (ColumnSpec.from_call(item) for item in items if isinstance(item, Call))
    return next((spec for spec in specs if spec is not None and _same(spec.name, column)), None)


_KINDS = (("integer", re.compile(r"^(?:small|big|tiny|medium)?int(?:eger)?\d?$|^(?:big|small)?serial\d?$"
                                 r"|integer$")),
          ("uuid", re.compile(r"uuid|^guid$")),
          ("datetime", re.compile(r"date|timestamp|^time(?:tz)?$")),
          ("json", re.compile(r"^jsonb?$")),
          ("array", re.compile(r"^array$")),
          ("string", re.compile(r"char|text|string|unicode|clob")))


def value_kind(type_name: str) -> str | None:
    """What kind of value a type holds (integer, uuid, datetime, json, array, string), by its name;
    None for the rest (an interval, a point, a project's own type): a column added back as another
    kind holds other values, not the old ones recast."""
    name = type_name.split("(", 1)[0].strip().rsplit(".", 1)[-1].lower()
    return next((kind for kind, pattern in _KINDS if pattern.search(name)), None)


def other_kind(old: str, new: str) -> bool:
    """The two types hold different kinds of value, both known (an integer code made a MIME name):
    the old values are not the new ones recast."""
    kinds = {value_kind(old), value_kind(new)}
    return len(kinds) == 2 and None not in kinds


def type_name(value: object) -> str:
    """A type as the history writes it, by its last name (sa.Integer() -> "Integer"); a type given
    as text as it is; "" where there is none."""
    return value.short if isinstance(value, Call | Ref) else value if isinstance(value, str) else ""
