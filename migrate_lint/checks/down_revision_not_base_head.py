"""down-revision-not-base-head: a new revision built on a revision that was no longer a head."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.paths import real_path
from migrate_lint.revisions.graph import RevisionGraph

CODE = "ML407"
SCOPE = "history"


def check(ctx: CheckContext) -> Iterator[Hit]:
    if ctx.changed is None:
        return  # only meaningful against a base (--base)
    added = {r.id for r in ctx.graph.by_id.values()
             if r.path in ctx.changed and real_path(r.path) not in ctx.base_sources}
    base = RevisionGraph(r for r in ctx.graph.by_id.values() if r.id not in added)
    base_heads = sorted(h.id for h in base.heads())
    for rev_id in sorted(added):
        revision = ctx.graph.by_id[rev_id]
        for parent in revision.down_revisions:
            if parent in base.by_id and parent not in base_heads:
                yield Hit(revision.down_line, rev_id, {
                    "revision": rev_id, "parent": parent, "heads": ", ".join(base_heads),
                    "head": base_heads[0] if len(base_heads) == 1 else "(merge the heads first)",
                }, path=revision.path)
