"""volatile-default: ADD COLUMN with a default computed per row rewrites the whole table."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, sql_hit, sql_walk
from migrate_lint.revisions.migration import Migration
from migrate_lint.sql.facts import VOLATILE
from migrate_lint.sql.rawddl import rewriting_add_column, written_default
from migrate_lint.sql.volatility import declared_non_volatile, unknown_calls

CODE = "ML108"
SCOPE = "revision"


def _declared(migration: Migration, ctx: CheckContext) -> set[str]:
    """Functions this revision or an ancestor creates IMMUTABLE or STABLE."""
    names = set()
    for source in (migration, *ctx.ancestors(migration)):
        for statement in source.statements:
            if "FUNCTION" in statement.sql.upper() and (name := declared_non_volatile(statement.sql)):
                names.add(name)
    return names


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    words = migration.upper_sql  # a filled or a defaulted column names one of these
    if not ctx.postgresql or ("SERIAL" not in words and "GENERATED" not in words and "DEFAULT" not in words):
        return
    for statement, created in sql_walk(migration, ctx):
        if (filled := rewriting_add_column(statement.sql)) and filled[0] not in created:
            table, column, what = filled
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column, default=what,
                          version=str(ctx.postgresql_version), variant="filled")
            continue
        if "DEFAULT" not in statement.sql.upper():
            continue
        for table, column, not_null, default in statement.facts.added_columns:
            if default is None or default.upper() == "NULL" or table in created:
                continue
            calls = unknown_calls(default) if not VOLATILE.search(default) else []
            if calls:  # only when there is one: reading the history's functions costs a walk
                calls = unknown_calls(default, _declared(migration, ctx))
            if VOLATILE.search(default):
                variant = "default"
            elif calls:
                variant = "function"
            elif ctx.postgresql_version < 11:
                variant = "before_11"
            else:
                continue
            if not_null and variant != "before_11":
                variant += "_not_null"  # the help must not add a NOT NULL column without a default
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column,
                          default=written_default(statement.sql, column) or default,
                          version=str(ctx.postgresql_version), variant=variant,
                          function=calls[0] if calls else "")
