"""The SQL an op.* call stands for, written from the AST alone, so SQL rules work without rendering.

Used for --no-execute and for revisions that could not be rendered. It covers the calls the SQL
rules read; values that are not literals become neutral placeholders, never guesses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from migrate_lint.migration import Call, ColumnSpec, Operation, Ref, Statement

TYPES = {"String": "VARCHAR", "Unicode": "VARCHAR", "Text": "TEXT", "UnicodeText": "TEXT",
         "Integer": "INTEGER", "BigInteger": "BIGINT", "SmallInteger": "SMALLINT", "Boolean": "BOOLEAN",
         "DateTime": "TIMESTAMP", "Date": "DATE", "Float": "FLOAT", "Numeric": "NUMERIC", "JSON": "JSON",
         "JSONB": "JSONB", "UUID": "UUID", "Uuid": "UUID", "LargeBinary": "BYTEA"}


def _ident(value: Any) -> str:
    return value if isinstance(value, str) and value else "unknown"


def _columns(value: Any) -> str:
    items = value if isinstance(value, tuple) else (value,)
    return ", ".join(_ident(v) for v in items)


def type_sql(value: Any) -> str:
    if isinstance(value, Call | Ref):
        name = TYPES.get(value.short, value.short.upper())
        args = [str(a) for a in getattr(value, "args", ()) if isinstance(a, int)]
        length = value.kwargs.get("length") if isinstance(value, Call) else None
        args = args or ([str(length)] if isinstance(length, int) else [])
        return f"{name}({', '.join(args)})" if args else name
    return "TEXT"


def default_sql(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Call) and value.short == "text" and value.args and isinstance(value.args[0], str):
        return value.args[0]
    if isinstance(value, Call) and ".func." in f".{value.func}.":
        return f"{value.short}()"
    if isinstance(value, Call) and value.short in ("true", "false", "null"):
        return value.short.upper()
    return "0"  # computed elsewhere: a constant as far as anything here can tell


def _not_valid(op: Operation) -> str:
    return " NOT VALID" if op.kwargs.get("postgresql_not_valid") is True else ""


def _sql(op: Operation, dialect: str) -> Iterator[str]:
    from migrate_lint.sql import split_statements

    name, batch = op.name, op.batch_table is not None
    table, rest = op.table_and_rest()
    if name == "execute":
        sql = op.arg(0, "sqltext")
        if isinstance(sql, Call) and sql.short == "text":
            sql = sql.args[0] if sql.args else None
        if isinstance(sql, str):
            yield from split_statements(sql, dialect)
    elif name == "create_table":
        yield f"CREATE TABLE {_ident(op.arg(0, 'table_name'))} (id INTEGER)"
    elif name == "create_index":
        index_table = op.batch_table if batch else op.arg(1, "table_name")
        columns = op.arg(1 if batch else 2, "columns")
        unique = "UNIQUE " if op.kwargs.get("unique") is True else ""
        concurrently = "CONCURRENTLY " if op.kwargs.get("postgresql_concurrently") is True else ""
        yield (f"CREATE {unique}INDEX {concurrently}{_ident(op.arg(0, 'index_name'))} "
               f"ON {_ident(index_table)} ({_columns(columns)})")
    elif name == "drop_index":
        concurrently = "CONCURRENTLY " if op.kwargs.get("postgresql_concurrently") is True else ""
        yield f"DROP INDEX {concurrently}{_ident(op.arg(0, 'index_name'))}"
    elif name in ("create_foreign_key", "create_check_constraint", "create_unique_constraint",
                  "create_primary_key"):
        yield _constraint_sql(op)
    elif name == "add_column":
        column = op.kwargs.get("column", rest[0] if rest else None)
        spec = ColumnSpec.from_call(column) if isinstance(column, Call) else None
        if spec is not None:
            default = default_sql(spec.server_default)
            kind = type_sql(column.arg(1, "type_"))
            yield (f"ALTER TABLE {_ident(table)} ADD COLUMN {_ident(spec.name)} {kind}"
                   + (f" DEFAULT {default}" if default else "") + (" NOT NULL" if spec.not_null else ""))
    elif name == "alter_column":
        column = _ident(op.kwargs.get("column_name", rest[0] if rest else None))
        if "type_" in op.kwargs:
            yield f"ALTER TABLE {_ident(table)} ALTER COLUMN {column} TYPE {type_sql(op.kwargs['type_'])}"
        if op.kwargs.get("nullable") is False:
            yield f"ALTER TABLE {_ident(table)} ALTER COLUMN {column} SET NOT NULL"
        if isinstance(op.kwargs.get("new_column_name"), str):
            yield f"ALTER TABLE {_ident(table)} RENAME COLUMN {column} TO {op.kwargs['new_column_name']}"
    elif name == "rename_table":
        old, new = op.arg(0, "old_table_name"), op.arg(1, "new_table_name")
        yield f"ALTER TABLE {_ident(old)} RENAME TO {_ident(new)}"


def _constraint_sql(op: Operation) -> str:
    batch = op.batch_table is not None
    name = op.arg(0, "constraint_name")
    named = f"CONSTRAINT {name} " if isinstance(name, str) else ""
    shift = 0 if batch else 1
    table = op.batch_table if batch else op.arg(1, "table_name" if op.name != "create_foreign_key"
                                                   else "source_table")
    if op.name == "create_foreign_key":
        referent = op.arg(1 + shift, "referent_table")
        body = (f"FOREIGN KEY ({_columns(op.arg(2 + shift, 'local_cols'))}) REFERENCES "
                f"{_ident(referent)} ({_columns(op.arg(3 + shift, 'remote_cols'))})")
    elif op.name == "create_check_constraint":
        condition = op.arg(1 + shift, "condition")
        if isinstance(condition, Call) and condition.short == "text" and condition.args:
            condition = condition.args[0]
        body = f"CHECK ({condition if isinstance(condition, str) else '1 = 1'})"
    elif op.name == "create_unique_constraint":
        body = f"UNIQUE ({_columns(op.arg(1 + shift, 'columns'))})"
    else:
        body = f"PRIMARY KEY ({_columns(op.arg(1 + shift, 'columns'))})"
    return f"ALTER TABLE {_ident(table)} ADD {named}{body}{_not_valid(op)}"


def statements_from_operations(operations: tuple[Operation, ...], dialect: str) -> tuple[Statement, ...]:
    return tuple(Statement(sql, op.function, op.line, dialect, op.autocommit)
                 for op in operations for sql in _sql(op, dialect))
