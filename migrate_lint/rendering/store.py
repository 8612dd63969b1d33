"""Rendered revisions kept on disk per history and dialect, keyed by each file's content digest and
used only while every project file the render read (its helpers) is unchanged (rendering.inputs).

Only successful renders are stored: a failure may depend on code outside the file."""

from __future__ import annotations

import os
from pathlib import Path

from migrate_lint.cache.store import FactsCache
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.migration import Rendered
from migrate_lint.sql.facts import SqlFacts


def cache_key(dialect: str, history: History) -> str:
    """The render cache of one history for one dialect (see cache.FactsCache)."""
    return f"render:{dialect}|{history.cache_key}"


def has_renders(folder: Path | None, history: History, dialect: str) -> bool:
    """Whether earlier runs stored renders of this history (then few revisions need rendering)."""
    return FactsCache.stored(folder, cache_key(dialect, history))


class RenderStore:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.stores: dict[str, FactsCache] = {}
        self.seen: dict[str, str | None] = {}  # digests of the files renders read, once per run

    def _store(self, history: History, dialect: str) -> FactsCache:
        """One history's store, read once per run."""
        key = cache_key(dialect, history)
        if key not in self.stores:
            self.stores[key] = FactsCache(self.folder, key, {"Rendered": Rendered, "SqlFacts": SqlFacts})
        return self.stores[key]

    def cached(self, history: History, dialect: str, paths: list[Path],
               digests: dict[Path, str]) -> dict[Path, Rendered]:
        from migrate_lint.rendering.inputs import unchanged

        store = self._store(history, dialect)
        found = {}
        for path in paths:
            if (hit := store.get(os.path.abspath(path), digests[path])) is not None \
                    and unchanged(hit.inputs, self.seen):
                found[path] = hit
        return found

    def keep(self, history: History, dialect: str, fresh: dict[Path, Rendered],
             digests: dict[Path, str]) -> None:
        store = self._store(history, dialect)
        for path, result in fresh.items():
            if result.error is None:
                store.put(os.path.abspath(path), digests[path], result)
        store.save({os.path.abspath(p) for p in history.files})  # keep what other runs rendered
