"""Schema shapes: what a database holds and what the models declare, in one comparable form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from migrate_lint.database import typenames

MYSQL = ("mysql", "mariadb")


@dataclass(frozen=True)
class ColumnShape:
    name: str
    type: str  # canonical for the dialect (typenames.canonical)
    nullable: bool
    default: str | None  # normalised (typenames.default)
    comment: str | None


@dataclass(frozen=True)
class IndexShape:
    name: str | None
    columns: tuple[str, ...]
    unique: bool


@dataclass(frozen=True)
class ForeignKeyShape:
    name: str | None
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    ondelete: str | None
    onupdate: str | None


@dataclass(frozen=True)
class CheckShape:
    name: str | None
    text: str  # normalised


@dataclass
class TableShape:
    name: str
    columns: dict[str, ColumnShape] = field(default_factory=dict)
    indexes: list[IndexShape] = field(default_factory=list)
    uniques: list[IndexShape] = field(default_factory=list)
    foreign_keys: list[ForeignKeyShape] = field(default_factory=list)
    checks: list[CheckShape] = field(default_factory=list)
    comment: str | None = None


@dataclass
class SchemaShape:
    tables: dict[str, TableShape] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)  # PostgreSQL enum types


def _action(value: str | None) -> str | None:
    """ON DELETE/UPDATE: NO ACTION is what no clause means."""
    text = (value or "").strip().upper()
    return None if text in ("", "NO ACTION") else text


def _check_text(text: str) -> str:
    """CHECK text without what databases add when they store it: casts, parentheses, quotes, case."""
    text = re.sub(r"::[\w ]+(\[\])?", "", text.lower())
    text = re.sub(r"[()`\"\s]", "", text)
    return text


def from_metadata(metadata: Any, dialect: Any, keep: Any) -> SchemaShape:
    """The shape the models declare, compiled for the database's dialect."""
    import sqlalchemy as sa

    shape = SchemaShape()
    for table in metadata.sorted_tables:
        if not keep(table.name):
            continue
        found = shape.tables[table.name] = TableShape(table.name, comment=table.comment)
        for column in table.columns:
            found.columns[column.name] = ColumnShape(
                column.name, typenames.canonical(typenames.compiled(column.type, dialect), dialect.name),
                bool(column.nullable), typenames.default(_server_default(column, dialect), dialect.name),
                column.comment)
            if isinstance(column.type, sa.Enum) and column.type.name and dialect.name == "postgresql":
                shape.enums[column.type.name] = tuple(column.type.enums)
        for index in table.indexes:
            columns = tuple(c.name if isinstance(c, sa.Column) else str(c) for c in index.expressions)
            found.indexes.append(IndexShape(_name(index.name), columns, bool(index.unique)))
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint) and dialect.name in MYSQL:
                found.indexes.append(IndexShape(_name(constraint.name),  # MySQL: a unique index
                                                tuple(c.name for c in constraint.columns), True))
            elif isinstance(constraint, sa.UniqueConstraint):
                found.uniques.append(IndexShape(_name(constraint.name),
                                                tuple(sorted(c.name for c in constraint.columns)), True))
            elif isinstance(constraint, sa.CheckConstraint):
                text = _literal_sql(constraint.sqltext, dialect)
                found.checks.append(CheckShape(_name(constraint.name), _check_text(text)))
        for fk in table.foreign_key_constraints:
            found.foreign_keys.append(ForeignKeyShape(
                _name(fk.name), tuple(fk.column_keys), fk.referred_table.name,
                tuple(e.column.name for e in fk.elements), _action(fk.ondelete), _action(fk.onupdate)))
    return shape


def _name(name: Any) -> str | None:
    """A constraint's name, or None when SQLAlchemy would leave naming to the database."""
    text = str(name) if name is not None else None
    return None if text in (None, "", "_unnamed_") else text


def _server_default(column: Any, dialect: Any) -> str | None:
    default = column.server_default
    if default is None or not hasattr(default, "arg"):
        return None
    arg = default.arg
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return _literal_sql(arg, dialect)


def _literal_sql(element: Any, dialect: Any) -> str:
    return str(element.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def reflect(connection: Any, keep: Any) -> SchemaShape:
    """The shape a database holds, read through SQLAlchemy's inspector (read-only)."""
    import sqlalchemy as sa

    inspector = sa.inspect(connection)
    dialect = connection.dialect
    shape = SchemaShape()
    for name in inspector.get_table_names():
        if keep(name):
            shape.tables[name] = _reflect_table(inspector, dialect, name)
    if dialect.name == "postgresql":
        shape.enums = {e["name"]: tuple(e["labels"]) for e in inspector.get_enums()}
    return shape


def _reflect_table(inspector: Any, dialect: Any, name: str) -> TableShape:
    table = TableShape(name, comment=_optional(lambda: inspector.get_table_comment(name).get("text")))
    primary = set(inspector.get_pk_constraint(name).get("constrained_columns") or ())
    for column in inspector.get_columns(name):
        default = column.get("default")
        if column["name"] in primary and isinstance(default, str) and default.startswith("nextval("):
            default = None  # SERIAL: the sequence behind an autoincrementing key, not a model default
        table.columns[column["name"]] = ColumnShape(
            column["name"], typenames.canonical(typenames.compiled(column["type"], dialect), dialect.name),
            bool(column["nullable"]) and column["name"] not in primary,  # SQLite reports key columns
            typenames.default(default, dialect.name), column.get("comment") or None)  # as nullable
    fks = inspector.get_foreign_keys(name)
    fk_columns = {tuple(fk["constrained_columns"]) for fk in fks}
    # MySQL has no unique constraints apart from unique indexes: compare them all as indexes.
    uniques = [] if dialect.name in MYSQL else inspector.get_unique_constraints(name)
    unique_names = {u.get("name") for u in uniques}
    for index in inspector.get_indexes(name):
        expressions = index.get("expressions") or []
        columns = tuple(c if c is not None else (expressions[i] if i < len(expressions) else "?")
                        for i, c in enumerate(index.get("column_names") or ()))
        if index.get("duplicates_constraint") or (index.get("unique") and index.get("name") in unique_names):
            continue  # the index behind a unique constraint: compared as the constraint
        if dialect.name in MYSQL and columns in fk_columns and not index.get("unique"):
            continue  # the index MySQL creates for a foreign key by itself
        table.indexes.append(IndexShape(index.get("name"), columns, bool(index.get("unique"))))
    table.uniques = [IndexShape(u.get("name"), tuple(sorted(u["column_names"])), True) for u in uniques]
    table.foreign_keys = [ForeignKeyShape(
        fk.get("name"), tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]),
        _action(fk.get("options", {}).get("ondelete")), _action(fk.get("options", {}).get("onupdate")))
        for fk in fks]
    checks = _optional(lambda: inspector.get_check_constraints(name)) or []
    table.checks = [CheckShape(c.get("name"), _check_text(c["sqltext"])) for c in checks
                    if not c["sqltext"].lower().startswith("json_valid(")]  # MariaDB's own, for JSON
    return table


def _optional(read: Any) -> Any:
    """Inspector reads that some dialects do not implement (comments and checks on SQLite)."""
    try:
        return read()
    except NotImplementedError:
        return None
