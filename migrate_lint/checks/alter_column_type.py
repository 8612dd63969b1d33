"""alter-column-type: changing a column's type rewrites the table under an exclusive lock."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.rendering.opsql import type_sql
from migrate_lint.revisions.migration import Migration

CODE = "ML107"
SCOPE = "revision"
TYPE = re.compile(r"^\s*(?P<name>[A-Z ]+?)\s*(?:\((?P<size>\d+)(?:\s*,\s*(?P<scale>\d+))?\))?\s*$")
SYNONYMS = {"CHARACTER VARYING": "VARCHAR", "DECIMAL": "NUMERIC"}  # sqlglot writes NUMERIC as DECIMAL


def _parts(sql_type: str) -> tuple[str, int | None, int | None] | None:
    match = TYPE.match(sql_type.upper())
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
        return old_name == new_name == "VARCHAR" and old_size is not None and new_size is not None \
            and new_size >= old_size and (old_size > 255) == (new_size > 255)
    if old_name == "VARCHAR" and new_name in ("VARCHAR", "TEXT"):
        return new_name == "TEXT" or new_size is None or (old_size is not None and new_size >= old_size)
    if old_name == "TEXT" and new_name == "VARCHAR":
        return new_size is None
    if old_name == new_name == "NUMERIC":
        return new_size is None or (old_size is not None and new_size >= old_size and old_scale == new_scale)
    return old_name == new_name and old_size == new_size


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not (ctx.postgresql or ctx.mysql):
        return
    existing = {op.line: op.kwargs.get("existing_type") for op in migration.operations
                if op.name == "alter_column"}
    for statement, created in sql_walk(migration, ctx):
        upper = statement.sql.upper()
        if "TYPE" not in upper and "MODIFY" not in upper and "CHANGE" not in upper:
            continue
        for table, column, _, new_type in statement.facts.altered_columns:
            if new_type is None or table in created:
                continue
            old_type = existing.get(statement.line)
            old = type_sql(old_type) if old_type is not None else None
            if old is not None and no_rewrite(old, new_type, ctx.dialect):
                continue
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column, new=new_type,
                          old=old or "an unknown type", variant="default" if old else "unknown")
