"""primary-key-change: an existing table's primary key is dropped (and re-created), or the key
column's type changes (integer to UUID)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, add_unique_constraint, at, sql_hit
from migrate_lint.checks.alter_column_type import known_old_type
from migrate_lint.checks.set_not_null_scans_table import filled_under_add_lock
from migrate_lint.checks.type_rewrites import no_rewrite, type_parts
from migrate_lint.rendering.opsql import type_sql
from migrate_lint.revisions.migration import Call, Migration, Operation, Unknown

CODE = "ML312"
SCOPE = "revision"
_RAW_DROP = re.compile(r'^ALTER\s+TABLE\s+(?:ONLY\s+)?(?P<table>[\w".]+)\s.*\bDROP\s+CONSTRAINT\s+'
                       r'(?:IF\s+EXISTS\s+)?"?\w+_pkey"?', re.IGNORECASE | re.DOTALL)
_RAW_ADD = re.compile(r'^ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?P<table>[\w".]+)\s.*?\bADD\s+'
                      r'(?:CONSTRAINT\s+"?\w+"?\s+)?PRIMARY\s+KEY\s*(?:\((?P<columns>[^)]*)\))?',
                      re.IGNORECASE | re.DOTALL)
# create_table items that declare no key column: what else there may declare one (a helper's call,
# *columns) leaves the key unknown
_NOT_KEYS = {"ForeignKeyConstraint", "UniqueConstraint", "CheckConstraint", "Index"}
Key = frozenset[str] | None  # a table's key columns; None: unknown
# (table, key) sets the key; (table, ("rename", old, new)), (table, ("drop", column)) and
# (table, ("move", new_table)) carry it
Event = tuple[int, str, object]


def _name(value: object) -> str | None:
    return value.strip('"').rsplit(".", 1)[-1].lower() if isinstance(value, str) else None


def _columns(value: object) -> Key:
    if isinstance(value, tuple) and value and all(isinstance(c, str) for c in value):
        return frozenset(c.strip().strip('"').lower() for c in value)
    return None


def _declared(op: Operation) -> Key:
    """The key a create_table declares: its primary_key=True columns and PrimaryKeyConstraint."""
    key: set[str] = set()
    for item in op.args[1:]:
        if not isinstance(item, Call) or item.short in _NOT_KEYS:
            if not isinstance(item, Call):
                return None
            continue
        if item.short == "PrimaryKeyConstraint":
            columns = _columns(item.args)
            if columns is None:
                return None
            key |= columns
        elif item.short == "Column":
            name = item.arg(0, "name")
            if item.kwargs.get("primary_key") is True:
                if not isinstance(name, str):
                    return None
                key.add(name.lower())
            elif "primary_key" in item.kwargs and item.kwargs["primary_key"] is not False:
                return None
        else:
            return None
    return frozenset(key)


def _table(op: Operation, index: int) -> str | None:
    """The table of a call whose table is its `index`th argument (or the batch's table)."""
    if op.batch_table is not None:
        return _name(op.batch_table)
    return _name(op.kwargs.get("table_name", op.args[index] if len(op.args) > index else None))


def _op_events(op: Operation) -> Iterator[tuple[str | None, object]]:
    if op.name == "create_table":
        yield _name(op.args[0] if op.args else None), _declared(op)
    elif op.name == "create_primary_key":
        yield _table(op, 1), _columns(op.arg(1 if op.batch_table is not None else 2, "columns"))
    elif op.name == "drop_constraint" and op.kwargs.get("type_") == "primary":
        yield _table(op, 1), frozenset()
    elif op.name == "drop_table":
        yield _table(op, 0), None
    elif op.name == "rename_table":
        yield _name(op.arg(0, "old_table_name")), ("move", _name(op.arg(1, "new_table_name")))
    elif op.name == "alter_column" and isinstance(op.kwargs.get("new_column_name"), str):
        table, rest = op.table_and_rest()
        yield _name(table), ("rename", _name(op.kwargs.get("column_name", rest[0] if rest else None)),
                             op.kwargs["new_column_name"].lower())
    elif op.name == "drop_column":
        table, rest = op.table_and_rest()
        yield _name(table), ("drop", _name(op.kwargs.get("column_name", rest[0] if rest else None)))
    elif op.name == "add_column":
        column = op.table_and_rest()[1][:1] or (op.kwargs.get("column"),)
        if isinstance(column[0], Call) and column[0].kwargs.get("primary_key", False) is not False:
            yield _name(op.table_and_rest()[0]), None


def _new_key(migration: Migration, drop: Operation, table: str) -> tuple[int, list[str]] | None:
    """(line, columns) of the create_primary_key on `table` that follows the drop of its key column
    in this revision: the key moves to other columns, and the table is never left without one for
    long."""
    after = False
    for op in migration.operations:
        after = after or op is drop
        if after and op.name == "create_primary_key" and (_table(op, 1) or "").lower() == table:
            columns = op.arg(1 if op.batch_table is not None else 2, "columns")
            if isinstance(columns, tuple) and all(isinstance(c, str) for c in columns):
                return op.line, list(columns)
    return None


def _raw_events(sql: str) -> Iterator[tuple[str | None, object]]:
    """A raw ALTER TABLE's drop of the key (<name>_pkey) and its ADD PRIMARY KEY, in that order."""
    if "pkey" in sql.lower() and (drop := _RAW_DROP.match(sql)):
        yield _name(drop["table"]), frozenset()
    if "primary" in sql.lower() and (add := _RAW_ADD.match(sql)):
        columns = add["columns"]
        yield _name(add["table"]), _columns(tuple(columns.split(","))) if columns else None


def _events(migration: Migration) -> list[Event]:
    """What the revision does to primary keys, in order: its operations and its raw SQL."""
    found: list[Event] = []
    executes = {op.line for op in migration.operations if op.name == "execute"}
    for op in migration.operations:
        found.extend((op.line, table, what) for table, what in _op_events(op) if table)
    for statement in migration.statements:
        if statement.line in executes:
            found.extend((statement.line, table, what) for table, what in _raw_events(statement.sql.strip())
                         if table)
    return sorted(found, key=lambda event: event[0])  # stable: an op's own events keep their order


def _apply(keys: dict[str, Key], table: str, what: object) -> None:
    if not isinstance(what, tuple):
        keys[table] = what if isinstance(what, frozenset) else None
        return
    key = keys.get(table)
    if what[0] == "move":  # the table renamed: its key goes with it
        keys.pop(table, None)
        if isinstance(what[1], str):
            keys[what[1]] = key
    elif key and what[1] in key:  # a key column renamed or dropped
        keys[table] = (key - {what[1]}) | {what[2]} if what[0] == "rename" else None


def _history(migration: Migration, ctx: CheckContext) -> dict[str, Key]:
    """Each table's key as the revisions before this one leave it (oldest first)."""
    keys: dict[str, Key] = {}
    for ancestor in reversed(list(ctx.ancestors(migration))):
        for _, table, what in _events(ancestor):
            _apply(keys, table, what)
    return keys


def _natural_key_part(migration: Migration, ctx: CheckContext, op: Operation, table: str,
                      history: dict[str, dict[str, Key]]) -> bool:
    """The column is one of a key of several columns that no foreign key of the history refers to
    (notification-api's ft_billing, a fact table keyed by seven of its columns): no reference or
    client holds the key as an identifier, so its type change is only alter-column-type's rewrite."""
    if "keys" not in history:
        history["keys"] = _history(migration, ctx)
    keys = dict(history["keys"])
    for line, name, what in _events(migration):
        if line < op.line:
            _apply(keys, name, what)
    key = keys.get(table)
    if not key or len(key) < 2:
        return False
    refers = _REFERS.format(table=re.escape(table))
    return not any(re.search(refers, m.source, re.IGNORECASE) for m in (*ctx.ancestors(migration), migration))


# a foreign key to the table in a revision's text: ForeignKey("t.c"), ForeignKeyConstraint(..., ["t.c"]),
# create_foreign_key(name, source, "t", ...) or referent_table="t", REFERENCES t (...)
_REFERS = (r"""["'](?:\w+\.)?{table}\.\w+["']|create_foreign_key\(\s*[^,]+,\s*[^,]+,\s*["']{table}["']"""
           r"""|referent_table\s*=\s*["']{table}["']|REFERENCES\s+(?:\w+\.)?"?{table}"?\s*\(""")


def _renamed(migration: Migration, ctx: CheckContext, table: str, line: int,
             history: dict[str, dict[str, Key]]) -> bool:
    """Whether the key dropped at `line` is re-created later in the revision on the same columns."""
    events = _events(migration)
    drop = next((i for i, (at_line, name, what) in enumerate(events)
                 if at_line == line and name == table and what == frozenset()), None)
    if drop is None:
        return False
    if "keys" not in history:
        history["keys"] = _history(migration, ctx)
    keys = dict(history["keys"])
    for _, name, what in events[:drop]:
        _apply(keys, name, what)
    new = next((what for _, name, what in events[drop + 1:]
                if name == table and not isinstance(what, tuple) and what != frozenset()), None)
    return bool(keys.get(table)) and new == keys.get(table)


def _keys(migration: Migration, before: Operation | None = None) -> Iterator[tuple[str, str]]:
    """(table, column) of the primary keys a revision declares, by its calls before `before` where
    given (what the type and column variants read; the batch forms _events reads are not among them
    yet). A key the revision makes after a column's change was not the key when the column changed
    (codechecker adds report_analysis_info's key after widening it)."""
    operations = migration.operations if before is None else \
        migration.operations[:next(i for i, op in enumerate(migration.operations) if op is before)]
    earlier = {id(op) for op in operations}
    for op, table, spec in migration.added_columns():
        if spec.primary_key and isinstance(spec.name, str) and id(op) in earlier:
            yield table.lower(), spec.name.lower()
    for op in operations:
        if op.name == "create_table" and isinstance(table := op.arg(0, "table_name"), str):
            yield from ((table.lower(), column) for column in _declared(op) or ())  # PrimaryKeyConstraint
        if op.name == "create_primary_key":
            table, columns = op.arg(1, "table_name"), op.arg(2, "columns")
            if isinstance(table, str) and isinstance(columns, tuple):
                yield from ((table.lower(), c.lower()) for c in columns if isinstance(c, str))


def _column(op: Operation) -> tuple[str, str] | None:
    table, rest = op.table_and_rest()
    column = op.kwargs.get("column_name", rest[0] if rest else None)
    return (table.lower(), column.lower()) if isinstance(table, str) and isinstance(column, str) else None


STRINGS = frozenset({"VARCHAR", "CHARACTER VARYING", "CHAR", "CHARACTER", "TEXT", "NVARCHAR", "NCHAR"})


def _same_kind(migration: Migration, ctx: CheckContext, op: Operation, table: str, column: str) -> bool:
    """Whether the type_ an alter_column gives is the one the column has, by existing_type or the
    history (Mailu restates its key's String(255)), one the server changes without a rewrite, or
    another string type (growen's sessions.id, TEXT to VARCHAR(64)): a key that stays a string
    keeps its references and its clients working, and alter-column-type reports the rewrite."""
    new = op.kwargs.get("type_")
    old = known_old_type(migration, ctx, op, table, column, op.line)
    if old is None or isinstance(old, Unknown) or isinstance(new, Unknown):
        return False
    old_sql = old if isinstance(old, str) else type_sql(old, ctx.dialect)
    new_sql = type_sql(new, ctx.dialect)
    if not (old_sql and new_sql):
        return False
    kinds = [parts[0] in STRINGS if (parts := type_parts(t)) else None for t in (old_sql, new_sql)]
    return kinds == [True, True] or no_rewrite(old_sql, new_sql, ctx.dialect)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    candidates = [op for op in migration.operations
                  if (op.name == "drop_constraint" and op.kwargs.get("type_") == "primary")
                  or (op.name == "alter_column" and op.kwargs.get("type_") is not None)
                  or op.name == "drop_column"]
    reported: set[str] = set()  # one finding per table: the drop and the re-create are one change
    keys: set[tuple[str, str]] | None = None
    history: dict[str, dict[str, Key]] = {}
    for op in candidates:
        if op.name == "drop_constraint":
            table = op.kwargs.get("table_name", op.batch_table if op.batch_table is not None
                                  else op.args[1] if len(op.args) > 1 else None)
            if isinstance(table, str) and table.lower() not in migration.created_before(op) \
                    and table.lower() not in reported:
                reported.add(table.lower())
                renamed = _renamed(migration, ctx, table.lower(), op.line, history)
                rebuilt = None if renamed else _rebuilt(migration, ctx, table.lower(), op.line)
                yield at(op, table, table=table, column="", line=str(rebuilt and rebuilt[0]),
                         carrier=rebuilt[1] if rebuilt else "",
                         variant="renamed" if renamed else "mysql" if ctx.mysql else
                         "rebuilt" if rebuilt else "default")
            continue
        target = _column(op)
        if target is None or target[0] in reported or target[0] in migration.created_before(op) \
                or target in migration.columns_added_before(op):
            continue  # a column this revision added: no foreign key or client refers to it yet
        if keys is None:  # the history's primary keys, read only when a key column may change
            keys = set()
            for ancestor in ctx.ancestors(migration):
                keys.update(_keys(ancestor))
        if (target in keys or target in _keys(migration, op)) and not (
                op.name == "alter_column" and (_same_kind(migration, ctx, op, *target)
                                               or _natural_key_part(migration, ctx, op, target[0], history))):
            reported.add(target[0])
            moved = _new_key(migration, op, target[0]) if op.name == "drop_column" else None
            # spiff-arena's task: id dropped, the key put on guid at once
            if moved is not None and target[1] not in (c.lower() for c in moved[1]):
                yield at(op, f"{target[0]}.{target[1]}", table=target[0], column=target[1],
                         line=str(moved[0]), columns=", ".join(moved[1]),
                         variant="moved_mysql" if ctx.mysql else "moved")
                continue
            yield at(op, f"{target[0]}.{target[1]}", table=target[0], column=target[1],
                     variant="type" if op.name == "alter_column" else "column")
    for statement in migration.statements:
        if "pkey" not in statement.sql.lower():
            continue  # what _RAW_DROP needs (lower-cased: the Kelvin sign matches k as it does)
        match = _RAW_DROP.match(statement.sql.strip())
        table = match["table"].strip('"').rsplit(".", 1)[-1].lower() if match else None
        if table and table not in reported and statement.line not in {op.line for op in candidates}:
            reported.add(table)
            renamed = _renamed(migration, ctx, table, statement.line, history)
            # CASCADE also drops the foreign keys that reference the key, which nothing builds again
            rebuilt = None if renamed or "CASCADE" in statement.sql.upper() else \
                _rebuilt(migration, ctx, table, statement.line)
            yield sql_hit(statement, table, table=table, column="", line=str(rebuilt and rebuilt[0]),
                          carrier=rebuilt[1] if rebuilt else "",
                          variant="renamed" if renamed else "rebuilt" if rebuilt else "default")


def _rebuilt(migration: Migration, ctx: CheckContext, table: str, line: int) -> tuple[int, str] | None:
    """The line where this revision adds the table's primary key again after dropping it, and the
    rule whose finding names that build's lock (PostgreSQL): add-unique-constraint's, with its
    concurrent fix, or set-not-null-scans-table's, where the build runs in the outage of a column
    added, filled and set NOT NULL in the same transaction (funnel's project_redirect). In one
    transaction no other session sees the table without a key. Where no rule reports the build (a
    lock the revision already held), this finding stays."""
    if not ctx.postgresql:
        return None
    if ctx.reports(add_unique_constraint.CODE, migration.path):
        builds = add_unique_constraint.check(migration, ctx)
        found = next((hit.line for hit in builds if hit.line > line
                      and hit.fields.get("kind") == "PRIMARY KEY"
                      and hit.fields.get("table", "").lower() == table), None)
        if found is not None:
            return found, "add-unique-constraint's"
    return next(((statement.line, "set-not-null-scans-table's") for statement in migration.statements
                 if statement.line > line and any(t.lower() == table and kind == "primary key"
                                                  for t, _, kind, _, _ in statement.facts.constraints)
                 and filled_under_add_lock(migration, ctx, statement, table)), None)
