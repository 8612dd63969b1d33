"""contract-with-code-change: a drop or rename shipped with the code change that stopped using it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from migrate_lint.checks import CheckContext, Hit, at
from migrate_lint.finding import display_path
from migrate_lint.paths import real_path
from migrate_lint.revisions.migration import Migration, Operation

CODE = "ML205"
SCOPE = "revision"
SHOWN_FILES = 3


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if ctx.changed is None or not ctx.removed_lines:
        return
    revisions = {real_path(r.path) for r in ctx.graph.by_id.values()}
    code = {path: lines for path, lines in ctx.removed_lines.items() if path not in revisions}
    for op in migration.operations:
        contracted = _contracted(op)
        if contracted is None:
            continue
        kind, table, name = contracted
        if table.lower() in migration.created_before(op):
            continue
        users = _files_using(name, code)
        if users:
            shown = ", ".join(display_path(p) for p in users[:SHOWN_FILES])
            more = f" and {len(users) - SHOWN_FILES} more" if len(users) > SHOWN_FILES else ""
            subject = f"{table}.{name}" if kind == "column" else table
            yield at(op, subject, kind=kind, name=subject, files=shown + more,
                     verb="renames" if op.name in ("rename_table", "alter_column") else "drops")


def _contracted(op: Operation) -> tuple[str, str, str] | None:
    """(kind, table, name that running code may use) for a drop or rename, else None."""
    table, rest = op.table_and_rest("old_table_name" if op.name == "rename_table" else "table_name")
    if not isinstance(table, str):
        return None
    if op.name in ("drop_table", "rename_table"):
        return "table", table, table
    if op.name == "drop_column":
        column = op.kwargs.get("column_name", rest[0] if rest else None)
        return ("column", table, column) if isinstance(column, str) else None
    if op.name == "alter_column" and isinstance(op.kwargs.get("new_column_name"), str):
        column = op.kwargs.get("column_name", rest[0] if rest else None)
        return ("column", table, column) if isinstance(column, str) else None
    return None


def _files_using(name: str, code: dict[Path, tuple[str, ...]]) -> list[Path]:
    word = re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])")
    return sorted(path for path, lines in code.items() if any(word.search(line) for line in lines))
