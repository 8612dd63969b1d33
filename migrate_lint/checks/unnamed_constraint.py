"""unnamed-constraint: constraints created or dropped with None as their name."""

import re
from collections.abc import Iterator
from typing import Any

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.revisions.migration import Migration, Operation
from migrate_lint.sql.names import is_name, server_name_of, truncated

# call -> (kind, name prefix, keyword of the table in the op. form, keyword of the columns)
CREATES = {
    "create_foreign_key": ("foreign key", "fk", "source_table", "local_cols"),
    "create_unique_constraint": ("unique", "uq", "table_name", "columns"),
    "create_check_constraint": ("check", "ck", "table_name", "condition"),
    "create_primary_key": ("primary key", "pk", "table_name", "columns"),
}

CODE = "ML303"
MAX_NAME = 63  # PostgreSQL shortens longer names its own way
SCOPE = "revision"


def _table_and_columns(op: Operation, table_key: str, columns_key: str) -> tuple[Any, Any]:
    if op.batch_table is not None:
        table, offset = op.batch_table, 1
    else:
        table, offset = op.arg(1, table_key), 2
    if op.name == "create_foreign_key":
        offset += 1  # the referent table comes before the local columns
    return table, op.arg(offset, columns_key)


def _suggested(prefix: str, table: str, columns: Any, op: Operation) -> str:
    parts = [prefix, table if is_name(table) else "<table>"]  # a computed table: a template, not a name
    if prefix in ("fk", "uq") and isinstance(columns, tuple) and columns:
        parts.append("_".join(str(c) for c in columns))
    if prefix == "fk":
        referent = op.arg(1 if op.batch_table is not None else 2, "referent_table")
        parts.append(shown(referent))
    elif prefix == "ck" and isinstance(columns, str):  # the condition: name it after its first column
        first = re.search(r"[A-Za-z_]\w*", columns)
        parts.append(first.group().lower() if first else "check")
    elif prefix == "ck":
        parts.append("check")
    return "_".join(parts)


def _mysql_name(kind: str, columns: Any) -> str:
    """The name MySQL and MariaDB give an unnamed key: PRIMARY, or a unique key's first column. A
    foreign key's (<table>_ibfk_<n>) counts the table's others, and a CHECK's differs between the
    two servers: neither can be spelled from the call."""
    if kind == "primary key":
        return "PRIMARY"
    if kind == "unique" and isinstance(columns, list | tuple) and columns and isinstance(columns[0], str):
        return columns[0]
    return "unnamed"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op in migration.operations:
        if op.name == "drop_constraint" and op.arg(0, "constraint_name", "?") is None:
            table = op.batch_table if op.batch_table is not None else op.arg(1, "table_name")
            yield at(op, shown(table), table=shown(table), call=op.name, variant="drop")
        elif op.name in CREATES and op.arg(0, "constraint_name", "?") is None:
            if ctx.naming_convention:
                continue
            kind, prefix, table_key, columns_key = CREATES[op.name]
            table, columns = _table_and_columns(op, table_key, columns_key)
            # PostgreSQL's own name is fixed (<table>_<columns>_fkey, _key, _check, _pkey), so a later
            # revision can spell it: a lesser risk there (`lesser` in the rule's YAML)
            server = server_name_of(shown(table), kind, columns, columns) if ctx.postgresql else \
                _mysql_name(kind, columns) if ctx.mysql else "unnamed"
            variant = "default" if server == "unnamed" or len(server) > MAX_NAME else \
                "postgresql" if ctx.postgresql else "mysql"
            if variant == "default" and (reflecting := _reflects_names(ctx)):
                variant, server = "reflected", reflecting
            # within the server's identifier limit, cut as SQLAlchemy and the fixer cut a long name
            suggested = truncated(_suggested(prefix, shown(table), columns, op), 64 if ctx.mysql else 63)
            yield at(op, shown(table), table=shown(table), call=op.name, kind=kind,
                     suggested=suggested, server_name=server,
                     variant=variant)


REFLECTION = re.compile(r"\.get_(?:foreign_keys|unique_constraints|check_constraints|pk_constraint)\(")


def _reflects_names(ctx: CheckContext) -> str:
    """A revision of the history that finds constraint names by reflection before it drops them
    (zun's `inspector.get_foreign_keys(...)`): the house way to drop what was created unnamed."""
    for migration in ctx.migrations.values():
        if "get_" in migration.source and REFLECTION.search(migration.source):
            return migration.path.name
    return ""
