"""TimescaleDB's hypertables refuse CONCURRENTLY: `CREATE INDEX CONCURRENTLY` fails with "hypertables
do not support concurrent index creation" (timescale/timescaledb#504), and so does `DROP INDEX
CONCURRENTLY` on one. A history that makes a table a hypertable (`create_hypertable('t', ...)`)
or installs TimescaleDB (opennem's `CREATE EXTENSION timescaledb`, with its hypertables made
outside the revisions), or whose application makes them where its CI or compose files run
TimescaleDB (datanommer), gets index help that says what works there instead, and no automatic fix
to CONCURRENTLY, which could make its revision fail."""

from __future__ import annotations

import re
from pathlib import Path

from migrate_lint.checks import CheckContext
from migrate_lint.paths import read_file
from migrate_lint.revisions.migration import Migration

MARK = "TimescaleDB hypertable"  # in a help that must not be fixed to CONCURRENTLY (fix.ddl)
_CALLED = re.compile(r"(?i)\bSELECT\s+(?:\w+\.)?create_hypertable\s*\(")
_TESTS = frozenset({"tests", "test", "testing"})
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
        return _made_by_the_application(ctx)
    mine = [found[r.id] for r in (migration.revision, *ctx.graph.ancestors(migration.revision.id))
            if r.id in found]
    return frozenset().union(*mine), bool(mine)


def _made_by_the_application(ctx: CheckContext) -> tuple[frozenset[str], bool]:
    """The hypertables the project's own code makes, where no revision names TimescaleDB:
    datanommer's models run `create_hypertable` on `messages` when its database is created, and
    then stamp the history at head, so every later revision meets a hypertable."""
    found: tuple[frozenset[str], bool] | None = ctx.memo.get("timescale_application")
    if found is None:
        from migrate_lint.revisions.naming import python_mentioning

        # read only where the project's CI or compose files run TimescaleDB (datanommer's CI
        # installs it); then SQL that calls it, as the application runs it: not a mention in a
        # docstring or a test
        roots = [root for root in ctx.project_roots if _runs_timescale(root)]
        folders = {revision.path.parent for revision in ctx.graph.by_id.values()} if roots else set()
        skip = frozenset(folder.resolve() for folder in folders)  # the revisions' folders: a few
        texts = [text for root in roots for text in python_mentioning(root, "create_hypertable", skip, _TESTS)
                 if _CALLED.search(text)]
        names = frozenset(name.replace('"', "").rsplit(".", 1)[-1].lower()
                          for text in texts for name in _MADE.findall(text))
        found = ctx.memo["timescale_application"] = (names, bool(texts))
    return found


def _runs_timescale(root: Path) -> bool:
    """The project's CI workflows or its compose files at the root name TimescaleDB: a few small
    files, read before any walk of its code."""
    from migrate_lint.revisions.compose_database import is_compose_file

    try:
        files = [*sorted((root / ".github" / "workflows").glob("*.y*ml")),
                 *(p for p in sorted(root.iterdir()) if is_compose_file(p.name))]
    except OSError:
        return False
    for path in files:
        try:
            if b"timescale" in read_file(path, 1 << 20).lower():
                return True
        except OSError:
            continue
    return False
