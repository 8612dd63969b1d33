"""primary-key-change: an existing table's primary key is dropped (and re-created), or the key
column's type changes (integer to UUID)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at
from migrate_lint.revisions.migration import Migration, Operation

CODE = "ML312"
SCOPE = "revision"
_RAW_DROP = re.compile(r'^ALTER\s+TABLE\s+(?:ONLY\s+)?(?P<table>[\w".]+)\s.*\bDROP\s+CONSTRAINT\s+'
                       r'(?:IF\s+EXISTS\s+)?"?\w+_pkey"?', re.IGNORECASE | re.DOTALL)


def _keys(migration: Migration) -> Iterator[tuple[str, str]]:
    """(table, column) of the primary keys a revision declares."""
    for _, table, spec in migration.added_columns():
        if spec.primary_key and isinstance(spec.name, str):
            yield table.lower(), spec.name.lower()
    for op in migration.operations:
        if op.name == "create_primary_key":
            table, columns = op.arg(1, "table_name"), op.arg(2, "columns")
            if isinstance(table, str) and isinstance(columns, tuple):
                yield from ((table.lower(), c.lower()) for c in columns if isinstance(c, str))


def _column(op: Operation) -> tuple[str, str] | None:
    table, rest = op.table_and_rest()
    column = op.kwargs.get("column_name", rest[0] if rest else None)
    return (table.lower(), column.lower()) if isinstance(table, str) and isinstance(column, str) else None


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    candidates = [op for op in migration.operations
                  if (op.name == "drop_constraint" and op.kwargs.get("type_") == "primary")
                  or (op.name == "alter_column" and op.kwargs.get("type_") is not None)
                  or op.name == "drop_column"]
    reported: set[str] = set()  # one finding per table: the drop and the re-create are one change
    keys: set[tuple[str, str]] | None = None
    for op in candidates:
        if op.name == "drop_constraint":
            table = op.kwargs.get("table_name", op.batch_table if op.batch_table is not None
                                  else op.args[1] if len(op.args) > 1 else None)
            if isinstance(table, str) and table.lower() not in migration.created_before(op) \
                    and table.lower() not in reported:
                reported.add(table.lower())
                yield at(op, table, table=table, column="", variant="default")
            continue
        target = _column(op)
        if target is None or target[0] in reported or target[0] in migration.created_before(op):
            continue
        if keys is None:  # the history's primary keys, read only when a key column may change
            keys = set(_keys(migration))
            for ancestor in ctx.ancestors(migration):
                keys.update(_keys(ancestor))
        if target in keys:
            reported.add(target[0])
            yield at(op, f"{target[0]}.{target[1]}", table=target[0], column=target[1],
                     variant="type" if op.name == "alter_column" else "column")
    for statement in migration.statements:
        if "pkey" not in statement.sql.lower():
            continue  # what _RAW_DROP needs (lower-cased: the Kelvin sign matches k as it does)
        match = _RAW_DROP.match(statement.sql.strip())
        table = match["table"].strip('"').rsplit(".", 1)[-1].lower() if match else None
        if table and table not in reported and statement.line not in {op.line for op in candidates}:
            reported.add(table)
            yield Hit(statement.line, table, {"table": table, "column": "", "variant": "default"},
                      statement.column, statement.end_line)
