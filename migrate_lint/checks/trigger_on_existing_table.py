"""trigger-on-existing-table: CREATE or DROP TRIGGER locks the table until the transaction ends."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, blocking, sql_hit
from migrate_lint.checks.held_locks import held_exclusively, locked_explicitly
from migrate_lint.checks.index_history import whole_history
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
        if verb == "DROP" and _never_made(migration, ctx, statement, table):
            continue  # IF EXISTS of a trigger nothing before made: it finds none, and locks nothing
        yield sql_hit(statement, table, table=table, variant="drop" if verb == "DROP" else "default")


def _dropped_later(migration: Migration, statement: Statement, table: str) -> bool:
    """A later statement of the revision drops the relation (DROP TABLE, DROP [MATERIALIZED] VIEW)."""
    view = re.compile(r"(?i)\bDROP\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?\"?"
                      + re.escape(table) + r"\b")
    later = migration.statements[migration.statements.index(statement) + 1:]
    return any(("table", "", table) in s.facts.dropped or view.search(s.sql) for s in later)


_DROP_IF_EXISTS = re.compile(r'(?i)^\s*DROP\s+TRIGGER\s+IF\s+EXISTS\s+"?(\w+)"?\s+ON\b')


def _never_made(migration: Migration, ctx: CheckContext, statement: Statement, table: str) -> bool:
    """A DROP TRIGGER IF EXISTS of a trigger that no revision before it names, nor this one before
    the statement, on a table the history made, in a history known whole: on a database the
    history built it finds no trigger, and then takes no lock at all (checked on PostgreSQL 15: no
    pg_locks row for the table). Audius drops on_play IF EXISTS right before creating it for the
    first time. On a table the history did not make, the database had a life before it."""
    match = _DROP_IF_EXISTS.match(statement.sql)
    if match is None or ctx.opaque or not whole_history(migration, ctx):
        return False
    word = re.compile(rf"(?i)(?<![\w$]){re.escape(match[1])}(?![\w$])")
    if any(word.search(s.sql) for s in migration.statements[:migration.statements.index(statement)]):
        return False
    ancestors = list(ctx.ancestors(migration))
    made = any((s.facts.created_table or "").lower() == table.lower()
               for ancestor in ancestors for s in ancestor.statements)
    return made and not any(word.search(ancestor.source) for ancestor in ancestors)
