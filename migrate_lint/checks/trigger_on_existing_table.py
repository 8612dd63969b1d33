"""trigger-on-existing-table: CREATE or DROP TRIGGER locks the table until the transaction ends."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, blocking, sql_hit
from migrate_lint.checks.held_locks import held_exclusively, locked_explicitly
from migrate_lint.revisions.migration import Migration, Statement

CODE = "ML118"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for statement, table, verb in blocking(migration, ctx, "trigger"):
        if held_exclusively(migration, statement, table, ctx.transactional_ddl) or \
                locked_explicitly(migration, statement, table, ctx.transactional_ddl):
            continue  # an earlier ALTER holds ACCESS EXCLUSIVE, or a LOCK TABLE the revision chose
        if _dropped_later(migration, statement, table):
            continue  # the table or view goes too, under its own lock: drop-table's risk, not this one
        yield sql_hit(statement, table, table=table, variant="drop" if verb == "DROP" else "default")


def _dropped_later(migration: Migration, statement: Statement, table: str) -> bool:
    """A later statement of the revision drops the relation (DROP TABLE, DROP [MATERIALIZED] VIEW)."""
    view = re.compile(r"(?i)\bDROP\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?\"?"
                      + re.escape(table) + r"\b")
    later = migration.statements[migration.statements.index(statement) + 1:]
    return any(("table", "", table) in s.facts.dropped or view.search(s.sql) for s in later)
