"""Severity that knows the table: lock findings weighed by a `migrate-lint stats` snapshot.

Checks stay pure: they say which table a lock falls on (the hit's `table` field); this module,
called by the engine, lowers findings on small or new tables, raises warnings on large ones, and
appends the size to the message from the templates below."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.errors import UserError
from migrate_lint.finding import Finding, Hit, Severity
from migrate_lint.lint.weighing import WEIGHED_TAG, lower, moved

if TYPE_CHECKING:
    from migrate_lint.catalog import Catalog
    from migrate_lint.config import Config
    from migrate_lint.revisions.graph import RevisionGraph
    from migrate_lint.revisions.migration import Migration

STALE = "ML906"
# What is appended to a weighed finding's message: the size, and why its severity moved.
SIZE = "{table}: about {rows} rows, {size}"
SMALL = SIZE + ", below small-table-rows ({limit})"
LARGE = SIZE + ", above large-table-rows ({limit})"
NEW = "{table}: created by {revision}, after the stats snapshot, so new when this runs"
UNKNOWN_ROWS = "{table}: {size}, rows unknown (not analysed when the stats snapshot was taken)"


@dataclass(frozen=True)
class TableSize:
    rows: int | None
    bytes: int


@dataclass(frozen=True)
class Snapshot:
    path: Path
    taken_at: datetime.datetime
    dialect: str
    server_version: str
    heads: tuple[str, ...] | None  # alembic_version when it was taken; None: no version table
    tables: Mapping[str, TableSize]

    def size_of(self, table: str) -> TableSize | None:
        """A table as a revision names it: exactly, else case-insensitively (unquoted names)."""
        found = self.tables.get(table)
        if found is None:
            lowered = {name.lower(): size for name, size in self.tables.items()}
            found = lowered.get(table.lower())
        return found

    def age_days(self, now: datetime.datetime) -> float:
        return (now - self.taken_at).total_seconds() / 86400


def load(path: Path) -> Snapshot:
    """A snapshot `migrate-lint stats` wrote; anything else is a one-line usage error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the stats snapshot: {exc}", path) from None
    except json.JSONDecodeError as exc:
        raise UserError(f"the stats snapshot is not JSON: {exc}", path, exc.lineno) from None
    try:
        return _parsed(data, path)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"not a `migrate-lint stats` snapshot ({type(exc).__name__}: {exc}); "
                        "write one with `migrate-lint stats --live-url URL -o FILE`", path) from None


def _parsed(data: Any, path: Path) -> Snapshot:
    if data.get("version") != 1:
        raise ValueError(f"unknown format version {data.get('version')!r}")
    taken = datetime.datetime.fromisoformat(data["taken_at"].replace("Z", "+00:00"))
    if taken.tzinfo is None:
        raise ValueError("taken_at has no time zone")
    heads = data.get("heads")
    tables = {str(name): TableSize(None if t["rows"] is None else int(t["rows"]), int(t["bytes"]))
              for name, t in data["tables"].items()}
    return Snapshot(path, taken, str(data["dialect"]), str(data.get("server_version", "")),
                    None if heads is None else tuple(str(h) for h in heads), tables)


def same_family(snapshot: Snapshot, dialect: str) -> bool:
    """A snapshot weighs histories of its own server family only (MySQL and MariaDB are one)."""
    family = {"mariadb": "mysql"}
    return family.get(snapshot.dialect, snapshot.dialect) == family.get(dialect, dialect)


def stale_hit(snapshot: Snapshot, config: Config, now: datetime.datetime) -> Hit | None:
    age = snapshot.age_days(now)
    if age <= config.stats_max_age_days:
        return None
    return Hit(1, snapshot.path.name, {"taken": snapshot.taken_at.date().isoformat(), "days": f"{age:.0f}",
                                      "limit": str(config.stats_max_age_days)}, path=snapshot.path)


class Weigher:
    """The weighing of one history's findings against a snapshot."""

    def __init__(self, snapshot: Snapshot, config: Config, catalog: Catalog, graph: RevisionGraph,
                 migrations: Mapping[str, Migration]) -> None:
        self.snapshot = snapshot
        self.config = config
        self.weighed = frozenset(spec.code for spec in catalog.rules if WEIGHED_TAG in spec.tags)
        self.new = _new_tables(snapshot, graph, migrations)

    def weigh(self, finding: Finding, hit: Hit) -> Finding:
        table = hit.fields.get("table")
        if finding.code not in self.weighed or not table:
            return finding
        fields = {"table": table}
        creator = self.new.get(table.lower())
        if creator is not None:
            return moved(finding, lower(finding.severity), NEW, fields | {"revision": creator})
        size = self.snapshot.size_of(table)
        if size is None:
            return finding  # not in the snapshot, nor created after it: nothing known
        fields |= {"size": human_bytes(size.bytes)}
        if size.rows is None:
            return moved(finding, finding.severity, UNKNOWN_ROWS, fields)
        fields |= {"rows": human_rows(size.rows)}
        if size.rows < self.config.small_table_rows:
            return moved(finding, lower(finding.severity), SMALL,
                          fields | {"limit": f"{self.config.small_table_rows:,}"})
        if size.rows > self.config.large_table_rows and finding.severity == Severity.WARNING:
            return moved(finding, Severity.ERROR, LARGE,
                          fields | {"limit": f"{self.config.large_table_rows:,}"})
        return moved(finding, finding.severity, SIZE, fields)


def _new_tables(snapshot: Snapshot, graph: RevisionGraph, migrations: Mapping[str, Migration]
                ) -> dict[str, str]:
    """Tables (lower-cased) created by revisions after the snapshot's heads -> the creating revision.
    Without recorded heads nothing is known to be after it."""
    if snapshot.heads is None:
        return {}
    heads = [h for h in snapshot.heads if h in graph.by_id]
    if len(heads) < len(snapshot.heads):
        return {}  # the database is at a revision this history lacks: which came after is unknown
    applied = set(heads) | {rev.id for h in heads for rev in graph.ancestors(h)}
    after = set(graph.by_id) - applied if not heads else \
        {rid for h in heads for rid in graph.descendants(h)} - applied
    created: dict[str, str] = {}
    for rid in sorted(after):
        for op in migrations[rid].operations:
            name = op.kwargs.get("table_name", op.args[0] if op.args else None)
            if op.name == "create_table" and isinstance(name, str):
                created.setdefault(name.lower(), rid)
    return created


def human_rows(rows: int) -> str:
    """12400000 -> '12.4 million': the order of magnitude is what a reviewer weighs."""
    for limit, word in ((10**9, "billion"), (10**6, "million")):
        if rows >= limit:
            return f"{rows / limit:.1f} {word}"
    return f"{rows:,}"


def human_bytes(size: int) -> str:
    """As PostgreSQL's pg_size_pretty spells it (1024-based kB, MB, GB, TB)."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
