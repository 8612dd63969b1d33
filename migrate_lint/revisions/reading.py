"""Reading a history's files into (source, facts), through the content cache: analysed in full when
they are checked, for their header alone when they are not (under --base), in full later on demand."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from migrate_lint.cache.store import FactsCache, digest
from migrate_lint.finding import InputError
from migrate_lint.paths import MAX_FILE_BYTES, read_file, read_head
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.facts import (
    CLASSES,
    SHARE,
    FileFacts,
    analyse,
    analyse_many,
    decode,
    file_facts,
    header_by_lines,
)
from migrate_lint.revisions.graph import Header
from migrate_lint.revisions.halves import in_two

Files = dict[Path, tuple[str, FileFacts | Header]]
HEADER_BYTES = 64 * 1024  # of a file too large to analyse, where its header is read


def known_header(known: FileFacts | Header) -> Header:
    return known if isinstance(known, Header) else known.header


def _spelt(found: Header, path: Path) -> Header:
    """A cached header with the file named as this run names it (the cache may know another spelling)."""
    if found.revision is None or found.revision.path == path:
        return found
    return replace(found, revision=replace(found.revision, path=path))


def _spelt_facts(facts: FileFacts, path: Path) -> FileFacts:
    spelt = _spelt(facts.header, path)
    return facts if spelt is facts.header else replace(facts, header=spelt)


class Reader:
    def __init__(self, cache_folder: Path | None) -> None:
        self.cache_folder = cache_folder
        self.digests: dict[Path, str] = {}  # content digest of every file read
        self.stores: dict[str, FactsCache] = {}
        self.overlay: dict[Path, bytes] = {}  # texts read instead of the files' (a fix being re-checked)
        self.keys: dict[Path, str] = {}  # each file's key in the cache, its absolute path (found once)
        self.placed: set[Path] = set()  # files too large to analyse, kept in the graph by their header

    def read(self, history: History, checked: Callable[[Path], bool], excluded: Callable[[Path], bool],
             spare_core: bool) -> tuple[Files, list[InputError]]:
        """Every file of the history not excluded, in its order: full facts for the checked ones
        (and whatever the cache knows), only the header for the rest."""
        store = self._store(history)
        paths = [path for path in history.files if not excluded(path)]
        if store.entries:
            files, errors = self._read_known(store, paths, checked, spare_core)
        else:  # a cache that knows nothing (--no-cache, a first run) is not asked
            files, errors = self._read_new(store, paths, checked, spare_core)
        self.save(history, files)
        return files, errors

    def _text(self, path: Path) -> tuple[str, str] | InputError:
        """The file's text and the digest of its bytes."""
        try:
            # a regular file, not too large (a FIFO would hang); a fix's new text in place of the file
            data = self.overlay[path] if path in self.overlay else read_file(path)
        except OSError as exc:
            return InputError(path, None, f"cannot read file: {exc.strerror or exc}")
        source = decode(path, data)
        return source if isinstance(source, InputError) else (source, digest(data))

    def _read_known(self, store: FactsCache, paths: list[Path], checked: Callable[[Path], bool],
                    spare_core: bool) -> tuple[Files, list[InputError]]:
        """Read every file, take what the cache knows of it, and analyse the rest."""
        files: Files = {}
        errors: list[InputError] = []
        unknown: list[tuple[Path, str, bool]] = []
        order: list[Path] = []
        for path in paths:
            text = self._text(path)
            if isinstance(text, InputError):
                errors.append(text)
                if (placed := self._placed(path)) is not None:
                    files[path] = placed
                    order.append(path)
                continue
            source, content = text
            self.digests[path] = content
            complete = checked(path)
            known = self._cached(store, path, content, complete)
            order.append(path)
            if known is None:
                unknown.append((path, source, complete))
                continue
            files[path] = (source, _spelt_facts(known, path) if complete else _spelt(known, path))
        for (path, source, _), facts in zip(unknown, analyse_many(unknown, spare_core), strict=True):
            if isinstance(facts, InputError):
                errors.append(facts)
                order.remove(path)
                continue
            self._keep(store, path, facts)
            files[path] = (source, facts)
        return {path: files[path] for path in order}, errors

    def _read_new(self, store: FactsCache, paths: list[Path], checked: Callable[[Path], bool],
                  spare_core: bool) -> tuple[Files, list[InputError]]:
        """Read and analyse every file: split over a forked child as analyse_many() splits the
        analysis, each process reading its own part of the files too."""
        def load(path: Path) -> tuple[str, str, FileFacts | Header | InputError] | InputError:
            text = self._text(path)
            return text if isinstance(text, InputError) else (*text, file_facts(path, text[0], checked(path)))

        loaded = in_two(paths, load, spare_core, share=SHARE)
        files: Files = {}
        errors = [found for found in loaded if isinstance(found, InputError)]  # those reading, first
        for path, found in zip(paths, loaded, strict=True):
            if isinstance(found, InputError):
                if (placed := self._placed(path)) is not None:
                    files[path] = placed
                continue
            source, content, facts = found
            self.digests[path] = content
            if isinstance(facts, InputError):
                errors.append(facts)
                continue
            self._keep(store, path, facts)
            files[path] = (source, facts)
        return files, errors

    def _placed(self, path: Path) -> tuple[str, Header] | None:
        """The text and header of a revision file refused as too large to analyse, read from its
        first bytes: its place in the graph, so that its children are not called orphans and the
        history's heads stay right (camcops's 0023, a 3.4 MB data revision). None for any other
        file that cannot be read, and for one whose first bytes declare no revision."""
        try:
            if os.stat(path).st_size <= MAX_FILE_BYTES:
                return None
            data = read_head(path, HEADER_BYTES)
        except OSError:
            return None
        text = data.decode("utf-8", "replace")
        header = header_by_lines(text, path)
        if header.revision is None:
            return None
        self.digests[path] = digest(data)
        self.placed.add(path)
        return text, header

    def _keep(self, store: FactsCache, path: Path, facts: FileFacts | Header) -> None:
        """Remember a file's full facts in the cache (a header alone is not kept)."""
        if isinstance(facts, FileFacts) and store.folder is not None:
            store.put(self._key(path), self.digests[path], facts)

    def _cached(self, store: FactsCache, path: Path, content: str, complete: bool) -> Any:
        """What the cache knows of the file: its facts, or only its header."""
        key, spelt = self._key(path), {str(path): path}  # the cached facts name this file
        return store.get(key, content, spelt) if complete else store.get_field(key, content, "header", spelt)

    def complete(self, history: History, path: Path, source: str, known: FileFacts | Header) -> FileFacts:
        """The full facts of a file read for its header only (remembered in the cache by save())."""
        if isinstance(known, FileFacts):
            return known
        if path in self.placed:
            return FileFacts(known_header(known))  # its head only was read: no operations to tell
        store = self._store(history)
        cached = store.get(self._key(path), self.digests[path])
        if isinstance(cached, FileFacts):
            return _spelt_facts(cached, path)
        try:
            facts = analyse(path, source)
        except RecursionError:  # reported where the file is checked; here only its header counts
            return FileFacts(known_header(known))
        store.put(self._key(path), self.digests[path], facts)
        return facts

    def save(self, history: History, files: Files) -> None:
        """Write the history's cache if it learnt anything; entries for files gone are dropped."""
        store = self._store(history)
        if store.folder is not None:  # without a cache (--no-cache) there is nothing to keep
            store.save({self._key(p) for p in files})

    def _key(self, path: Path) -> str:
        key = self.keys.get(path)
        if key is None:
            key = self.keys[path] = os.path.abspath(path)
        return key

    def _store(self, history: History) -> FactsCache:
        key = history.cache_key
        if key not in self.stores:
            self.stores[key] = FactsCache(self.cache_folder, key, CLASSES)
        return self.stores[key]
