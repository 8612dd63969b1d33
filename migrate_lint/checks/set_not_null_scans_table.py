"""set-not-null-scans-table: SET NOT NULL after a backfill still scans the table under ACCESS EXCLUSIVE."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.checks.set_not_null_without_backfill import filled, proven_by_check, set_not_null
from migrate_lint.revisions.migration import Migration
from migrate_lint.sql.names import sql_ident

CODE = "ML121"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for index, op_index, statement, table, column in set_not_null(migration, ctx):
        if proven_by_check(migration, index, table, column, ctx):
            continue
        # Where nothing filled the column, set-not-null-without-backfill (ML302) reports it and its
        # help gives the CHECK route: one finding per place.
        if filled(migration, op_index, table, column, ctx):
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column,
                          qtable=sql_ident(table), qcolumn=sql_ident(column),
                          version=str(ctx.postgresql_version))
