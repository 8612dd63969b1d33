"""What a trace records: plain, picklable data (it is built in the child process that runs the
revisions and sent back to the parent)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# PostgreSQL lock modes as pg_locks names them, weakest first, and what each one blocks for
# ordinary sessions: reads (SELECT) and writes (INSERT, UPDATE, DELETE).
MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
         "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
SQL_NAMES = {mode: " ".join(re.findall(r"[A-Z][a-z]+", mode)[:-1]).upper() for mode in MODES}


def strength(mode: str) -> int:
    return MODES.index(mode) if mode in MODES else -1


def blocks(mode: str) -> tuple[bool, bool]:
    """(reads, writes) blocked for other sessions while `mode` is held on a table."""
    level = strength(mode)
    return level >= strength("AccessExclusiveLock"), level >= strength("ShareLock")


@dataclass
class Statement:
    index: int
    sql: str
    revision: str | None  # the revision being applied when it was sent (None: Alembic's bookkeeping)
    path: str | None  # the revision file whose code sent it
    line: int | None  # the line in that file
    started: float  # seconds since the upgrade began
    duration: float
    transaction: int  # which transaction it ran in (0, 1, ...); autocommit statements get their own
    autocommit: bool = False
    new_locks: dict[str, str] = field(default_factory=dict)  # table -> mode this statement raised it to
    rewritten: list[str] = field(default_factory=list)  # tables whose file this statement replaced
    rewritten_indexes: list[str] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)  # tables whose rows it read sequentially
    invalid_indexes: list[str] = field(default_factory=list)  # left invalid after it
    unvalidated: list[str] = field(default_factory=list)  # constraints left NOT VALID after it
    rekeyed: list[str] = field(default_factory=list)  # tables whose primary key it dropped or replaced
    fresh: list[str] = field(default_factory=list)  # locked tables made in this transaction: unseen by others
    rows: dict[str, bool] = field(default_factory=dict)  # newly locked table -> it had rows
    algorithm: str | None = None  # MariaDB/MySQL: INSTANT, INPLACE or COPY, with the LOCK it needs
    meaning: str | None = None  # what that algorithm means for other sessions
    blocked: dict[str, str] = field(default_factory=dict)  # MariaDB: table -> "writes" | "reads and writes"
    metadata_locks: dict[str, str] = field(default_factory=dict)  # MariaDB: table -> MDL held after it
    error: str | None = None  # the server refused it


@dataclass
class Commit:
    transaction: int
    at: float  # seconds since the upgrade began


@dataclass
class Trace:
    backend: str
    server_version: str
    statements: list[Statement] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None  # the revision that failed and why (the trace stops there)
    failed_revision: str | None = None
    total: float = 0.0
    made: dict[str, list[str]] = field(default_factory=dict)  # transaction -> relations it created
    filled: dict[str, int] = field(default_factory=dict)  # --rows: table -> rows inserted
    unfilled: dict[str, str] = field(default_factory=dict)  # --rows: table -> why not
