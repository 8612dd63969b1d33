"""Comparing the models' schema with the database's: each difference is a DriftItem (facts only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from migrate_lint.database.schema import ColumnShape, IndexShape, SchemaShape, TableShape


@dataclass(frozen=True)
class DriftItem:
    rule: str  # a drift-* rule name
    table: str | None
    subject: str
    fields: dict[str, str] = field(default_factory=dict)


def compare(models: SchemaShape, database: SchemaShape, comments: bool = True) -> list[DriftItem]:
    """Every difference; comments only where the database keeps them (not SQLite)."""
    items: list[DriftItem] = []
    for name in sorted(models.tables.keys() | database.tables.keys()):
        mine, theirs = models.tables.get(name), database.tables.get(name)
        if theirs is None:
            items.append(DriftItem("drift-table", name, name, {"variant": "missing", "table": name}))
        elif mine is None:
            items.append(DriftItem("drift-table", name, name, {"variant": "extra", "table": name}))
        else:
            items += _table(mine, theirs, comments)
    items += _enums(models.enums, database.enums)
    return items


def _table(mine: TableShape, theirs: TableShape, comments: bool) -> Iterator[DriftItem]:
    table = mine.name
    for name in [*mine.columns, *(c for c in theirs.columns if c not in mine.columns)]:
        model, found = mine.columns.get(name), theirs.columns.get(name)
        subject = f"{table}.{name}"
        if found is None:
            yield DriftItem("drift-column", table, subject, {"variant": "missing", "column": subject})
        elif model is None:
            yield DriftItem("drift-column", table, subject, {"variant": "extra", "column": subject})
        else:
            yield from _column(table, model, found, comments)
    if comments and (mine.comment or None) != (theirs.comment or None):
        yield DriftItem("drift-comment", table, table, {"object": f"table {table}",
                                                         "model": mine.comment or "none",
                                                         "database": theirs.comment or "none"})
    yield from _keyed("drift-index", table, mine.indexes, theirs.indexes)
    yield from _keyed("drift-unique-constraint", table, mine.uniques, theirs.uniques)
    yield from _foreign_keys(table, mine, theirs)
    yield from _checks(table, mine, theirs)


def _column(table: str, model: ColumnShape, found: ColumnShape, comments: bool) -> Iterator[DriftItem]:
    subject = f"{table}.{model.name}"
    if model.type != found.type:
        yield DriftItem("drift-column-type", table, subject,
                        {"column": subject, "model": model.type, "database": found.type})
    if model.nullable != found.nullable:
        yield DriftItem("drift-nullable", table, subject, {
            "column": subject, "model": _null(model.nullable), "database": _null(found.nullable)})
    if model.default != found.default:
        yield DriftItem("drift-server-default", table, subject, {
            "column": subject, "model": model.default or "none", "database": found.default or "none"})
    if comments and (model.comment or None) != (found.comment or None):
        yield DriftItem("drift-comment", table, subject, {
            "object": f"column {subject}", "model": model.comment or "none",
            "database": found.comment or "none"})


def _null(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def _keyed(rule: str, table: str, mine: list[IndexShape], theirs: list[IndexShape]) -> Iterator[DriftItem]:
    """Indexes and unique constraints, matched by their columns; a name the models set must match."""
    def key(shape: IndexShape) -> tuple[tuple[str, ...], bool]:
        return shape.columns, shape.unique

    def rule_of(shape: IndexShape) -> str:  # a unique index enforces what a unique constraint does
        return "drift-unique-constraint" if shape.unique else rule

    found = {key(s): s for s in theirs}
    declared = {key(s): s for s in mine}
    for k, shape in declared.items():
        subject = f"{table}.{shape.name or '(' + ', '.join(shape.columns) + ')'}"
        fields = {"table": table, "columns": ", ".join(shape.columns), "name": shape.name or "unnamed"}
        other = found.get(k)
        if other is None:
            yield DriftItem(rule_of(shape), table, subject, {"variant": "missing", **fields})
        elif shape.name and other.name and shape.name != other.name:
            yield DriftItem(rule_of(shape), table, subject, {"variant": "renamed", **fields,
                                                             "database": other.name})
    for k, shape in found.items():
        if k not in declared:
            subject = f"{table}.{shape.name or '(' + ', '.join(shape.columns) + ')'}"
            yield DriftItem(rule_of(shape), table, subject, {"variant": "extra", "table": table,
                                                   "columns": ", ".join(shape.columns),
                                                   "name": shape.name or "unnamed"})


def _foreign_keys(table: str, mine: TableShape, theirs: TableShape) -> Iterator[DriftItem]:
    found = {(fk.columns, fk.target, fk.target_columns): fk for fk in theirs.foreign_keys}
    declared = {(fk.columns, fk.target, fk.target_columns): fk for fk in mine.foreign_keys}
    for key, fk in declared.items():
        subject = f"{table}.{fk.name or '(' + ', '.join(fk.columns) + ')'}"
        fields = {"table": table, "columns": ", ".join(fk.columns),
                  "target": f"{fk.target}({', '.join(fk.target_columns)})"}
        other = found.get(key)
        if other is None:
            yield DriftItem("drift-foreign-key", table, subject, {"variant": "missing", **fields})
        elif (fk.ondelete, fk.onupdate) != (other.ondelete, other.onupdate):
            yield DriftItem("drift-foreign-key", table, subject, {
                "variant": "actions", **fields, "model": _actions(fk.ondelete, fk.onupdate),
                "database": _actions(other.ondelete, other.onupdate)})
    for key, fk in found.items():
        if key not in declared:
            subject = f"{table}.{fk.name or '(' + ', '.join(fk.columns) + ')'}"
            yield DriftItem("drift-foreign-key", table, subject, {
                "variant": "extra", "table": table, "columns": ", ".join(fk.columns),
                "target": f"{fk.target}({', '.join(fk.target_columns)})"})


def _actions(ondelete: str | None, onupdate: str | None) -> str:
    return f"ON DELETE {ondelete or 'NO ACTION'} ON UPDATE {onupdate or 'NO ACTION'}"


def _checks(table: str, mine: TableShape, theirs: TableShape) -> Iterator[DriftItem]:
    """CHECK constraints: by name when the models name them, else by their normalised text."""
    unmatched = list(theirs.checks)
    for check in mine.checks:
        match = next((c for c in unmatched if check.name and c.name == check.name), None) or next(
            (c for c in unmatched if c.text == check.text), None)
        if match is None:
            yield DriftItem("drift-check-constraint", table, f"{table}.{check.name or check.text}",
                            {"variant": "missing", "table": table, "name": check.name or check.text})
        else:
            unmatched.remove(match)
    for check in unmatched:
        yield DriftItem("drift-check-constraint", table, f"{table}.{check.name or check.text}",
                        {"variant": "extra", "table": table, "name": check.name or check.text})


def _enums(mine: dict[str, tuple[str, ...]], theirs: dict[str, tuple[str, ...]]) -> Iterator[DriftItem]:
    for name in sorted(mine.keys() | theirs.keys()):
        model, found = mine.get(name), theirs.get(name)
        if model != found:
            yield DriftItem("drift-enum-values", None, name, {
                "enum": name, "model": ", ".join(model) if model else "no such type",
                "database": ", ".join(found) if found else "no such type"})
