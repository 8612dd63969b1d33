"""add-column-not-null-without-default: a NOT NULL column that existing rows cannot fill."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, fails_on_rows, shown, sql_hit, sql_walk
from migrate_lint.checks.written import CREATORS, constraint_columns
from migrate_lint.revisions.migration import Call, ColumnSpec, Migration, Operation

CODE = "ML301"
SCOPE = "revision"
# MySQL and MariaDB fill a NOT NULL column added without a default with the type's implicit default
# (0, '', a zero-length blob, '00:00:00', the first ENUM value), strict mode or not (checked on MariaDB
# 10.11); a date has none that NO_ZERO_DATE allows (the default mode since MySQL 5.7), and JSON, spatial
# and unknown types are left reported
FILLED_ON_MYSQL = frozenset({
    "Integer", "BigInteger", "SmallInteger", "Boolean", "Numeric", "Float", "Double", "String", "Unicode",
    "Text", "UnicodeText", "Enum", "CHAR", "VARCHAR", "NVARCHAR", "TEXT", "INTEGER", "INT", "BIGINT",
    "SMALLINT", "TINYINT", "BOOLEAN", "DECIMAL", "NUMERIC", "FLOAT", "DOUBLE", "BIT", "MEDIUMTEXT",
    "LONGTEXT", "TINYTEXT", "ENUM", "SET", "LargeBinary", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB",
    "BINARY", "VARBINARY", "Time", "TIME", "YEAR", "BOOL", "MEDIUMINT", "REAL"})
# ...and before MySQL 5.7 no default mode rejects the zero date either
DATES = frozenset({"Date", "DateTime", "DATE", "DATETIME", "TIMESTAMP"})


def _filled_on_mysql(type_name: str, ctx: CheckContext) -> bool:
    return ctx.mysql and (type_name in FILLED_ON_MYSQL or (
        type_name in DATES and ctx.dialect == "mysql" and ctx.mysql_version < (5, 7)))


# An integer primary key SQLAlchemy makes SERIAL on PostgreSQL: its sequence fills existing rows
# (volatile-default reports the rewrite that takes)
_SERIAL_TYPES = frozenset({"Integer", "BigInteger", "SmallInteger", "INTEGER", "BIGINT", "SMALLINT"})


def _serial(op: Operation, column: ColumnSpec, ctx: CheckContext) -> bool:
    if not (ctx.postgresql and column.primary_key and column.type_name in _SERIAL_TYPES):
        return False
    _, rest = op.table_and_rest()
    call = op.kwargs.get("column", rest[0] if rest else None)
    return isinstance(call, Call) and call.kwargs.get("autoincrement") is not False


def _from_operations(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op, table, column in migration.added_columns():
        if op.name != "add_column" or not column.not_null or column.server_default is not None \
                or column.generated or _serial(op, column, ctx) \
                or table.lower() in migration.created_before(op):
            continue
        if _filled_on_mysql(column.type_name, ctx) and not _key_breaks_on_mysql(migration, op, table, column):
            continue
        name = shown(column.name)
        if emptied := _emptied_before(migration, op, table):
            yield at(op, f"{table}.{name}", table=table, column=name, variant="emptied",
                     emptied_at=str(emptied))
            continue
        if _filled_on_mysql(column.type_name, ctx):
            # the implicit 0 or '' in every row: no row it references, the same value in each
            # (which a unique key takes once: it fails from the second row, networking-sfc's chain_id)
            foreign = "foreign key" in _key_kinds(migration, op, table, column)
            yield at(op, f"{table}.{name}", table=table, column=name,
                     variant="mysql_key" if foreign else "mysql_unique")
            continue
        kinds = _key_kinds(migration, op, table, column)
        yield at(op, f"{table}.{name}", table=table, column=name,
                 variant=("foreign_key" if kinds == {"foreign key"} else "key") if kinds else
                 "python_default" if column.has_python_default else "default")


def _emptied_before(migration: Migration, added: Operation, table: str) -> int | None:
    """The line of a DELETE without WHERE or TRUNCATE that empties the table before the column is
    added, with no INSERT into it between (contentdb deletes the pending e-mail verifications
    first): the ALTER then succeeds, and only the running release's INSERTs fail."""
    index = migration.operations.index(added)
    line = None
    for write in sorted(migration.updates, key=lambda u: u.position):
        if write.position > index:
            break
        if write.empties(table) and write.table.lower() == table.lower():
            line = write.line
        elif write.inserts(table):
            line = None
    return line


# the calls that make a key, which no one value in every row can fill, by their kind
KEY_CALLS = {CREATORS[kind][0]: kind for kind in ("foreign key", "unique constraint", "primary key")}


def _key_kinds(migration: Migration, added: Operation, table: str, column: ColumnSpec) -> set[str]:
    """The kinds of key the column belongs to ("foreign key", "unique constraint", "primary key"),
    as added or by a later call of the revision (ros-backend's system_id, made a foreign key and
    part of the primary key): no one server default fills a unique or primary key; a foreign key
    takes one only where every row belongs to one referenced row."""
    return _kinds_as_added(added, column) | _later_kinds(migration, added, table, column)


def _kinds_as_added(added: Operation, column: ColumnSpec) -> set[str]:
    rest = added.table_and_rest()[1]
    call = added.kwargs.get("column", rest[0] if rest else None)
    kinds = {"primary key"} if column.primary_key else set()
    if isinstance(call, Call):
        if call.kwargs.get("unique") is True:
            kinds.add("unique constraint")
        if any(isinstance(arg, Call) and arg.short == "ForeignKey" for arg in call.args):
            kinds.add("foreign key")
    return kinds


def _later_keys(migration: Migration, added: Operation, table: str,
                column: ColumnSpec) -> Iterator[tuple[int, str]]:
    """(index, kind) of each later call of the revision that makes the column part of a key."""
    named = str(column.name).lower()
    start = migration.operations.index(added) + 1
    for index, op in enumerate(migration.operations[start:], start):
        if op.name not in KEY_CALLS or str(op.table_at(1, "table_name" if op.name != "create_foreign_key"
                                                   else "source_table")).lower() != table.lower():
            continue
        columns = constraint_columns(op, KEY_CALLS[op.name])
        if isinstance(columns, tuple | list) and any(isinstance(c, str) and c.lower() == named
                                                     for c in columns):
            yield index, KEY_CALLS[op.name]


def _later_kinds(migration: Migration, added: Operation, table: str, column: ColumnSpec) -> set[str]:
    return {kind for _, kind in _later_keys(migration, added, table, column)}


def _later_key(migration: Migration, added: Operation, table: str, column: ColumnSpec) -> int | None:
    """The index of the first later call of the revision that makes the column part of a key."""
    return next((index for index, _ in _later_keys(migration, added, table, column)), None)


def _key_breaks_on_mysql(migration: Migration, added: Operation, table: str, column: ColumnSpec) -> bool:
    """On MySQL the implicit value in every row meets the key: one it was added with, or one made
    later with no UPDATE of the column between (neutron fills its port-forwarding columns row by
    row before it makes them unique)."""
    if column.primary_key:
        return False
    if _kinds_as_added(added, column):
        return True
    made = _later_key(migration, added, table, column)
    return made is not None and not any(
        u.fills(table, str(column.name)) and u.position <= made for u in migration.updates)


def _sql_type(sql: str, column: str) -> str:
    """The type an ADD [COLUMN] in SQL gives the column, upper case (beaker's `ADD name VARCHAR(255)
    NOT NULL`); "" when the SQL does not say it plainly."""
    match = re.search(rf"(?i)\bADD\s+(?:COLUMN\s+)?[`\"]?{re.escape(column)}[`\"]?\s+([A-Za-z]+)", sql)
    return match[1].upper() if match else ""


def _read_from_ast(migration: Migration) -> set[int]:
    """Lines of add_column calls whose sa.Column literal the AST path already judged."""
    # added_columns() has read those on a table named by a literal; the rest are read here
    lines = {op.line for op, _, _ in migration.added_columns() if op.name == "add_column"}
    for op in migration.operations:
        if op.name != "add_column" or op.line in lines:
            continue
        column = op.kwargs.get("column", op.table_and_rest()[1][0] if op.table_and_rest()[1] else None)
        if isinstance(column, Call) and ColumnSpec.from_call(column):
            lines.add(op.line)
    return lines


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    yield from _from_operations(migration, ctx)
    judged = _read_from_ast(migration) if "add_column" in migration.names else set()
    for statement, created in sql_walk(migration, ctx, after_failures=False):  # helper-built, raw SQL
        if statement.line in judged:
            continue
        failing = fails_on_rows(statement, created)
        for table, column, not_null, default in statement.facts.added_columns:
            if table in failing and not_null and default is None \
                    and not _filled_on_mysql(_sql_type(statement.sql, column), ctx):
                yield sql_hit(statement, f"{table}.{column}", table=table, column=column,
                              variant="default")
