"""Whether a history can have made an index before a revision drops it `IF EXISTS`. (A helper of
the index rules, not a rule.)

`DROP INDEX IF EXISTS` of a name no revision made is a clean-up: on a database the history built it
drops nothing. Concluding that needs the whole history before the revision, and every way an index
gets a name the source does not spell out (`index=True`, a formatted name, `create_all()`) ruled
out; short of that the drop is taken to drop something.
"""

from __future__ import annotations

import re

from migrate_lint.checks import CheckContext
from migrate_lint.revisions.migration import (
    CREATE_ALL,
    Call,
    ColumnSpec,
    Migration,
    Operation,
    Statement,
    Unknown,
)

_IF_EXISTS = re.compile(r"(?i)^\s*DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?IF\s+EXISTS\b")


def drops_if_exists(sql: str) -> bool:
    """The statement is a DROP INDEX [CONCURRENTLY] IF EXISTS."""
    return _IF_EXISTS.match(sql) is not None

# an index name built by formatting (f"CREATE INDEX ix_{table}", "... INDEX %s ON"): not in the text
_FORMATTED = re.compile(r"(?i)\bINDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?[\w\".]*[{%]")
# metadata.create_all(bind), Model.__table__.create(bind): the models' indexes, named out of sight
# (an enum type's .create(bind) makes no index)
_PYTHON_CREATE = re.compile(r"(?i)\.create_all\s*\(|(?:table|metadata)\w*\s*\.create\s*\(")


def never_made(migration: Migration, ctx: CheckContext, statement: Statement, name: str) -> bool:
    """The statement drops `name` IF EXISTS, and nothing in the history before it can have made it:
    no revision up to it names it in its source (comments count: a note that an edited revision
    once made it is reason enough to doubt), none builds an index whose name its source does not
    spell out, and the history before it is whole."""
    if not drops_if_exists(statement.sql) or ctx.opaque or not whole_history(migration, ctx):
        return False
    word = re.compile(rf"(?i)(?<![\w$]){re.escape(name)}(?![\w$])")
    before = "\n".join(migration.source.splitlines()[:statement.line - 1])
    earlier = [op for op in migration.operations if op.line < statement.line]
    sources = [(before, earlier, [s for s in migration.statements if s.line < statement.line])]
    sources += [(m.source, list(m.operations), list(m.statements)) for m in ctx.ancestors(migration)]
    convention = bool(ctx.conventions.get("ix")) if any(_indexed_columns(ops) for _, ops, _ in sources) \
        else False
    for text, operations, statements in sources:
        if word.search(text) or _FORMATTED.search(text) or _PYTHON_CREATE.search(text):
            return False
        if any(op.name == CREATE_ALL or _computed_name(op) for op in operations):
            return False
        indexed = _indexed_columns(operations)
        if convention or name.lower() in indexed or "?" in indexed:
            return False
        if any(s.facts.index and s.facts.index[0] == "create" and s.facts.index[1] == name.lower()
               for s in statements if "INDEX" in s.sql[:40].upper()):
            return False
    return True


def whole_history(migration: Migration, ctx: CheckContext) -> bool:
    """Every revision before this one is known and was read."""
    ancestors = [migration.revision, *ctx.graph.ancestors(migration.revision.id)]
    if any(parent not in ctx.graph.by_id for revision in ancestors for parent in revision.down_revisions):
        return False
    return sum(1 for _ in ctx.ancestors(migration)) == len(ancestors) - 1


def _computed_name(op: Operation) -> bool:
    """A create_index whose name the code computes."""
    if op.name != "create_index":
        return False
    value = op.arg(0, "index_name")
    if isinstance(value, Call) and value.short in ("f", "conv") and value.args:
        value = value.args[0]
    return isinstance(value, Unknown) or (value is not None and not isinstance(value, str))


def _indexed_columns(operations: list[Operation]) -> set[str]:
    """The names SQLAlchemy gives the indexes of `index=True` columns these calls add:
    ix_<table>_<column> (a project's own "ix" convention may name them otherwise)."""
    names = set()
    for op in operations:
        if op.name not in ("create_table", "add_column"):
            continue
        table, rest = op.table_and_rest()
        items = rest if op.name == "create_table" else (op.kwargs.get("column", rest[0] if rest else None),)
        for item in items:
            spec = ColumnSpec.from_call(item) if isinstance(item, Call) else None
            if spec is not None and item.kwargs.get("index") is True:
                names.add(f"ix_{table}_{spec.name}".lower() if isinstance(table, str) and
                          isinstance(spec.name, str) else "?")
    return names
