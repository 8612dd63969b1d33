"""merge-revision-with-operations: a merge revision that also changes the schema."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.migration import Migration, Operation

CODE = "ML408"
SCOPE = "revision"


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    revision = migration.revision
    changes = [op for op in migration.operations if not _reads_only(op)]
    if len(revision.down_revisions) < 2 or not changes:
        return
    first = changes[0]
    yield Hit(first.line, revision.id, {"revision": revision.id, "count": str(len(changes)),
                                        "parents": ", ".join(revision.down_revisions)},
              first.column, first.end_line)


# a query that changes nothing: a guard that refuses to run on data it cannot migrate
# (cross-sport-tracker's SELECT of legacy password hashes) belongs where both branches have run
_READ_ONLY = re.compile(r"^(?:\s|--[^\n]*\n|/\*.*?\*/)*(?:SELECT|SHOW|EXPLAIN)\b(?!.*\bINTO\b)", re.I | re.S)
# what such a query may call and still change nothing (SELECT setval(...) or create_hypertable(...) do)
_PURE = frozenset({"count", "min", "max", "sum", "avg", "coalesce", "lower", "upper", "length", "exists",
                   "in", "and", "or", "not", "on", "from", "where", "as"})
# op.* calls that run no statement of their own
_NO_STATEMENT = frozenset({"get_bind", "get_context", "f", "inline_literal"})


def _reads_only(op: Operation) -> bool:
    """The call changes nothing in the database: it runs no statement, or one read-only query."""
    if op.name in _NO_STATEMENT:
        return True
    sql = op.literal_sql if op.name == "execute" else None
    return sql is not None and ";" not in sql.strip().rstrip(";") and bool(_READ_ONLY.match(sql)) \
        and all(name.lower() in _PURE for name in re.findall(r"(\w+)\s*\(", sql))
