"""multiple-heads: more than one head on one (unlabelled) line of history."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.migration import Revision

CODE = "ML401"
SCOPE = "history"
SHOWN = 10  # heads (and fork points) a message names
_CREATE_DATE = re.compile(r"^Create Date:\s*(.+)$", re.M)


def fork_points(graph: RevisionGraph, heads: list[Revision]) -> list[str]:
    """The nearest revisions every head descends from (usually one)."""
    lineages = [{h.id} | {a.id for a in graph.ancestors(h.id)} for h in heads]
    common = set.intersection(*lineages)
    return sorted(c for c in common if not any(child in common for child in graph.children[c]))


def check(ctx: CheckContext) -> Iterator[Hit]:
    if ctx.opaque:
        return  # some parents are unknown; dynamic-revision-header already says so
    graph = ctx.graph
    groups: dict[frozenset[str], list[Revision]] = {}
    for head in graph.heads():
        if not _cut_off(graph, head):
            groups.setdefault(graph.branch_labels_of(head.id), []).append(head)
    for heads in groups.values():
        if len(heads) < 2:
            continue
        heads.sort(key=lambda r: r.id)
        forks = fork_points(graph, heads)
        ids = [h.id for h in heads]
        # every head's message names the others: bounded, or 3,000 heads print 9 million ids
        fields = {"count": str(len(heads)), "heads": _some(ids), "fork": _some(forks),
                  "heads_args": " ".join(ids) if len(ids) <= SHOWN else "heads",  # alembic's keyword
                  "variant": "default" if forks else "roots"}
        # one fork, one finding: on a head the run reports (the change's, the hook's files), else
        # the newest one, most likely the revision that should have been rebased
        head = _newest(ctx, heads)
        yield Hit(head.line, head.id, {"head": head.id, **fields}, path=head.path)


def _newest(ctx: CheckContext, heads: list[Revision]) -> Revision:
    """The head among the files the run reports, else the one with the latest Create Date (by id
    where none says)."""
    reported = [h for h in heads if ctx.reported is not None and h.path in ctx.reported]
    if reported:
        return reported[-1]
    dated = [(match[1].strip() if (match := _CREATE_DATE.search(ctx.source_of(h.id)[:4096])) else "", i)
             for i, h in enumerate(heads)]
    return heads[max(dated)[1]]


def _cut_off(graph: RevisionGraph, head: Revision) -> bool:
    """The head's line reaches a down_revision no file defines: Alembic stops at that missing
    revision, which missing-parent-revision reports, and no merge of heads would help (lear)."""
    return any(parent not in graph.by_id for revision in (head, *graph.ancestors(head.id))
               for parent in revision.down_revisions)


def _some(ids: list[str]) -> str:
    """The first SHOWN ids, and how many more there are."""
    more = f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else ""
    return ", ".join(ids[:SHOWN]) + more
