"""--rows N: fill each existing table with N generated rows before the next revision runs, so that
durations and rewrites mean something. Types, NOT NULL, unique keys and foreign keys are honoured
where generation can; a table it cannot fill is named with the server's reason."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

SKIP = ("alembic_version",)


def fill(connection: Any, rows: int, done: dict[str, int], failed: dict[str, str]) -> None:
    """Every table not filled yet and still empty, parents before children; each in a savepoint,
    so that a refusal leaves the migration's transaction as it was."""
    import sqlalchemy as sa

    metadata = sa.MetaData()
    metadata.reflect(connection)
    for table in metadata.sorted_tables:
        name = table.name
        if name in done or name in failed or name.startswith(SKIP):
            continue
        if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None:
            done[name] = 0  # it has rows already: leave it as it is
            continue
        try:
            values = _rows(connection, table, rows)
            with connection.begin_nested():
                connection.execute(table.insert(), values)
            done[name] = rows
        except Exception as exc:  # the server's refusal is the reason to give
            text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            failed[name] = text[0] if text else type(exc).__name__


def _rows(connection: Any, table: Any, count: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    parents: dict[str, list[Any]] = {}
    for column in table.columns:
        for key in column.foreign_keys:
            target = key.column
            found = [row[0] for row in connection.execute(sa.select(target).limit(count))]
            if not found and not column.nullable:
                raise ValueError(f"{column.name} references {target.table.name}, which is empty")
            parents[column.name] = found
    result = []
    for i in range(count):
        row: dict[str, Any] = {}
        for column in table.columns:
            if column.name in parents:
                choices = parents[column.name]
                row[column.name] = choices[i % len(choices)] if choices else None
            elif column.primary_key and column.autoincrement in (True, "auto") and _integer(column):
                continue  # the server numbers it
            elif column.server_default is not None and column.nullable:
                continue
            else:
                row[column.name] = _value(column, i)
        result.append(row)
    return result


def _integer(column: Any) -> bool:
    import sqlalchemy as sa

    return isinstance(column.type, sa.Integer)


def _value(column: Any, i: int) -> Any:
    """A value of the column's type, distinct per row (so unique keys hold)."""
    import sqlalchemy as sa

    kind = column.type
    if isinstance(kind, sa.Enum) and kind.enums:
        return kind.enums[i % len(kind.enums)]
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.Integer):
        return i + 1
    if isinstance(kind, sa.Numeric):
        return decimal.Decimal(i + 1) if kind.asdecimal else float(i + 1)
    if isinstance(kind, sa.DateTime):
        return datetime.datetime(2020, 1, 1) + datetime.timedelta(seconds=i)
    if isinstance(kind, sa.Date):
        return datetime.date(2000, 1, 1) + datetime.timedelta(days=i)
    if isinstance(kind, sa.Time):
        return datetime.time(i // 3600 % 24, i // 60 % 60, i % 60)
    if isinstance(kind, sa.Uuid):
        return uuid.UUID(int=i + 1) if kind.as_uuid else str(uuid.UUID(int=i + 1))
    if isinstance(kind, sa.JSON):
        return {"n": i}
    if isinstance(kind, sa.LargeBinary):
        return str(i).encode()
    if isinstance(kind, sa.String):
        text = f"{column.name}-{i}"
        length = getattr(kind, "length", None)
        return text[-length:] if length else text
    raise ValueError(f"cannot generate values of type {kind} for {column.name}")
