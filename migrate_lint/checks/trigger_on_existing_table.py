"""trigger-on-existing-table: CREATE or DROP TRIGGER locks the table until the transaction ends."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, blocking, sql_hit
from migrate_lint.checks.held_locks import held_exclusively, locked_explicitly
from migrate_lint.revisions.migration import Migration

CODE = "ML118"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for statement, table, verb in blocking(migration, ctx, "trigger"):
        if held_exclusively(migration, statement, table, ctx.transactional_ddl) or \
                locked_explicitly(migration, statement, table, ctx.transactional_ddl):
            continue  # an earlier ALTER holds ACCESS EXCLUSIVE, or a LOCK TABLE the revision chose
        yield sql_hit(statement, table, table=table, variant="drop" if verb == "DROP" else "default")
