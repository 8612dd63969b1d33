"""alter-column-type: changing a column's type rewrites the table under an exclusive lock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.rendering.opsql import TYPES, is_array, type_sql
from migrate_lint.revisions.coltypes import old_type
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref, Unknown

CODE = "ML107"
SCOPE = "revision"
TYPE = r"^\s*(?P<name>[A-Z ]+?)\s*(?:\((?P<size>\d+)(?:\s*,\s*(?P<scale>\d+))?\))?\s*$"
SYNONYMS = {"CHARACTER VARYING": "VARCHAR", "DECIMAL": "NUMERIC"}  # sqlglot writes NUMERIC as DECIMAL


def _parts(sql_type: str) -> tuple[str, int | None, int | None] | None:
    match = re.match(TYPE, sql_type.upper())
    if not match:
        return None
    size, scale = match["size"], match["scale"]
    return match["name"], int(size) if size else None, int(scale) if scale else None


def no_rewrite(old: str, new: str, dialect: str) -> bool:
    """Type changes the database does in place: widening a varchar, varchar to text, and so on."""
    before, after = _parts(old), _parts(new)
    if before is None or after is None:
        return False
    (old_name, old_size, old_scale), (new_name, new_size, new_scale) = before, after
    old_name, new_name = (SYNONYMS.get(n, n) for n in (old_name, new_name))
    if dialect in ("mysql", "mariadb"):  # in place while the length prefix stays 1 or 2 bytes
        # the prefix counts bytes: 255 of them are 255 latin1 characters but 63 utf8mb4 ones (the
        # default charset; trace on MariaDB 10.11: VARCHAR(60) -> VARCHAR(70) copies the table)
        return old_name == new_name == "VARCHAR" and old_size is not None and new_size is not None \
            and new_size >= old_size and (old_size > 255) == (new_size > 255) \
            and (old_size > 63) == (new_size > 63)
    if old_name == "VARCHAR" and new_name in ("VARCHAR", "TEXT"):
        return new_name == "TEXT" or new_size is None or (old_size is not None and new_size >= old_size)
    if old_name == "TEXT" and new_name == "VARCHAR":
        return new_size is None
    if old_name == new_name == "NUMERIC":
        return new_size is None or (old_size is not None and new_size >= old_size and old_scale == new_scale)
    return old_name == new_name and old_size == new_size


def written(value: Any) -> str:
    """A type as SQL when it is one SQLAlchemy renders plainly, else as the code spells it (a
    TypeDecorator or a dialect type: what it renders is not knowable without importing it)."""
    if isinstance(value, str):
        return value.replace("DECIMAL", "NUMERIC")
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


def _old(migration: Migration, ctx: CheckContext, call: Operation | None, table: str,
         column: str, line: int) -> Any:
    if call is not None and call.kwargs.get("existing_type") is not None:
        return call.kwargs["existing_type"]
    return old_type(migration, ctx.ancestors(migration), table, column, line)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    words = migration.upper_sql
    if not (ctx.postgresql or ctx.mysql) or ("TYPE" not in words and "MODIFY" not in words
                                              and "CHANGE" not in words):
        return
    calls = _alter_calls(migration) if "alter_column" in migration.names else {}
    for statement, created in sql_walk(migration, ctx):
        upper = statement.sql.upper()
        if "TYPE" not in upper and "MODIFY" not in upper and "CHANGE" not in upper:
            continue
        rewrites = []  # one ALTER TABLE rewrites its table once, however many columns change
        for table, column, _, new_type in statement.facts.altered_columns:
            if new_type is None or table in created:
                continue
            call = calls.get(statement.line) if calls.get(statement.line) is not None and \
                _same_column(calls[statement.line], column) else calls.get((table, column))
            old_value = _old(migration, ctx, call, table, column, statement.line)
            old = old_value if isinstance(old_value, str) else type_sql(old_value) if old_value is not None \
                else None
            if old is not None and no_rewrite(old, new_type, ctx.dialect):
                continue
            new_value = call.kwargs.get("type_") if call is not None else None
            new = written(new_value) if new_value is not None and not migration.rendered else \
                written(new_type)
            variant = "default" if old else "unknown" if call is not None else "raw"
            shown_old = written(old_value) if old_value is not None else ""
            rewrites.append((table, column, new, shown_old, variant))
        if len(rewrites) > 1:
            table = rewrites[0][0]
            columns = ", ".join(c for _, c, _, _, _ in rewrites)
            yield sql_hit(statement, f"{table}.{rewrites[0][1]}", table=table, column=columns,
                          count=str(len(rewrites)), new="", old="", variant="several")
        elif rewrites:
            table, column, new, old, variant = rewrites[0]
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column, new=new, old=old,
                          variant=variant)


def _same_column(op: Operation, column: str) -> bool:
    _, rest = op.table_and_rest()
    names = (op.kwargs.get("column_name", rest[0] if rest else None), op.kwargs.get("new_column_name"))
    return any(isinstance(name, str) and name.lower() == column for name in names)  # MySQL CHANGE: new
