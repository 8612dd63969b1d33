"""swallowed-database-error: a revision catches a failed statement and goes on, which PostgreSQL's
aborted transaction does not allow."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.checks.commit_in_migration import keyword_only, own_executes
from migrate_lint.revisions.migration import Migration, Operation
from migrate_lint.revisions.swallowed import Swallow, swallowed

CODE = "ML313"
SCOPE = "revision"


def _runs_in_transaction(swallow: Swallow, migration: Migration) -> bool:
    """Whether a guarded statement runs on PostgreSQL inside the migration's transaction: SQL sent
    beside op.* (conn.execute()), or an op.* call of the dialect's (the others are not among the
    operations) out of an autocommit block."""
    guarded = [op for op in migration.operations
               if ((op.function == swallow.function and swallow.first <= op.line <= swallow.last)
                   or op.function in swallow.helpers) and not _queued(op, swallow)]
    return swallow.beside_op or any(
        not op.autocommit and (op.dialects is None or "postgresql" in op.dialects) for op in guarded)


def _queued(op: Operation, swallow: Swallow) -> bool:
    """A batch_op call of a `with op.batch_alter_table()` entered before the try: it is only queued
    there, and runs when the block ends, outside the try (hp's `try: batch_op.drop_column(...)`)."""
    return op.batch_line is not None and op.batch_line < swallow.first


def _after_own_commit(swallow: Swallow, migration: Migration) -> bool:
    """A COMMIT of the revision's own (op.execute("COMMIT")) ran before the guarded statements, with
    no BEGIN since: whether they run in a transaction then depends on the driver (psycopg2 sends no
    new BEGIN, psycopg 3 does), and commit-in-migration reports the COMMIT itself (keep's 971abbbf0a2c)."""
    executes = own_executes(migration)
    last = ""
    for statement in migration.statements:
        if statement.line >= swallow.first:
            break
        if (keyword := keyword_only(statement)) and statement.line in executes:
            last = keyword
    return last == "COMMIT"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or not ctx.transactional_ddl:
        # MySQL and SQLite go on after a failed statement (wizarr's SQLite-only history); without
        # transactional DDL each statement commits on its own: a failure aborts nothing that follows
        return
    for swallow in swallowed(migration.source):
        if _runs_in_transaction(swallow, migration) and not _after_own_commit(swallow, migration):
            yield Hit(swallow.line, f"swallowed:{swallow.line}", {"caught": swallow.caught}, swallow.column)
