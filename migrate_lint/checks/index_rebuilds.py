"""An index a revision drops and builds again with the same definition: autogenerate renaming an
index by rebuilding it, or dropping and re-creating it unchanged. The dropped index's definition is
read from the create_index that made it, in this revision or the nearest earlier one. (A helper of
the index rules, not a rule.)"""

from __future__ import annotations

from typing import Any

from migrate_lint.checks import CheckContext
from migrate_lint.revisions.migration import Call, Migration, Operation

Definition = tuple[str, tuple[str, ...], bool, str]  # table, columns, unique, the other options as written
# keywords of op.create_index that say how or where it is built, not what the index is
NOT_DEFINITION = frozenset({"table_name", "index_name", "columns", "unique", "schema", "if_not_exists",
                            "postgresql_concurrently", "quote", "info"})


def index_name(value: Any) -> str | None:
    """"ix_a" or op.f("ix_a") as the name, lower case; None when the code computes it."""
    if isinstance(value, Call) and value.short == "f" and value.args:
        value = value.args[0]
    return value.lower() if isinstance(value, str) else None


def _table(op: Operation, keyword: str) -> str | None:
    table = op.table_at(1, keyword)
    return table.lower() if isinstance(table, str) else None


def definition(op: Operation) -> Definition | None:
    """What makes an op.create_index the index it is; None where the code computes part of it."""
    table = _table(op, "table_name")
    columns = op.arg(1 if op.batch_table is not None else 2, "columns")
    if table is None or not isinstance(columns, list | tuple) or not all(isinstance(c, str) for c in columns):
        return None
    # a WHERE, an operator class (resultsdb's text_pattern_ops, for LIKE), a method, INCLUDE columns
    options = sorted((key, repr(value)) for key, value in op.kwargs.items() if key not in NOT_DEFINITION)
    return table, tuple(c.lower() for c in columns), op.kwargs.get("unique") is True, repr(options)


def _made(migrations: list[tuple[Operation, ...]], name: str) -> Definition | None:
    """The definition the last create_index of that name gave, searching the newest first."""
    for operations in migrations:
        for op in reversed(operations):
            if op.name == "create_index" and index_name(op.arg(0, "index_name")) == name:
                return definition(op)
    return None


def rebuilt_from(migration: Migration, ctx: CheckContext, create: Operation) -> str | None:
    """The index this revision drops that `create` builds again, unchanged but perhaps for its name."""
    built = definition(create)
    if built is None or "drop_index" not in migration.names:
        return None
    for drop in migration.operations:
        old = index_name(drop.arg(0, "index_name")) if drop.name == "drop_index" else None
        if old is None or _table(drop, "table_name") not in (built[0], None):
            continue
        before = migration.operations[:migration.operations.index(drop)]
        searched = [before, *(a.operations for a in ctx.ancestors(migration))]
        if _renamed(_made(searched, old), searched) == built and \
                _made([migration.downgrade], old) in (built, None):
            return old  # and the downgrade, which restores the old one, does not say it was other
    return None


def _renamed(made: Definition | None, searched: list[tuple[Operation, ...]]) -> Definition | None:
    """The definition on the table's name now, where a rename_table since gave it another (an index
    rebuilt only to carry the renamed table's name in its own: OpenHands' custom_secrets)."""
    if made is None:
        return None
    names = {}
    for operations in reversed(searched):  # oldest first
        for op in operations:
            old, new = op.arg(0, "old_table_name"), op.arg(1, "new_table_name")
            if op.name == "rename_table" and isinstance(old, str) and isinstance(new, str):
                names[old.lower()] = new.lower()
    table, seen = made[0], set()
    while table in names and table not in seen:
        seen.add(table)
        table = names[table]
    return (table, *made[1:])
