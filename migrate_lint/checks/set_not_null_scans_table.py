"""set-not-null-scans-table: SET NOT NULL after a backfill still scans the table under ACCESS EXCLUSIVE."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.checks.held_locks import in_one_transaction
from migrate_lint.checks.set_not_null_without_backfill import (
    already_not_null,
    filled,
    proven_by_check,
    set_not_null,
)
from migrate_lint.checks.type_rewrites import no_rewrite
from migrate_lint.rendering.opsql import type_sql
from migrate_lint.revisions.coltypes import old_type
from migrate_lint.revisions.migration import Migration, Statement
from migrate_lint.sql.facts import columns_added
from migrate_lint.sql.names import sql_ident

CODE = "ML121"
SCOPE = "revision"


def _rewritten_by_same_alter(migration: Migration, ctx: CheckContext, line: int, op_index: int,
                             table: str) -> bool:
    """The same ALTER (or alter_column call) changes a type of the table in a way that rewrites it:
    alter-column-type (ML107) reports that place and its ACCESS EXCLUSIVE lock, and the column is
    then usually a key restated NOT NULL (a no-op when it already is)."""
    call = migration.operations[op_index] if op_index < len(migration.operations) else None
    for statement in migration.statements:
        if statement.line != line:
            continue
        for t, column, _, new_type in statement.facts.altered_columns:
            if t != table or new_type is None:
                continue
            old = call.kwargs.get("existing_type") if call is not None else None
            if old is None:
                old = old_type(migration, ctx.ancestors(migration), table, column)
            old_sql = old if isinstance(old, str) or old is None else type_sql(old, ctx.dialect)
            if old_sql is None or not no_rewrite(old_sql, new_type, ctx.dialect):
                return True
    return False


def _added_and_filled_here(migration: Migration, ctx: CheckContext, op_index: int, index: int, table: str,
                           column: str) -> bool:
    """This transaction added the column and an UPDATE filled it before SET NOT NULL: the ADD
    COLUMN's ACCESS EXCLUSIVE lock is held through the UPDATE and the scan, and the CHECK route
    cannot help inside the transaction; splitting the revision can."""
    if not ctx.transactional_ddl or any(op.autocommit for op in migration.operations[:op_index + 1]):
        return False
    added = any(op.name == "add_column" and added_to.lower() == table and isinstance(spec.name, str)
                and spec.name.lower() == column and migration.operations.index(op) < op_index
                for op, added_to, spec in migration.added_columns()) or any(
        # or by ALTER TABLE ... ADD COLUMN in SQL ahead of it (foi-flow's op.execute strings)
        added_to.lower() == table.lower() and name.lower() == column.lower()
        for statement in migration.statements[:index]
        for added_to, name, *_ in columns_added(statement.sql, statement.facts))
    return added and any(u.fills(table, column) and u.position <= op_index for u in migration.updates)


def _constant_fill(migration: Migration, table: str, column: str, ctx: CheckContext) -> str:
    """Advice when the UPDATE that filled the added column writes one literal to every row: on
    PostgreSQL 11+ the column added NOT NULL with that default takes no rewrite and no scan."""
    if ctx.postgresql_version < 11:
        return ""
    from migrate_lint.sql.writes import constant_update

    lines = {u.line for u in migration.updates if u.fills(table, column)}
    for statement in migration.statements:
        found = constant_update(statement.sql, migration.source) if statement.line in lines else None
        if found and found[0].lower() == table.lower() and found[1].lower() == column.lower():
            added_by_call = any(op.name == "add_column" and added_to.lower() == table.lower()
                                and isinstance(spec.name, str) and spec.name.lower() == column.lower()
                                for op, added_to, spec in migration.added_columns())
            given = (f"give the op.add_column its column as nullable=False, "
                     f"server_default=sa.text({found[2]!r})") if added_by_call else \
                f"add the column in its ALTER TABLE as NOT NULL DEFAULT {found[2]}"
            return (f"The UPDATE writes one constant to every row: {given} instead, which PostgreSQL 11+ "
                    "applies without touching a row, and keep the default (dropping it in the same revision "
                    "breaks INSERTs of the release still running). Where that does not fit: ")
    return ""


def _reported(migration: Migration, ctx: CheckContext) -> Iterator[tuple[Statement, str, str, bool]]:
    """(statement, table, column, whether added and filled in the same transaction) of each SET NOT
    NULL this rule reports."""
    for index, op_index, statement, table, column in set_not_null(migration, ctx):
        if proven_by_check(migration, index, table, column, ctx) or \
                already_not_null(migration, op_index, ctx, table, column):
            continue  # proven, or already NOT NULL: SET NOT NULL is then a no-op
        if _rewritten_by_same_alter(migration, ctx, statement.line, op_index, table):
            continue
        # Where nothing filled the column, set-not-null-without-backfill (ML302) reports it and its
        # help gives the CHECK route: one finding per place.
        if filled(migration, op_index, table, column, ctx):
            # a COMMIT the revision runs before it (op.execute("COMMIT")) released the ADD COLUMN's lock
            here = not statement.autocommit and \
                _added_and_filled_here(migration, ctx, op_index, index, table, column)
            yield statement, table, column, here


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement, table, column, here in _reported(migration, ctx):
        builds = _builds_under_lock(migration, ctx, statement, table) if here else []
        variant = ("same_transaction_builds" if builds else "same_transaction") if here else "default"
        yield sql_hit(statement, f"{table}.{column}", table=table, column=column,
                      qtable=sql_ident(table), qcolumn=sql_ident(column),
                      version=str(ctx.postgresql_version),
                      constant=_constant_fill(migration, table, column, ctx) if here else "",
                      builds=_builds(builds), build_lines=_lines(builds),
                      variant=variant)


def filled_under_add_lock(migration: Migration, ctx: CheckContext, statement: Statement, table: str) -> bool:
    """This rule reports a column of `table` as added, filled and set NOT NULL in the transaction
    `statement` runs in: the ADD COLUMN's ACCESS EXCLUSIVE lock is held to commit through the fill,
    so an index or constraint built on the table in that transaction is part of the outage this
    rule's finding names, and splitting the revision is the one fix (funnel's search_vector and uuid
    columns, each filled row by row and indexed in the same revision)."""
    if not ctx.postgresql or not migration.updates or "NOT NULL" not in migration.upper_sql \
            or not ctx.reports(CODE, migration.path):
        return False  # most revisions: nothing filled, so no such outage
    memo = ctx.memo.setdefault("filled_under_add_lock", {})
    if id(migration) not in memo:  # asked once per build statement: read the revision once
        # (the revision is kept with its answer, so that its id names no other while the run lasts)
        memo[id(migration)] = (migration, [(set_at, filled_table.lower()) for set_at, filled_table, _, here
                                           in _reported(migration, ctx) if here])
    return any(filled_table == table.lower() and in_one_transaction(migration, set_at, statement,
                                                                    ctx.transactional_ddl)
               for set_at, filled_table in memo[id(migration)][1])


def _builds_under_lock(migration: Migration, ctx: CheckContext, statement: Statement,
                       table: str) -> list[int]:
    """Lines of the index and constraint builds on `table` in the same transaction as `statement`."""
    name = table.lower()
    lines = []
    for other in migration.statements:
        index = other.facts.index
        built = (index is not None and index[0] == "create" and not index[3]
                 and index[2].lower() == name) or any(t.lower() == name and kind in _BUILT and not not_valid
                for t, _, kind, not_valid, _ in other.facts.constraints)
        if built and other.line not in lines and in_one_transaction(migration, other, statement,
                                                                     ctx.transactional_ddl):
            lines.append(other.line)
    return lines


_BUILT = ("unique", "primary key", "check", "foreign key")


def _builds(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"the index or constraint build at line {lines[0]}"
    return f"the index and constraint builds at {_lines(lines)}" if lines else ""


def _lines(lines: list[int]) -> str:
    if len(lines) < 2:
        return "".join(f"line {n}" for n in lines)
    return "lines " + ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
