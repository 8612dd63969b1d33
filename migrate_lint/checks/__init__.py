"""The check API: what a check receives (CheckContext) and what it yields (Hit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from migrate_lint.graph import RevisionGraph
from migrate_lint.migration import Migration, Operation, Unknown


@dataclass(frozen=True)
class Hit:
    """A fact a check found: where, about what, and the values its message needs. No wording."""

    line: int
    subject: str
    fields: Mapping[str, str] = field(default_factory=dict)
    column: int = 1
    end_line: int | None = None
    path: Path | None = None  # history checks say which file; revision checks leave it None


def at(op: Operation, subject: str, **fields: str) -> Hit:
    return Hit(op.line, subject, fields, op.column, op.end_line)


def shown(value: Any) -> str:
    """A value as the user wrote it: names as they are, expressions as their source."""
    if isinstance(value, Unknown):
        return value.source or "?"
    return value if isinstance(value, str) else repr(value)


@dataclass
class CheckContext:
    dialect: str
    graph: RevisionGraph
    migrations: Mapping[str, Migration]
    opaque: frozenset[Path]  # files whose headers could not be read: the graph is incomplete
    detect_naming_convention: Callable[[], bool]

    @cached_property
    def naming_convention(self) -> bool:
        return self.detect_naming_convention()

    def ancestors(self, migration: Migration) -> Iterator[Migration]:
        """The migrations this one builds on, nearest first."""
        for revision in self.graph.ancestors(migration.revision.id):
            found = self.migrations.get(revision.id)
            if found is not None:
                yield found


def graph_problems(ctx: CheckContext, kind: str) -> Iterator[Hit]:
    """Hits for one kind of structural problem of the revision graph."""
    for problem in ctx.graph.problems():
        if problem.kind == kind:
            yield Hit(problem.line, problem.revision.id, problem.detail, path=problem.revision.path)
