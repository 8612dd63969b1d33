"""Locks accumulate until commit: from a trace, which tables were blocked for reads and for
writes, from which statement, until which commit, and for how long."""

from __future__ import annotations

from dataclasses import dataclass

from migrate_lint.trace.model import SQL_NAMES, Statement, Trace, blocks


@dataclass(frozen=True)
class Window:
    table: str
    reads: bool  # True: reads and writes blocked; False: writes only
    mode: str  # the lock that started it, as SQL names it
    revision: str | None
    path: str | None
    line: int | None
    start: float
    end: float
    end_revision: str | None  # the revision whose end committed the transaction
    statement: int  # the index of the statement that took the lock
    autocommit: bool = False  # a rewrite run outside the migration's transaction: blocked while it ran

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    def describe(self) -> str:
        what = "reads and writes" if self.reads else "writes"
        where = f"line {self.line}" if self.line else "Alembic's bookkeeping"
        if self.autocommit:
            return (f"{self.table}: {what} blocked {self.seconds:.3f} s ({self.mode}, a rewrite), while "
                    f"{where} ran outside the migration's transaction")
        if self.mode.startswith("ALGORITHM="):
            return f"{self.table}: {what} blocked {self.seconds:.3f} s ({self.mode}), at {where}"
        until = ("the end of the transaction" if self.end_revision == self.revision
                 else f"the end of the transaction (after revision {self.end_revision})")
        return (f"{self.table}: {what} blocked {self.seconds:.3f} s ({self.mode}), from {where} "
                f"to {until}")


def windows(trace: Trace) -> list[Window]:
    ends = {commit.transaction: commit.at for commit in trace.commits}
    last: dict[int, Statement] = {}
    for statement in trace.statements:
        last[statement.transaction] = statement
    found: list[Window] = []
    seen: set[tuple[int, str, bool]] = set()
    for statement in trace.statements:
        if statement.autocommit:  # its locks ended with it: the statement's own duration
            end = statement.started + statement.duration
        else:
            end = ends.get(statement.transaction, trace.total)
        for table, what in statement.blocked.items():  # MariaDB: for the ALTER itself (DDL commits)
            found.append(Window(table, what == "reads and writes", f"ALGORITHM={statement.algorithm}",
                                statement.revision, statement.path, statement.line, statement.started,
                                statement.started + statement.duration, statement.revision, statement.index))
        if statement.autocommit:  # its lock is gone when asked, but a rewrite holds ACCESS EXCLUSIVE
            found += [Window(table, True, "ACCESS EXCLUSIVE", statement.revision, statement.path,
                             statement.line, statement.started, end, statement.revision, statement.index,
                             autocommit=True)
                      for table in statement.rewritten if table not in statement.fresh]
        for table, mode in statement.new_locks.items():
            if table in statement.fresh:  # no other session can see it before the commit
                continue
            reads, writes = blocks(mode)
            for kind in (True, False):
                key = (statement.transaction, table, kind)
                if key in seen or not (reads if kind else writes) or (not kind and reads and
                                                                      (statement.transaction, table, True)
                                                                      in seen):
                    continue
                seen.add(key)
                closing = last[statement.transaction]
                found.append(Window(table, kind, SQL_NAMES.get(mode, mode), statement.revision,
                                    statement.path, statement.line, statement.started, end,
                                    closing.revision, statement.index))
    return found


def totals(found: list[Window]) -> dict[str, dict[str, float]]:
    """table -> {"reads": seconds, "writes": seconds} over the whole upgrade (a window that blocks
    reads blocks writes too)."""
    result: dict[str, dict[str, float]] = {}
    for window in found:
        entry = result.setdefault(window.table, {"reads": 0.0, "writes": 0.0})
        entry["writes"] += window.seconds
        if window.reads:
            entry["reads"] += window.seconds
    return dict(sorted(result.items()))
