"""validate-in-same-transaction: NOT VALID then VALIDATE in one transaction keeps the lock throughout."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.revisions.migration import Migration

CODE = "ML109"
SCOPE = "revision"


def open_not_valid(migration: Migration, ctx: CheckContext) -> set[tuple[str, str]]:
    """(table, constraint) added NOT VALID and not yet committed at the end of the revision."""
    pending: set[tuple[str, str]] = set()
    for statement in migration.statements:
        if statement.sql.upper().startswith("COMMIT") or statement.autocommit:
            pending.clear()
        elif "NOT VALID" in statement.sql.upper():
            pending |= {(t, n) for t, n, _, not_valid, _ in statement.facts.constraints
                        if not_valid and n}
    return pending


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or not any(statement.facts.validated for statement in migration.statements):
        return  # nothing validated here (most revisions): the parent's statements are not read
    inherited: set[tuple[str, str]] = set()
    if not ctx.transaction_per_migration:  # Alembic runs all pending revisions in one transaction
        for parent in migration.revision.down_revisions:
            if parent in ctx.migrations:
                inherited |= open_not_valid(ctx.migrations[parent], ctx)
    pending: set[tuple[str, str]] = set()
    for statement in migration.statements:
        upper = statement.sql.upper()
        if upper.startswith("COMMIT") or statement.autocommit:
            pending.clear()
            inherited.clear()
        elif "NOT VALID" in upper:
            pending |= {(t, n) for t, n, _, not_valid, _ in statement.facts.constraints
                        if not_valid and n}
        elif (target := statement.facts.validated) and (target in pending or target in inherited):
            table, name = target
            yield sql_hit(statement, f"{table}.{name}", table=table, name=name,
                          variant="default" if target in pending else "previous")
