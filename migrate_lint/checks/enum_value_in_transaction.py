"""enum-value-in-transaction: ALTER TYPE ... ADD VALUE cannot run in a transaction before PG 12."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit
from migrate_lint.revisions.migration import Migration
from migrate_lint.sql.facts import enum_value_added

CODE = "ML111"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql or ctx.postgresql_version >= 12:
        return
    for statement in migration.statements:
        if not statement.autocommit and (enum := enum_value_added(statement.sql)):
            yield sql_hit(statement, enum, type=enum, version=str(ctx.postgresql_version))
