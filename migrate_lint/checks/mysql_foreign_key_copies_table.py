"""mysql-foreign-key-copies-table: with foreign_key_checks on, MySQL and MariaDB add a foreign key
by copying the table."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration

CODE = "ML122"
SCOPE = "revision"


def _checks_off(sql: str) -> bool:
    words = "".join(sql.lower().split())
    return "foreign_key_checks=0" in words or "foreign_key_checks=off" in words


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if not ctx.mysql or "FOREIGN KEY" not in migration.upper_sql:
        return
    checks_off = False
    for statement, created in sql_walk(migration, ctx):
        if "foreign_key_checks" in statement.sql.lower():
            checks_off = _checks_off(statement.sql)
            continue
        if checks_off or statement.sql.lstrip()[:5].upper() != "ALTER":
            continue
        for table, name, kind, _, _ in statement.facts.constraints:
            if kind == "foreign key" and table not in created:
                yield sql_hit(statement, f"{table}.{name}", table=table,
                              key=f"foreign key {name}" if name else "an unnamed foreign key")
                break
