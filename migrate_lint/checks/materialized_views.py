"""Which relations of a history are materialized views, and which a revision drops before a
statement. (A helper of the index rules, not a rule.)

Nothing but REFRESH writes a materialized view: an index build on one holds back the next refresh,
never an INSERT, UPDATE or DELETE, and reads go on (audius indexes its search views so they can be
refreshed CONCURRENTLY). And an index goes with the relation it is on: a DROP INDEX after a DROP
MATERIALIZED VIEW of its view, in the same revision, drops nothing and locks nothing.
"""

from __future__ import annotations

import re

from migrate_lint.checks import CheckContext
from migrate_lint.revisions.migration import Migration, Statement

_NAME = r'(?:"?\w+"?\.)?"?(\w+)"?'
_MADE_VIEW = re.compile(r"(?i)\bCREATE\s+(?:OR\s+REPLACE\s+)?MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                        + _NAME)
_MADE_TABLE = re.compile(r"(?i)^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?"
                         r"TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _NAME)
_DROPPED = re.compile(r"(?i)^\s*DROP\s+(?:MATERIALIZED\s+VIEW|VIEW|TABLE)\s+(?:IF\s+EXISTS\s+)?"
                      r"((?:[\w\".]+\s*,\s*)*[\w\".]+)")


def _named_views(ctx: CheckContext) -> frozenset[str]:
    """Every name the history's revisions create a materialized view by, read once per run from
    their text (under --base the other revisions stay unanalysed)."""
    found: frozenset[str] | None = ctx.memo.get("materialized_views")
    if found is None:
        names: set[str] = set()
        for revision_id in ctx.graph.by_id:
            text = ctx.source_of(revision_id)
            if "MATERIALIZED" in text.upper():
                names.update(n.lower() for n in _MADE_VIEW.findall(text))
        found = ctx.memo["materialized_views"] = frozenset(names)
    return found


def is_materialized_view(migration: Migration, ctx: CheckContext, statement: Statement, name: str) -> bool:
    """`name` is a materialized view where the statement runs: the latest CREATE of a relation by
    that name, before the statement in this revision or in the revisions before it, makes one."""
    bare = name.rsplit(".", 1)[-1].strip('"').lower()
    if bare not in _named_views(ctx):
        return False  # most histories make no materialized view, and none by this name
    earlier = migration.statements[:migration.statements.index(statement)]
    for source in (earlier, *(m.statements for m in ctx.ancestors(migration))):
        for made in reversed(source):
            if (view := _MADE_VIEW.search(made.sql)) and view[1].lower() == bare:
                return True
            if (table := _MADE_TABLE.match(made.sql)) and table[1].lower() == bare:
                return False
    return False


def dropped_before(migration: Migration, statement: Statement, relation: str) -> bool:
    """A statement of this revision before this one drops the relation (DROP TABLE, DROP
    [MATERIALIZED] VIEW, op.drop_table), and with it every index on it."""
    bare = relation.rsplit(".", 1)[-1].strip('"').lower()
    for earlier in migration.statements:
        if earlier is statement:
            return False
        if ("table", "", bare) in earlier.facts.dropped:
            return True
        if (dropped := _DROPPED.match(earlier.sql)) and bare in {
                n.strip().strip('"').rsplit(".", 1)[-1].strip('"').lower() for n in dropped[1].split(",")}:
            return True
    return False
