"""TimescaleDB's hypertables refuse CONCURRENTLY: `CREATE INDEX CONCURRENTLY` fails with "hypertables
do not support concurrent index creation" (timescale/timescaledb#504), and so does `DROP INDEX
CONCURRENTLY` on one. A history that makes a table a hypertable (`create_hypertable('t', ...)`)
or installs TimescaleDB (opennem's `CREATE EXTENSION timescaledb`, with its hypertables made
outside the revisions) gets index help that says what works there instead, and no automatic fix
to CONCURRENTLY, which could make its revision fail."""

from __future__ import annotations

import re

from migrate_lint.checks import CheckContext
from migrate_lint.revisions.migration import Migration

MARK = "TimescaleDB hypertable"  # in a help that must not be fixed to CONCURRENTLY (fix.ddl)
_MADE = re.compile(r"""create_hypertable\s*\(\s*(?:relation\s*=>\s*)?['"]([\w."]+)['"]""", re.I)

BUILD = ("build it WITH (timescaledb.transaction_per_chunk) instead, which locks one chunk at a time "
         "(op.execute('CREATE INDEX ... WITH (timescaledb.transaction_per_chunk)'))")
DROP = "drop it when writes to it can wait: the drop locks the hypertable and each of its chunks"


def hypertable_note(migration: Migration, ctx: CheckContext, table: str, creating: bool) -> str:
    """" But/If {table} is a TimescaleDB hypertable ..." for an index help, or "" where the history
    knows nothing of TimescaleDB."""
    if not ctx.postgresql:
        return ""
    made, uses = _timescale(migration, ctx)
    what = BUILD if creating else DROP
    name = table or "its table"
    refused = "CONCURRENTLY" if creating else "DROP INDEX CONCURRENTLY"
    if table and table.lower().rsplit(".", 1)[-1] in made:
        return f" But {name} is a {MARK} (create_hypertable), which refuses {refused}: {what}."
    if uses:
        return f" If {name} is a {MARK}, which refuses {refused}, {what}."
    return ""


def _timescale(migration: Migration, ctx: CheckContext) -> tuple[frozenset[str], bool]:
    """The tables the history makes hypertables, up to this revision, and whether it uses TimescaleDB."""
    found: dict[str, frozenset[str]] | None = ctx.memo.get("timescale")
    if found is None:  # each revision's text read once per run: most histories never name it
        found = {}
        for revision_id in ctx.graph.by_id:
            # the text, not its analysis: under --base the other revisions stay unanalysed
            lowered = ctx.source_of(revision_id).lower()
            if "timescaledb" in lowered or "create_hypertable" in lowered:
                found[revision_id] = frozenset(name.replace('"', "").rsplit(".", 1)[-1]
                                               for name in _MADE.findall(lowered))
        ctx.memo["timescale"] = found
    if not found:
        return frozenset(), False
    mine = [found[r.id] for r in (migration.revision, *ctx.graph.ancestors(migration.revision.id))
            if r.id in found]
    return frozenset().union(*mine), bool(mine)
