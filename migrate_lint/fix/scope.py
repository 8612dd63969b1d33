"""Which revisions a fix may edit: only those no database has run yet. Editing an applied revision is
worse than any finding (edited-applied-migration): the databases that ran it never see the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from migrate_lint.lint import lockfile
from migrate_lint.lint.changes import ChangeSet
from migrate_lint.paths import real_path
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.reading import Reader, known_header


@dataclass
class Scope:
    fixable: set[Path] = field(default_factory=set)  # real paths
    why_not: dict[Path, str] = field(default_factory=dict)  # real path -> why it is left alone
    revisions: dict[Path, tuple[str, bool, History]] = field(default_factory=dict)  # real path -> (id,
    # whether it is a head, its history): where a follow-up revision may go


def unapplied(histories: list[History], cache_folder: Path | None, changes: ChangeSet | None) -> Scope:
    """Under --base, the revision files the change adds; else revisions newer than the lock file's
    entries; with no lock file, the heads' own revisions."""
    scope = Scope()
    reader = Reader(cache_folder)
    for history in histories:
        files, _ = reader.read(history, lambda _: False, lambda _: False, False)
        revisions = [r for _, known in files.values() if (r := known_header(known).revision)]
        heads = {r.id for r in RevisionGraph(revisions).heads()}
        for revision in revisions:
            scope.revisions[real_path(revision.path)] = (revision.id, revision.id in heads, history)
        if changes is not None:
            for revision in revisions:
                path = real_path(revision.path)
                if path in changes.changed and path not in changes.base_sources:
                    scope.fixable.add(path)
                else:
                    scope.why_not[path] = (f"revision {revision.id} is older than this change (it exists at "
                                           f"{changes.base[:12]}): it may be applied")
            continue
        # files named on the command line make a history of their versions folder: the lock sits above
        places = [history.script_location, *(d.parent for d in history.version_dirs)]
        lock_path = next((p / lockfile.NAME for p in places if (p / lockfile.NAME).is_file()), None)
        locked = lockfile.load(lock_path) if lock_path else None
        for revision in revisions:
            path = real_path(revision.path)
            if locked is not None and revision.id in locked:
                scope.why_not[path] = f"revision {revision.id} is in {lockfile.NAME}: it is applied"
            elif locked is None and not scope.revisions[path][1]:
                scope.why_not[path] = (f"revision {revision.id} is not a head and no {lockfile.NAME} says "
                                       "which revisions are applied")
            else:
                scope.fixable.add(path)
    return scope
