"""drop-index-not-concurrently: DROP INDEX takes an ACCESS EXCLUSIVE lock on its PostgreSQL table."""

from collections.abc import Iterator

from migrate_lint.checks import (
    CheckContext,
    Hit,
    as_code,
    computed_index_name,
    outside_transaction,
    sql_hit,
    sql_walk,
    tables_dropped_after,
)
from migrate_lint.checks.held_locks import exclusive_next, held_exclusively
from migrate_lint.checks.index_history import drops_if_exists, never_made
from migrate_lint.checks.index_rebuilds import rebuilt_from
from migrate_lint.checks.lock_timeouts import in_force
from migrate_lint.checks.materialized_views import dropped_before
from migrate_lint.checks.timescale import hypertable_note
from migrate_lint.checks.written import calls_by_line
from migrate_lint.revisions.migration import Migration, Operation, Statement, Unknown
from migrate_lint.sql.names import as_written
from migrate_lint.sql.rawddl import qualifying_schema

CODE = "ML102"
SCOPE = "revision"


def _table_of(op: Operation) -> str | None:
    table = op.batch_table if op.batch_table is not None else op.arg(1, "table_name")
    return table.lower() if isinstance(table, str) else None


def _index_columns(migration: Migration, ctx: CheckContext, index: str) -> set[str] | None:
    """The columns of the index, from the create_index that built it in this revision or before."""
    for source in (migration, *ctx.ancestors(migration)):
        for op in reversed(source.operations):
            if op.name == "create_index" and op.arg(0, "index_name") == index:
                columns = op.arg(1 if op.batch_table is not None else 2, "columns")
                columns = (columns,) if isinstance(columns, str) else columns
                return {c.lower() for c in columns if isinstance(c, str)} if isinstance(columns, tuple) \
                    else None
    return None


def _covers(index: str, column: str, known: set[str] | None) -> bool:
    """Whether the index is on the column: as its create_index says, else as its name says
    (`ix_orders_customer_id`, `idx_extra_pkg_id`: the column as the name's last words)."""
    if known is not None:
        return column in known
    name = index.lower()
    return name == column or name.endswith("_" + column)


def _dropped_with_its_table(migration: Migration, ctx: CheckContext, drop: Operation, index: str) -> bool:
    """The revision drops the index's table, or a column it covers, after dropping the index: that
    drop takes the same ACCESS EXCLUSIVE lock in the same transaction, and is reported itself, so
    dropping the index concurrently first would gain nothing."""
    table = _table_of(drop)
    if table is None or drop.autocommit:
        return False
    if table in tables_dropped_after(migration, drop.line, in_transaction=True):  # op or SQL
        return True
    later = migration.operations[migration.operations.index(drop) + 1:]
    known: set[str] | None = None
    looked = False
    for op in later:
        if op.autocommit:
            continue
        if op.name == "drop_column" and _table_of_column(op) == table:
            column = op.arg(0 if op.batch_table is not None else 1, "column_name")
            if not looked:
                known, looked = _index_columns(migration, ctx, index), True
            if isinstance(column, str) and _covers(index, column.lower(), known):
                return True
    return False


def _table_of_column(op: Operation) -> str | None:
    table, _ = op.table_and_rest()
    return table.lower() if isinstance(table, str) else None


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or not any("INDEX" in s.sql[:40].upper() for s in migration.statements):
        return  # no CREATE or DROP INDEX (most revisions): no lock_timeout to follow
    new_indexes: set[str] = set()
    drops = calls_by_line(migration.operations, ("drop_index",))
    rebuilt = {old for op in migration.operations if op.name == "create_index"
               and (old := rebuilt_from(migration, ctx, op))} if drops else set()
    created_later = {s.facts.index[1] for s, _ in sql_walk(migration, ctx)
                     if "INDEX" in s.sql[:40].upper() and s.facts.index and s.facts.index[0] == "create"}
    for statement, _, timeout in in_force(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create":
            new_indexes.add(fact[1])
        # under a lock_timeout the drop fails fast instead of queuing (this rule's own safe variant)
        elif fact and fact[0] == "drop" and not fact[3] and timeout is None:
            names = [n for kind, _, n in statement.facts.dropped if kind == "index"] or [fact[1]]
            for name in names:
                drop = _drop_of(drops, statement.line, name)
                if name in new_indexes or name.lower() in rebuilt:  # re-created (ML101 says how)
                    continue
                if drop is not None and _dropped_with_its_table(migration, ctx, drop, name):
                    continue
                fields = _table_field(drop, statement)
                if "table" not in fields and (made := _made_on(migration, ctx, name)):
                    fields["table"] = made  # raw DROP INDEX names no table: the one the history built it on
                if "table" in fields and dropped_before(migration, statement, fields["table"]):
                    continue  # its table or materialized view went earlier in the revision, the index with it
                if "table" in fields and (held_exclusively(migration, statement, fields["table"],
                                                           ctx.transactional_ddl)
                                          or exclusive_next(migration, statement, fields["table"],
                                                             ctx.transactional_ddl)):
                    continue  # an ALTER of the same transaction holds ACCESS EXCLUSIVE on the table to commit
                # the render knows the name; the syntax tree only the expression that computes it
                computed = computed_index_name(drop, name)
                literal = drop.arg(0, "index_name") if drop is not None else None
                shown_name = computed[0] if computed else \
                    as_written(statement.sql, name, literal if isinstance(literal, str) else None)
                argument = as_code(drop.arg(0, "index_name"), name) if drop is not None else f'"{shown_name}"'
                # IF EXISTS of a name the history never made: a clean-up, a no-op where it built the database;
                # re-created under the drop's lock only inside a transaction (not after a COMMIT: h)
                variant = "unmade" if never_made(migration, ctx, statement, name) else \
                    "recreated" if name in created_later and not statement.autocommit else "default"
                # the help's call keeps the statement's IF EXISTS
                if_exists = ", if_exists=True" if drops_if_exists(statement.sql) else ""
                yield sql_hit(statement, shown_name, index=shown_name, index_arg=argument, **fields,
                              if_exists_kw=if_exists, variant=variant,
                              outside=outside_transaction(statement, migration),
                              hypertable=hypertable_note(migration, ctx, fields.get("table", ""),
                                                         creating=False))


def _made_on(migration: Migration, ctx: CheckContext, index: str) -> str | None:
    """The table the revision or an earlier one built the index on, by op.create_index or raw
    CREATE INDEX (conbench drops distribution_commit_machine_index in SQL); None where none says."""
    for source in (migration, *ctx.ancestors(migration)):
        for op in reversed(source.operations):
            if op.name == "create_index" and str(op.arg(0, "index_name")).lower() == index.lower():
                table = op.table_at(1, "table_name")
                return table.lower() if isinstance(table, str) else None
        for statement in reversed(source.statements):
            if index.lower() in statement.sql.lower() and "CREATE" in statement.sql[:30].upper():
                fact = statement.facts.index
                if fact and fact[0] == "create" and fact[1].lower() == index.lower():
                    return fact[2]
    return None


def _drop_of(drops: dict[int, list[Operation]], line: int, name: str) -> Operation | None:
    """The op.drop_index call at `line` that drops `name`: a loop over indexes, unrolled, writes one
    call per index on the same line; the first where none names it."""
    at_line = drops.get(line, [])
    return next((op for op in at_line if str(op.arg(0, "index_name")).lower() == name.lower()),
                at_line[0] if at_line else None)


def _table_field(drop: Operation | None, statement: Statement) -> dict[str, str]:
    """The table the dropped index is on, from its op.drop_index call (DROP INDEX does not name
    it), so the engine can weigh the lock by the table's size; and the call's table_name argument
    for the help (MySQL's DROP INDEX needs it)."""
    if drop is not None:
        table = drop.table_at(1, "table_name")
        if isinstance(table, str):
            return {"table": table, "table_kw": f', table_name="{table}"'}
        if isinstance(table, Unknown) and table.source:
            return {"table_kw": f", table_name={as_code(table, table.source)}"}
    schema = qualifying_schema(statement.sql)  # raw SQL: DROP INDEX "events"."ix_..."
    return {"table_kw": "", **({"schema": schema} if schema else {})}
