"""The lock_timeout in force at each statement of a revision: env.py's, then the revision's own SETs.
(A helper of the lock rules, not a rule.)"""

from __future__ import annotations

from migrate_lint.checks import CheckContext, sql_walk
from migrate_lint.revisions.migration import Migration, Statement
from migrate_lint.sql.timeouts import Timeout, from_statement


def in_force(migration: Migration, ctx: CheckContext
             ) -> list[tuple[Statement, frozenset[str], Timeout | None]]:
    """Each statement, the tables created before it, and the active lock_timeout it runs under."""
    session, local = ctx.lock_timeout, None
    was_autocommit = False
    found = []
    for statement, created in sql_walk(migration, ctx):
        if statement.autocommit and not was_autocommit:
            local = None  # an autocommit block commits Alembic's transaction: SET LOCAL ends there
        was_autocommit = statement.autocommit
        setting = from_statement(statement.sql, f"line {statement.line}") \
            if "lock_timeout" in statement.sql.lower() else None
        if setting is not None:
            if setting.local:
                local = setting
            else:
                session, local = setting, None
            continue
        current = local or session
        found.append((statement, created, current if current and current.active else None))
    return found
