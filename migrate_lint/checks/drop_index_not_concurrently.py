"""drop-index-not-concurrently: DROP INDEX takes an ACCESS EXCLUSIVE lock on its PostgreSQL table."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.checks.lock_timeouts import in_force
from migrate_lint.revisions.migration import Migration, Statement

CODE = "ML102"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    new_indexes: set[str] = set()
    for statement, _, timeout in in_force(migration, ctx):
        if "INDEX" not in statement.sql[:40].upper():
            continue
        fact = statement.facts.index
        if fact and fact[0] == "create":
            new_indexes.add(fact[1])
        # under a lock_timeout the drop fails fast instead of queuing (this rule's own safe variant)
        elif fact and fact[0] == "drop" and not fact[3] and fact[1] not in new_indexes and timeout is None:
            yield sql_hit(statement, fact[1], index=fact[1], **_table_of(migration, statement))


def _table_of(migration: Migration, statement: Statement) -> dict[str, str]:
    """The table the dropped index is on, from its op.drop_index call (DROP INDEX does not name
    it), so the engine can weigh the lock by the table's size."""
    for op in migration.operations:
        if op.line == statement.line and op.name == "drop_index":
            table = op.kwargs.get("table_name", op.args[1] if len(op.args) > 1 else None)
            if isinstance(table, str):
                return {"table": table}
    return {}
