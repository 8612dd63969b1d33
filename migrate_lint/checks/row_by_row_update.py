"""row-by-row-update: a Python loop over a whole table that writes one row at a time."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.migration import Migration
from migrate_lint.revisions.pydata import read

CODE = "ML311"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if ctx.dialect == "sqlite":
        return  # in the application's process: a row costs no round trip, and the one writer is the migration
    for line, column, source in read(migration.source).row_loops:
        if line not in migration.elsewhere:  # a loop in another dialect's branch
            # MySQL: no UPDATE ... FROM, and each DDL statement commits what came before it
            variant = "mysql" if ctx.mysql else "default"
            yield Hit(line, f"loop:{line}", {"source": source, "variant": variant}, column)
