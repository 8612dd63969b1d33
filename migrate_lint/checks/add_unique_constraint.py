"""add-unique-constraint: ADD UNIQUE builds its index while holding a lock that blocks writes."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, named_by_convention, sql_hit, sql_walk
from migrate_lint.checks.held_locks import held_since, rewritten_earlier
from migrate_lint.checks.set_not_null_scans_table import filled_under_add_lock
from migrate_lint.checks.written import (
    CONSTRAINT_CALLS,
    as_code,
    call_on,
    calls_by_line,
    computed_names,
    constraint_columns,
)
from migrate_lint.revisions.coltypes import in_primary_key, known_not_null
from migrate_lint.revisions.migration import Call, Migration, Operation, Statement, Unknown
from migrate_lint.sql.facts import server_constraint_name
from migrate_lint.sql.names import as_written, sql_ident

CODE = "ML106"
# PostgreSQL 15's NULLS [NOT] DISTINCT, which SQLAlchemy writes for postgresql_nulls_not_distinct=
# kept when the index is attached: the application may defer the constraint (funding-service's
# SET CONSTRAINTS ... DEFERRED when it reorders forms), and USING INDEX makes it NOT DEFERRABLE otherwise
_DEFERRABLE = (r"(?i)\b(?:NOT\s+)?DEFERRABLE\b(?:\s+INITIALLY\s+(?:DEFERRED|IMMEDIATE))?"
               r"|\bINITIALLY\s+DEFERRED\b")
_COLUMNS = r"(?i)\b(?:UNIQUE(?:\s+NULLS\s+(?:NOT\s+)?DISTINCT)?|PRIMARY KEY)\s*\((?P<columns>[^)]*)\)"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    words = migration.upper_sql  # what one of the statements below must name
    if not ctx.postgresql or ("UNIQUE" not in words and "PRIMARY KEY" not in words):
        return
    calls = calls_by_line(migration.operations, CONSTRAINT_CALLS)
    for statement, created in sql_walk(migration, ctx):
        if "UNIQUE" not in statement.sql.upper() and "PRIMARY KEY" not in statement.sql.upper():
            continue
        for table, name, kind, _, _ in statement.facts.constraints:
            if kind in ("unique", "primary key") and table not in created and "USING INDEX" not in \
                    statement.sql.upper() and not rewritten_earlier(migration, statement, table,
                                                                    ctx.transactional_ddl, ctx.dialect) \
                    and not filled_under_add_lock(migration, ctx, statement, table):
                name = named_by_convention(migration, ctx, statement, kind, table, name) or name or \
                    server_constraint_name(table, kind, statement.sql)
                match = re.search(_COLUMNS, statement.sql)
                columns = [c.strip().strip('"') for c in match["columns"].split(",")] if match else [
                    column for t, column, _, _ in statement.facts.added_columns if t == table]  # ADD COLUMN
                call = call_on(calls, statement.line, table)
                name_code, table_code = computed_names(call) or ("", "")
                subject = f"{table}.{name}"
                # the help's SQL names them as the code does: a quoted capital name (anitya's
                # "UNIQ_PROJECT_NAME_PER_ECOSYSTEM") is another name in lower case
                code_name = call.arg(0, "constraint_name") if call is not None else None
                name = as_written(statement.sql, name, code_name if isinstance(code_name, str) else None)
                held = held_since(migration, statement, table, ctx.transactional_ddl, "build")
                replaced = _unique_dropped_before(migration, statement, table) if kind == "unique" else None
                table = as_written(statement.sql, table)
                yield sql_hit(statement, subject, table=table, name=name, kind=kind.upper(), held=held,
                              qtable=sql_ident(table), qname=sql_ident(name),
                              columns=(name_code and _columns_as_code(call, kind)) or repr(columns),
                              qcolumns=", ".join(sql_ident(c) for c in columns),
                              deferrable=_deferrable(statement.sql),
                              name_code=name_code, table_code=table_code,
                              variant="computed" if name_code else _primary_key_variant(
                                  migration, ctx, call, table, columns, statement)
                              if kind == "primary key" else
                              ("replacing" if replaced else "default") if match else "column",
                              old=replaced[0] if replaced else "",
                              dropped=str(replaced[1]) if replaced else "")


def _unique_dropped_before(migration: Migration, statement: Statement, table: str) -> tuple[str, int] | None:
    """(name, line) of a unique constraint of `table` this revision drops before adding this one
    (reana-db drops uq_workflow_name, then adds uq_workflow_owner_id with its columns reordered):
    built concurrently after that drop, the new index leaves the table with no uniqueness while it
    builds, so the help puts the drop after the attach."""
    for op in migration.operations:
        if op.line >= statement.line:
            break
        name = op.arg(0, "constraint_name")
        if op.name == "drop_constraint" and op.kwargs.get("type_") == "unique" and isinstance(name, str) \
                and isinstance(dropped_from := op.table_at(1, "table_name"), str) \
                and dropped_from.lower() == table.lower():
            return name, op.line
    return None


def _columns_as_code(call: Operation | None, kind: str) -> str | None:
    """The call's columns as it writes them where a loop gives them (`[column, "id"]`): the rendered
    ones are those of the loop's first pass only."""
    columns = constraint_columns(call, "primary key" if kind == "primary key" else "unique constraint") \
        if call is not None else None
    if not isinstance(columns, tuple | list) or not any(isinstance(c, Unknown) for c in columns):
        return None
    return "[" + ", ".join(as_code(c, str(c)) for c in columns) + "]"


def _deferrable(sql: str) -> str:
    """The constraint's DEFERRABLE clause, which the help's USING INDEX must restate."""
    found = re.search(_DEFERRABLE, sql)
    return " " + " ".join(found[0].upper().split()) if found else ""


def _primary_key_variant(migration: Migration, ctx: CheckContext, call: Operation | None, table: str,
                         columns: list[str], statement: Statement) -> str:
    """"primary_key_not_null" where every key column is NOT NULL already: in a primary key the
    history made (dropping a key leaves its columns NOT NULL), or set NOT NULL by the history; the
    help then asks for no NOT NULL step (ros-backend's system_id, of the key it replaces)."""
    before = next((i for i, op in enumerate(migration.operations) if op is call), len(migration.operations))
    # the key downgrade() puts back is the one this revision replaces (rucio's tokens, a table its
    # history did not create)
    restored = {c.lower() for op in migration.downgrade if op.name == "create_primary_key"
                and str(op.table_at(1, "table_name")).lower() == table.lower()
                for c in constraint_columns(op, "primary key") or () if isinstance(c, str)}

    def not_null(column: str) -> bool:
        if _made_again_in_sql(migration, statement, table, column):
            return False  # what holds the name now is what the revision's SQL made it
        if known_not_null(migration, before, ctx.ancestors(migration), table, column, ctx.mysql):
            return True
        return not _made_again(migration, before, table, column) and (
            column.lower() in restored
            or in_primary_key(migration, before, ctx.ancestors(migration), table, column))

    known = bool(columns) and all(not_null(column) for column in columns)
    return "primary_key_not_null" if known else "primary_key"


def _made_again_in_sql(migration: Migration, statement: Statement, table: str, column: str) -> bool:
    """_made_again() of the revision's SQL before the key: ai-platform drops "user".id and renames
    its nullable new_id to id in conn.execute(text(...)) calls, then adds the key on id."""
    table, column = table.lower(), column.lower()
    # op.* calls are _made_again()'s, which known_not_null() follows through their renames
    calls = {op.line: op.name for op in migration.operations}
    for earlier in migration.statements[:migration.statements.index(statement)]:
        if calls.get(earlier.line, "execute") != "execute" or (
                "COLUMN" not in earlier.sql.upper() and "RENAME" not in earlier.sql.upper()):
            continue
        facts = earlier.facts
        if ("column", table, column) in facts.dropped or any(
                kind == "column" and on.lower() == table and new.lower() == column
                for kind, on, _, new in facts.renames):
            return True
    return False


def _made_again(migration: Migration, before: int, table: str, column: str) -> bool:
    """The revision drops, adds or renames a column to this name before the key: the old key's
    column is gone, and what holds the name now is only what the revision made it."""
    for op in migration.operations[:before]:
        owner, rest = op.table_and_rest()
        if str(owner).lower() != table.lower():
            continue
        if op.name == "drop_column" and str(op.kwargs.get("column_name", rest[0] if rest else "")).lower() \
                == column.lower():
            return True
        if op.name == "alter_column" and str(op.kwargs.get("new_column_name", "")).lower() == column.lower():
            return True
        added = (c for c in (*rest, op.kwargs.get("column")) if isinstance(c, Call) and c.args)
        if op.name == "add_column" and column.lower() in {str(c.args[0]).lower() for c in added}:
            return True
    return False
