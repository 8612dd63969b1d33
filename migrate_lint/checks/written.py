"""Arguments the helps write back as the code wrote them: literals quoted, computed values (a loop
variable, a name held by a variable) as code, and the constraint calls' other arguments.
(A helper of the rules, not a rule.)"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from migrate_lint.revisions.migration import Call, Operation, Ref, Unknown

LOOP_VARIABLE = r"each ([\w.]+) of the loop"  # how an Unknown says a loop variable (or its attribute)
PARAMETER = r"the (\w+) argument of \w+\(\)$"  # and a helper's parameter


def as_code(value: Any, shown: str) -> str:
    """An argument as the call wrote it: a literal quoted, an expression (a loop variable, a
    helper's parameter) as code."""
    if isinstance(value, Unknown) and value.source:
        named = re.match(LOOP_VARIABLE, value.source) or re.match(PARAMETER, value.source)
        return named[1] if named else value.source
    # a literal as written: the SQL's name is lower-cased, and PostgreSQL's "REPLICAS_TOMBSTONE_IDX" is not
    return f'"{value}"' if isinstance(value, str) and value.lower() == shown.lower() else f'"{shown}"'


CONSTRAINT_CALLS = frozenset({"create_foreign_key", "create_check_constraint", "create_unique_constraint",
                              "create_primary_key"})
# the call that creates each kind of constraint, and where it takes the columns (a CHECK, its
# condition): (call, position as op.* counts it, keyword)
CREATORS = {"foreign key": ("create_foreign_key", 3, "local_cols"),
            "unique constraint": ("create_unique_constraint", 2, "columns"),
            "check constraint": ("create_check_constraint", 2, "condition"),
            "primary key": ("create_primary_key", 2, "columns")}


def constraint_columns(call: Operation, kind: str) -> Any:
    """What a creator call of `kind` gives as its columns (its condition, for a CHECK): the batch
    form takes no table, so one position earlier."""
    _, position, keyword = CREATORS[kind]
    return call.arg(position - (1 if call.batch_table is not None else 0), keyword)


def calls_by_line(operations: Iterable[Operation], names: Iterable[str]) -> dict[int, list[Operation]]:
    """The calls of these names, by the line that writes them: a loop over tables, unrolled, writes
    one call per table on the same line."""
    wanted, found = frozenset(names), defaultdict(list)
    for op in operations:
        if op.name in wanted:
            found[op.line].append(op)
    return found


def call_on(calls: dict[int, list[Operation]], line: int, table: str) -> Operation | None:
    """The call at `line` that works on `table`, of those calls_by_line() found there: each
    statement a loop renders belongs to one pass (superset's uq_{table}_{column} on columns and on
    metrics); the first call where none names the table."""
    at_line = calls.get(line, [])
    bare = table.rsplit(".", 1)[-1].strip('"').lower()
    return next((op for op in at_line if str(op.table_at(
        1, "source_table" if op.name == "create_foreign_key" else "table_name")).lower() == bare),
        at_line[0] if at_line else None)


def computed_names(call: Operation | None) -> tuple[str, str] | None:
    """(name, table) as code where the call computes its constraint name or its table (a variable,
    a loop over tables); None where both are literals."""
    if call is None:
        return None
    name = call.arg(0, "constraint_name")
    table = call.arg(1, "source_table" if call.name == "create_foreign_key" else "table_name") \
        if call.batch_table is None else call.batch_table
    if not any(isinstance(v, Unknown) and v.source for v in (name, table)):
        return None
    name_code = "None" if name is None else as_code(name, str(name))
    return name_code, as_code(table, str(table))


_FOREIGN_KEY_KEPT = ("referent_schema", "onupdate", "ondelete", "deferrable", "initially", "match")


def _code(value: Any) -> str | None:
    """A literal argument written back as code; None for anything else."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return repr(value) if isinstance(value, bool | int) else None


def value_code(value: Any) -> str | None:
    """An argument of literals, names and calls of them written back as code (`sa.String(4)`,
    `sa.text("now()")`); None for anything computed."""
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, Call):
        args = [value_code(a) for a in value.args]
        kwargs = [(k, value_code(v)) for k, v in value.kwargs.items()]
        if any(a is None for a in args) or any(v is None for _, v in kwargs):
            return None
        return f"{value.func}(" + ", ".join([*map(str, args), *(f"{k}={v}" for k, v in kwargs)]) + ")"
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        items = [value_code(v) for v in value]
        return None if any(i is None for i in items) else "[" + ", ".join(map(str, items)) + "]"
    return repr(value) if isinstance(value, str) else None


def existing_kw(op: Operation | None) -> str:
    """The call's existing_* arguments as written, for a help that writes the call again: MySQL's
    MODIFY restates the whole column from them, and Alembic refuses it without existing_type."""
    if op is None:
        return ""
    kept = [(key, value_code(value)) for key, value in op.kwargs.items() if key.startswith("existing_")]
    return "".join(f", {key}={code}" for key, code in kept if code is not None)


def referent(op: Operation | None) -> str:
    """What follows the table in the create_foreign_key call the help writes: the referred table,
    the columns and the options the code gave, or "..." where they are not literals."""
    if op is None or op.name != "create_foreign_key":
        return "..."
    start = 1 if op.batch_table is not None else 2
    names = ("referent_table", "local_cols", "remote_cols")
    kept = [key for key in _FOREIGN_KEY_KEPT if key in op.kwargs]
    values = [op.arg(start + i, name) for i, name in enumerate(names)] + [op.kwargs[key] for key in kept]
    codes = [_code(value) for value in values]
    if not all(codes):
        return "..."
    return ", ".join(f"{key}{code}" for key, code in zip(["", "", ""] + [f"{k}=" for k in kept], codes,
                                                          strict=True))
