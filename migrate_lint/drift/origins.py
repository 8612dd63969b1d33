"""Where a table comes from in a history: the op.create_table (or op.rename_table) call that gave
it its name, for drift findings about tables no model declares (there is no model line to show)."""

from __future__ import annotations

from pathlib import Path

from migrate_lint.cache.store import cache_dir
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.facts import FileFacts
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.reading import Reader


def table_origins(history: History) -> dict[str, tuple[Path, int, str]]:
    """Lower-cased table name -> (revision file, line of the call, revision id). When several
    revisions create the same name, the latest one (the one with the most ancestors) wins."""
    files, _ = Reader(cache_dir()).read(history, checked=lambda _: True, excluded=lambda _: False,
                                        spare_core=True)
    analysed = [facts for _, facts in files.values() if isinstance(facts, FileFacts)]
    graph = RevisionGraph(f.header.revision for f in analysed if f.header.revision)
    candidates: dict[str, list[tuple[Path, int, str]]] = {}
    for facts in analysed:
        revision = facts.header.revision
        if revision is None or graph.by_id.get(revision.id) is not revision:
            continue
        for op in facts.operations:
            name = op.arg(0, "table_name") if op.name == "create_table" else \
                op.arg(1, "new_table_name") if op.name == "rename_table" else None
            if isinstance(name, str):
                candidates.setdefault(name.lower(), []).append((revision.path, op.line, revision.id))

    def latest(found: list[tuple[Path, int, str]]) -> tuple[Path, int, str]:
        if len(found) == 1:
            return found[0]
        return max(found, key=lambda place: sum(1 for _ in graph.ancestors(place[2])))

    return {table: latest(found) for table, found in candidates.items()}
