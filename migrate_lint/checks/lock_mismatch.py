"""lock-mismatch: revisions edited, removed or reordered since migrate-lint.lock was written."""

from __future__ import annotations

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.facts import code_fingerprint

CODE = "ML409"
SCOPE = "history"


def check(ctx: CheckContext) -> Iterator[Hit]:
    if ctx.lock is None or ctx.lock_path is None:
        return
    for rev_id, locked in ctx.lock.items():
        revision = ctx.graph.by_id.get(rev_id)
        if revision is None:
            yield Hit(locked.line, rev_id, {"revision": rev_id, "variant": "removed"}, path=ctx.lock_path)
            continue
        if revision.down_revisions != locked.down_revisions:
            yield Hit(revision.down_line, rev_id, {
                "revision": rev_id, "variant": "reordered", "was": ", ".join(locked.down_revisions) or "None",
                "now": ", ".join(revision.down_revisions) or "None"}, path=revision.path)
        elif rev_id in ctx.migrations and code_fingerprint(ctx.migrations[rev_id].source) != locked.checksum:
            yield Hit(revision.line, rev_id, {"revision": rev_id, "variant": "default"}, path=revision.path)
