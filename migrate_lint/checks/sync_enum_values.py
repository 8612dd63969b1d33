"""sync-enum-values: alembic_postgresql_enum re-creates the type and converts every column using it."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.revisions.migration import Call, Migration, Operation

CODE = "ML119"
SCOPE = "revision"


def _target(item: object) -> str | None:
    if isinstance(item, Call):  # TableReference(table_schema, table_name, column_name), by keyword or not
        table, column = item.arg(1, "table_name"), item.arg(2, "column_name")
        known = isinstance(table, str) and isinstance(column, str)
        return f"{shown(table)}.{shown(column)}" if known else None
    if isinstance(item, tuple) and len(item) == 2:  # the older API: (table, column)
        return f"{shown(item[0])}.{shown(item[1])}"
    return None


def _columns(op: Operation) -> str:
    """The table.column targets the call names (the older API has old_values before new_values)."""
    candidates = [op.kwargs["affected_columns"]] if "affected_columns" in op.kwargs else list(op.args[2:])
    for value in candidates:
        names = [t for t in map(_target, value if isinstance(value, tuple | list) else ()) if t]
        if names:
            return ", ".join(names)
    return "every column of that type"


def recreates_type(op: Operation, ctx: CheckContext) -> bool:
    """alembic_postgresql_enum's call always re-creates the type; alembic-autogenerate-enums' only
    with should_reverse=True (its downgrade), else it COMMITs and adds the values in place."""
    return not ctx.enum_sync_adds_values or op.arg(5, "should_reverse") is True


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for op in migration.operations:
        if op.name == "sync_enum_values" and recreates_type(op, ctx):
            enum = shown(op.arg(1, "enum_name"))
            columns = _columns(op)
            tables = {column.split(".")[0] for column in columns.split(", ") if "." in column}
            on_table = {"table": tables.pop()} if len(tables) == 1 else {}
            yield at(op, enum, enum=enum, columns=columns, **on_table)
