"""--roundtrip: upgrade one revision at a time, downgrade it, check the schema came back, upgrade again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from migrate_lint.database.schema import reflect
from migrate_lint.database.upgrade import (
    FAILURES,
    Mark,
    Progress,
    UpgradeFailure,
    alembic_config,
    connection_to,
    failure_of,
    marking,
    revision_files,
    steps,
)
from migrate_lint.drift.compare import compare

if TYPE_CHECKING:
    import sqlalchemy as sa

    from migrate_lint.database.models import Models
    from migrate_lint.revisions.discover import History

SHOWN = 3


def roundtrip(history: History, models: Models, url: sa.URL, keep: Callable[[str], bool],
              progress: Progress | None = None, mark: Mark | None = None) -> Iterator[UpgradeFailure]:
    """The first revision that cannot go down, come back up, or restore the schema it started from.
    Merge revisions are upgraded but not taken down alone (there is no single schema below them).
    Like upgrade(), only the scratch database can be reached, and `mark` hears each step."""
    from alembic.script import ScriptDirectory

    from migrate_lint.database.guard import only

    script = ScriptDirectory.from_config(alembic_config(history, None))
    order = list(reversed(list(script.walk_revisions())))
    paths = revision_files(history)
    with only(url), marking(mark), connection_to(url) as connection:
        for done, revision in enumerate(order, start=1):
            before = reflect(connection, keep)
            try:
                steps(history, models, connection, revision.revision)
            except FAILURES as exc:
                yield failure_of(exc, paths)
                return
            parents = revision._all_down_revisions
            if len(parents) <= 1:
                problem = _down_and_up(history, models, connection, revision, parents, before, keep,
                                       paths)
                if problem is not None:  # the schema is no longer one the history describes
                    yield problem
                    return
            if progress:
                progress(done, len(order))


def _down_and_up(history: History, models: Models, connection: sa.Connection, revision: object,
                 parents: tuple[str, ...], before: object, keep: Callable[[str], bool],
                 paths: dict[str, Path]) -> UpgradeFailure | None:
    rev_id = revision.revision  # type: ignore[attr-defined]
    path = Path(revision.path)  # type: ignore[attr-defined]
    try:
        steps(history, models, connection, parents[0] if parents else "base", downgrade=True)
    except FAILURES as exc:
        found = failure_of(exc, paths, "downgrade")
        return UpgradeFailure(rev_id, path, found.line or _downgrade_line(path), found.error, "downgrade")
    differences = compare(before, reflect(connection, keep))  # type: ignore[arg-type]
    if not differences:
        try:
            steps(history, models, connection, rev_id)
        except FAILURES as exc:  # upgrade() cannot run again after its own downgrade()
            return failure_of(exc, paths)
        return None
    shown = "; ".join(f"{d.rule.removeprefix('drift-')} {d.subject} ({d.fields.get('variant', 'changed')})"
                      for d in differences[:SHOWN])
    more = f" and {len(differences) - SHOWN} more" if len(differences) > SHOWN else ""
    return UpgradeFailure(rev_id, path, _downgrade_line(path), shown + more, "restore")


def _downgrade_line(path: Path) -> int:
    match = re.search(r"^def downgrade\b", path.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
    return path.read_text(encoding="utf-8", errors="replace")[: match.start()].count("\n") + 1 if match else 1
