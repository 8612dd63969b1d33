"""add-unique-constraint: ADD UNIQUE builds its index while holding a lock that blocks writes."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration
from migrate_lint.sql.facts import server_constraint_name

CODE = "ML106"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.postgresql:
        return
    for statement, created in sql_walk(migration, ctx):
        if "UNIQUE" not in statement.sql.upper() and "PRIMARY KEY" not in statement.sql.upper():
            continue
        for table, name, kind, _, _ in statement.facts.constraints:
            if kind in ("unique", "primary key") and table not in created and "USING INDEX" not in \
                    statement.sql.upper():
                name = name or server_constraint_name(table, kind, statement.sql)
                yield sql_hit(statement, f"{table}.{name}", table=table, name=name, kind=kind.upper())
