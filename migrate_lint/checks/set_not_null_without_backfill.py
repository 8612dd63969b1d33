"""set-not-null-without-backfill: SET NOT NULL on a column that nothing filled first."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk, upgrade_lines_before
from migrate_lint.checks.written import existing_kw
from migrate_lint.revisions.coltypes import in_primary_key, known_nullability, mysql_modify
from migrate_lint.revisions.migration import (
    ANY_TABLE,
    Call,
    ColumnSpec,
    DataUpdate,
    Migration,
    Operation,
    Statement,
)
from migrate_lint.sql.names import as_written, sql_ident

CODE = "ML302"
# alter_column changes that MySQL makes with a MODIFY restating the whole column, nullability too
RESTATED_WITH = frozenset({"type_", "new_column_name", "autoincrement", "server_default", "comment"})
SCOPE = "revision"


def _filled_when_added(migration: Migration, table: str, column: str,
                       before: int | None = None) -> bool | None:
    """True/False if this migration adds the column (filled by a default or not); None if not."""
    for op, added_to, spec in migration.added_columns():
        if before is not None and migration.operations.index(op) >= before:
            break
        if added_to.lower() == table and isinstance(spec.name, str) and spec.name.lower() == column:
            return spec.server_default is not None or spec.generated or spec.not_null
    return None


def _backfilled(migration: Migration, table: str, column: str, position: int | None = None) -> bool:
    writes = [u for u in migration.updates if position is None or u.position <= position]
    return any(u.fills(table, column) for u in writes) or _filled_by_inserts(migration, writes, table, column)


def _filled_by_inserts(migration: Migration, writes: list[DataUpdate], table: str, column: str) -> bool:
    """The table was emptied (a DELETE without WHERE, a TRUNCATE) or created earlier in this revision,
    filled by INSERT ... SELECT, and every INSERT into it since wrote the column: no row it holds is
    NULL there, as after an UPDATE (Notify fills each new x_history table with INSERT ... SELECT
    ... FROM x). An INSERT into a table that may have had rows fills only the rows it adds, and seed
    rows (INSERT ... VALUES) into a new table are no copy of its data: neither is a backfill."""
    state = ""  # "empty", "filled", "seeded", "nulls" (rows lack the column), "" (rows of before, unknown)
    for write in writes:
        if write.table == ANY_TABLE:
            continue  # a table the code computes: may be this one or not
        if write.empties(table):
            state = "empty"
        elif write.inserts(table):
            if not state and _created_before(migration, write, table):
                state = "empty"
            if not write.inserts(table, column):
                state = "nulls" if state else ""
            elif write.kind == "seed" and state in ("empty", "filled"):
                state = "seeded"  # seed rows say nothing of the rows the application adds after them
            elif state == "empty":
                state = "filled"
    return state in ("empty", "filled")


def _created_before(migration: Migration, write: DataUpdate, table: str) -> bool:
    target = migration.operations[write.position] if write.position < len(migration.operations) else None
    return table.lower() in migration.created_before(target)


def _not_null_check(condition: str, column: str) -> bool:
    pattern = rf'\(?\s*"?{re.escape(column)}"?\s+IS\s+NOT\s+NULL\s*\)?'
    return re.fullmatch(pattern, condition, re.IGNORECASE) is not None


_DROP_CONSTRAINT = r"(?i)\bDROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?(?P<name>[\w\"`]+)"


def not_null_checks(statements: tuple[Statement, ...], table: str, column: str,
                    not_valid: set[str], proving: set[str]) -> None:
    """Follow the CHECK (column IS NOT NULL) constraints on table through these statements.

    not_valid holds the names of such checks added NOT VALID, proving those added valid or
    validated since, across revisions: the staged pattern adds the CHECK NOT VALID in one revision
    and validates it in a later one, and a check dropped again proves nothing."""
    for statement in statements:
        facts = statement.facts
        for t, name, kind, is_not_valid, condition in facts.constraints:
            if t == table and kind == "check" and _not_null_check(condition, column):
                (not_valid if is_not_valid else proving).add(name.lower() or f"{table}_{column}_check")
        if facts.validated and facts.validated[0] == table and facts.validated[1].lower() in not_valid:
            proving.add(facts.validated[1].lower())
        if proving and (dropped := re.search(_DROP_CONSTRAINT, statement.sql)):
            proving.discard(dropped["name"].strip('"`').lower())


def validated_not_null_check(migration: Migration, ctx: CheckContext, table: str, column: str,
                             before: int | None) -> bool:
    """A CHECK (column IS NOT NULL) validated before statement `before` of this revision or in an
    ancestor, and not dropped since: PostgreSQL 12+ then skips SET NOT NULL's scan and, as
    validation passed, no row holds NULL."""
    not_valid: set[str] = set()
    proving: set[str] = set()
    for ancestor in reversed(list(ctx.ancestors(migration))):  # oldest first
        not_null_checks(ancestor.statements, table, column, not_valid, proving)
    statements = migration.statements if before is None else migration.statements[:before]
    not_null_checks(statements, table, column, not_valid, proving)
    return bool(proving)


def proven_by_check(migration: Migration, statement_index: int, table: str, column: str,
                    ctx: CheckContext) -> bool:
    """PostgreSQL 12+ skips SET NOT NULL's scan when a validated CHECK proves the column."""
    return (ctx.postgresql and ctx.postgresql_version >= 12
            and validated_not_null_check(migration, ctx, table, column, statement_index))


def filled(migration: Migration, op_index: int, table: str, column: str, ctx: CheckContext) -> bool:
    """An UPDATE or a default filled the column, in this revision before op_index or in an ancestor."""
    if _backfilled(migration, table, column, op_index):
        return True
    added = _filled_when_added(migration, table, column, before=op_index)
    if added is not None:
        return added
    for ancestor in ctx.ancestors(migration):
        if _backfilled(ancestor, table, column):
            return True
        added = _filled_when_added(ancestor, table, column)
        if added is not None:
            return added
    return False


def _sets_not_null(op: Operation | None) -> bool:
    """On MySQL, MODIFY ... NOT NULL restates an already NOT NULL column when only the type changes."""
    return op is None or op.name != "alter_column" or op.kwargs.get("nullable") is False


def set_not_null(migration: Migration, ctx: CheckContext) -> Iterator[tuple[int, int, Statement, str, str]]:
    """(statement index, operation index, statement, table, column) of each SET NOT NULL on a table
    this revision did not create."""
    op_at: dict[int, list[tuple[int, Operation]]] | None = None  # built at the first SET NOT NULL
    for index, (statement, created) in enumerate(sql_walk(migration, ctx)):
        for table, column, sets_not_null, _ in statement.facts.altered_columns:
            if not sets_not_null or table in created:
                continue
            if op_at is None:
                op_at = {}
                for at_index, call in enumerate(migration.operations):
                    op_at.setdefault(call.line, []).append((at_index, call))
            op_index, op = _call_of(op_at.get(statement.line, []), table, column, len(migration.operations))
            if op is not None and op.name == "batch_alter_table":
                # a batch renders at its `with` line: the call is the block's alter_column of it
                op_index, op = _batch_call_of(migration, statement.line, table, column) or (op_index, op)
            if _sets_not_null(op):
                yield index, op_index, statement, table, column


def _alters(call: Operation, table: str, column: str) -> bool:
    owner, rest = call.table_and_rest()
    name = call.kwargs.get("column_name", rest[0] if rest else None)
    return isinstance(owner, str) and isinstance(name, str) and owner.lower() == table.lower() \
        and name.lower() == column.lower()


def _call_of(calls: list[tuple[int, Operation]], table: str, column: str, end: int
             ) -> tuple[int, Operation | None]:
    """The call on the statement's line that alters this column: a loop over literal tables makes
    one call per table on the same line, and what ran before each is what ran before that one."""
    for at_index, call in calls:
        if _alters(call, table, column):
            return at_index, call
    return calls[0] if calls else (end, None)


def _batch_call_of(migration: Migration, line: int, table: str, column: str) -> tuple[int, Operation] | None:
    """The alter_column of the column in the batch block that starts at `line` (phoenix fills the
    column with batch_op.execute in the same block, before it)."""
    return next(((index, op) for index, op in enumerate(migration.operations)
                 if op.name == "alter_column" and op.batch_table is not None and op.line >= line
                 and _alters(op, table, column)), None)


def already_not_null(migration: Migration, op_index: int, ctx: CheckContext, table: str, column: str) -> bool:
    """The call says the column is NOT NULL already (existing_nullable=False), or the history made
    it so and nothing made it nullable since (a type-only ALTER keeps NOT NULL on PostgreSQL; on
    MySQL its MODIFY drops it unless restated), or, on any database, the column is in the table's
    primary key: SET NOT NULL is then a no-op that scans nothing."""
    call = migration.operations[op_index] if op_index < len(migration.operations) else None
    if call is not None and call.kwargs.get("existing_nullable") is False:
        return True
    if ctx.postgresql or ctx.mysql:
        said = known_nullability(migration, op_index, ctx.ancestors(migration), table, column, ctx.mysql)
        if said is True:
            return True
        if said is None and ctx.mysql and call is not None and call.name == "alter_column" and \
                RESTATED_WITH & call.kwargs.keys():
            # MySQL's MODIFY restates the whole column, so a change of its type, name, default or
            # autoincrement must say nullable=False to keep it NOT NULL (mysql-modify-drops-not-null):
            # with no revision here saying otherwise (neutron-dynamic-routing's tables are neutron's,
            # tap-as-a-service's are made by a module its first revision calls), a restatement
            return True
        if said is None and ctx.mysql and call is not None and call.name == "execute" \
                and isinstance(sql := call.arg(0, "sqltext"), str) and mysql_modify(sql, column):
            return True  # MODIFY in SQL restates the whole column, NOT NULL with it (beaker's)
    return in_primary_key(migration, op_index, ctx.ancestors(migration), table, column)


# what an author writes after checking the data: "None of them actually contained null values in
# production", "After verifying that they are never null in production" (The Palace Project)
_NO_NULLS = re.compile(r"(?is)\bnone\b.{0,40}?\b(?:contains?|contained|ha(?:s|ve|d)|holds?|held)\b"
                       r".{0,20}?\bnulls?\b|"
                       r"\b(?:contains?|contained|ha(?:s|ve|d)|holds?|held)\s+no\s+nulls?\b|"
                       r"\b(?:are|were|is|was)\s+never\s+null\b|"
                       r"\bno\s+null\s+values?\s+(?:exist|remain|left|in\s+production)")


def _said_free_of_nulls(migration: Migration, line: int) -> bool:
    """The comment over the call's block says its columns hold no NULL: the author checked the
    data, which is the count the help asks for. The nearest comment block above the line, within
    the function."""
    lines = migration.source.splitlines()
    at = min(line, len(lines)) - 2
    while at >= 0 and not lines[at].lstrip().startswith("#"):
        if lines[at].lstrip().startswith(("def ", "async def ")):
            return False
        at -= 1
    block = []
    while at >= 0 and lines[at].lstrip().startswith("#"):
        block.append(lines[at].lstrip().lstrip("#"))
        at -= 1
    return bool(block) and _NO_NULLS.search(" ".join(reversed(block))) is not None


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for index, op_index, statement, table, column in set_not_null(migration, ctx):
        if _said_free_of_nulls(migration, statement.line):
            continue
        if not (already_not_null(migration, op_index, ctx, table, statement.column_before(table, column))
                or proven_by_check(migration, index, table, column, ctx)
                or any(filled(migration, op_index, was_table, was_column, ctx)
                       or _filled_earlier_in_text(migration, index, was_table, was_column)
                       for was_table, was_column in earlier_names(migration, index, table, column))):
            deleted = _partial_null_delete(migration, statement.line, table, column)
            origin = None if deleted else created_with_table(migration, ctx, table, column)
            older = not deleted and origin == OLDER
            variant = "partial" if deleted else "older" if older else "with_table" if origin else "default"
            if not ctx.postgresql:
                variant = "older_other_dialect" if older else \
                    "with_table_other_dialect" if origin else "other_dialect"
            if origin and _link_table_key(ctx.migrations.get(origin), table, column):
                variant = "link_table"
            call = migration.operations[op_index] if op_index < len(migration.operations) else None
            owner = call.table_and_rest()[0] if call is not None else None
            # the help's SQL and call name the table as the code does (MySQL's names keep their case)
            written = as_written(statement.sql, table, owner if isinstance(owner, str) else None)
            yield sql_hit(statement, f"{table}.{column}", table=table, written_table=written, column=column,
                          qtable=sql_ident(written, ctx.mysql), qcolumn=sql_ident(column, ctx.mysql),
                          qtable_unquoted=written,
                          line=str(deleted or ""), revision=origin or "", variant=variant,
                          existing_kw=existing_kw(call) if call is not None and call.name == "alter_column"
                          else "")
    yield from _keys_on_empty_columns(migration, ctx)


_PRIMARY_KEY = re.compile(r"(?is)\bPRIMARY\s+KEY\s*\((?P<columns>[^)]*)\)")
_ALTER = re.compile(r"(?is)(?:\s|--[^\n]*\n|/\*.*?\*/)*ALTER\b")  # after any leading comments


def _keys_on_empty_columns(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    """ADD PRIMARY KEY over a column this revision added with no default and nothing filled: the key
    makes it NOT NULL, which fails on every row the table already has (mev-inspect adds
    trace_address and keys swaps on it at once, which can only have run on an empty table)."""
    if "PRIMARY KEY" not in migration.upper_sql or "ALTER" not in migration.upper_sql:
        return  # a CREATE TABLE's key makes a new table's columns NOT NULL, on no rows
    lines = {op.line: index for index, op in reversed(list(enumerate(migration.operations)))}
    for statement, created in sql_walk(migration, ctx):
        if "PRIMARY KEY" not in statement.sql.upper() or not _ALTER.match(statement.sql) \
                or not (match := _PRIMARY_KEY.search(statement.sql)):
            continue
        keys = [(t, name) for t, name, kind, _, _ in statement.facts.constraints
                if kind == "primary key" and t not in created]
        if not keys:
            continue
        table, name = keys[0]
        op_index = lines.get(statement.line, len(migration.operations))
        for column in (c.strip().strip('"`').lower() for c in match["columns"].split(",")):
            added = next((op for op, added_to, spec in migration.added_columns()
                          if migration.operations.index(op) < op_index and added_to.lower() == table
                          and isinstance(spec.name, str) and spec.name.lower() == column), None)
            if added is None or _filled_when_added(migration, table, column, before=op_index) \
                    or _backfilled(migration, table, column, op_index):
                continue
            written = as_written(statement.sql, table)
            yield sql_hit(statement, f"{table}.{column}", table=table, written_table=written, column=column,
                          qtable=sql_ident(written, ctx.mysql), qcolumn=sql_ident(column, ctx.mysql),
                          qtable_unquoted=written, name=name or f"{table}_pkey", line=str(added.line),
                          revision="", existing_kw="", variant="key")
            break  # one finding per key: the first column that makes it fail


OLDER = ""  # no revision here adds the column: made before the history, or outside its files


def _link_table_key(creator: Migration | None, table: str, column: str) -> bool:
    """The revision created the table as a link table, every column of it a foreign key (or its
    own key), and the column is one of those foreign keys: each row the application writes joins
    two rows, so it writes both keys (european.cache.registry's undertaking_users)."""
    if creator is None:
        return False
    for op in creator.operations:
        if op.name != "create_table":
            continue
        name, items = op.table_and_rest()
        if not isinstance(name, str) or name.lower() != table:
            continue
        columns: dict[str, bool] = {}  # column -> a foreign key or primary key
        foreign: set[str] = set()
        for item in items:
            if not isinstance(item, Call):
                continue
            spec = ColumnSpec.from_call(item)
            if spec is not None and isinstance(spec.name, str):
                columns[spec.name.lower()] = spec.primary_key or any(
                    isinstance(a, Call) and a.short == "ForeignKey" for a in item.args)
                if columns[spec.name.lower()] and not spec.primary_key:
                    foreign.add(spec.name.lower())
            elif item.short == "ForeignKeyConstraint" and item.args \
                    and isinstance(local := item.args[0], list | tuple):
                foreign |= {c.lower() for c in local if isinstance(c, str)}
        keys = {c for c, key in columns.items() if key} | foreign
        return column in foreign and len(foreign) >= 2 and set(columns) <= keys
    return False


def created_with_table(migration: Migration, ctx: CheckContext, table: str, column: str) -> str | None:
    """The revision whose create_table made the column with its table, where no add_column came
    later: every row was written by the application with the column there, so only rows it left
    NULL fail (papermerge's users_roles.role_id, an association key it always writes). A column
    added later to a table that had rows holds NULL in each of them unless filled: the error (None).
    OLDER where neither this revision nor an ancestor adds the column, or creates or renames its
    table: the table was made before the history or by code outside its revision files (neutron's
    first revision calls modules), and the application has written the column all along (beaker's
    and JARR's keys, set NOT NULL years after the table was made)."""
    table, column = table.lower(), column.lower()
    for ancestor in (migration, *ctx.ancestors(migration)):  # nearest first: the latest that made it
        # renamed into these names: what made the old ones made it (timetable-api's lessons_rooms,
        # created with lesson_id, then renamed events_rooms with event_id), in an earlier revision
        # or in this one, before the rename (DermaAI adds doctor_id_new, then renames it doctor_id)
        before = _names_before(ancestor, table, column)
        for was_table, was_column in dict.fromkeys([(table, column), before]):
            for op, added_to, spec in ancestor.added_columns():
                if added_to.lower() == was_table and isinstance(spec.name, str) \
                        and spec.name.lower() == was_column:
                    return ancestor.revision.id if op.name == "create_table" and ancestor is not migration \
                        else None
        if table in ancestor.created_before(None) or before[0] in ancestor.created_before(None):
            return None  # made another way (SQL): what its rows hold is not known
        table, column = before
    return OLDER


def _names_before(migration: Migration, table: str, column: str) -> tuple[str, str]:
    """The table's and the column's names before the revision's renames made them these."""
    return [(table, column), *_renamed_back(migration.statements, table, column)][-1]


def _filled_earlier_in_text(migration: Migration, at: int, table: str, column: str) -> bool:
    """An UPDATE, or a DELETE of the rows where it is NULL, ahead of the SET NOT NULL in the same
    op.execute text ("UPDATE ...; ALTER TABLE ... SET NOT NULL"): the revision's data writes
    count from the call on, so one in the same call is placed by its statement (`at`, the index
    of the SET NOT NULL's)."""
    from migrate_lint.sql.writes import data_writes

    line = migration.statements[at].line
    for earlier in reversed(migration.statements[:at]):
        if earlier.line != line:
            return False
        if any(DataUpdate(w.table, w.columns, earlier.line, 0, None, w.kind).fills(table, column)
               for w in data_writes(earlier.sql)):
            return True
    return False


def earlier_names(migration: Migration, at: int, table: str, column: str) -> list[tuple[str, str]]:
    """The column's names, now and before the revision renamed it or its table ahead of its
    statement at index `at`: a fill under the old name fills the renamed column (koschei deletes the rows
    where applied_in_id is NULL, renames it build_id, then sets build_id NOT NULL)."""
    names = [(table, column)]
    if "RENAME" not in migration.upper_sql:
        return names
    return [*names, *_renamed_back(migration.statements[:at], table, column)]


def _renamed_back(statements: tuple[Statement, ...], table: str, column: str) -> Iterator[tuple[str, str]]:
    """The table's and the column's names before each rename of them, latest statement first."""
    was_table, was_column = table.lower(), column.lower()
    for earlier in reversed(statements):
        for kind, on, old, new in reversed(earlier.facts.renames):
            if kind == "column" and on.lower() == was_table and new.lower() == was_column:
                was_column = old.lower()
            elif kind == "table" and new.lower() == was_table:
                was_table = old.lower()
            else:
                continue
            yield was_table, was_column


def _partial_null_delete(migration: Migration, line: int, table: str, column: str) -> int | None:
    """The line of a DELETE before `line` that removes the rows where the column is NULL under
    other conditions too (`WHERE other IS NOT NULL AND c IS NULL`): the author dealt with NULLs, but
    only with some, so the message must not say nothing touched them (lms, where a CHECK rules
    out the rest)."""
    pattern = re.compile(rf'DELETE\s+FROM\s+(?:\w+\.)?"?{re.escape(table)}"?\s+WHERE\s[^;]*?'
                         rf'(?<![\w.])"?{re.escape(column)}"?\s+IS\s+NULL', re.IGNORECASE)
    lines = upgrade_lines_before(migration, line)
    start = line - len(lines)
    match = pattern.search("\n".join(lines))
    return start + "\n".join(lines)[:match.start()].count("\n") if match else None
