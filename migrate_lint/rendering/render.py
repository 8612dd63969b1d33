"""Offline rendering of revisions to SQL in worker processes with a time limit per revision."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import TYPE_CHECKING

from migrate_lint.rendering import process as worker_process

if TYPE_CHECKING:  # imported where used, so that starting workers early stays cheap
    from migrate_lint.revisions.migration import Operation, Rendered, Statement

DEFAULT_TIMEOUT = 10.0
SQLALCHEMY_DIALECTS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mariadb",
                       "sqlite": "sqlite"}


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def spare_core(pool: RenderPool | None) -> bool:
    """Whether a core is left for a helper process once this one and the render workers have theirs:
    the workers' start is the longest path of a rendering run, so they come first."""
    return usable_cores() - 1 - (len(pool) if pool else 0) >= 1


class _Worker:
    def __init__(self, process: subprocess.Popen[str] | None = None) -> None:
        self.process = process or worker_process.start()
        self.job: Path | None = None
        self.deadline = 0.0

    def send(self, path: Path, dialect: str, timeout: float) -> None:
        assert self.process.stdin is not None
        self.job, self.deadline = path, time.monotonic() + timeout
        self.process.stdin.write(json.dumps({"path": str(path.resolve()), "dialect": dialect}) + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _result(line: str) -> Rendered:
    from migrate_lint.revisions.migration import Rendered
    from migrate_lint.sql.facts import SqlFacts

    data = json.loads(line)
    return Rendered(tuple((int(n), str(f), str(s), SqlFacts.from_json(facts))
                          for n, f, s, facts in data["statements"]), data["error"], data["error_line"])


class RenderPool:
    """Worker processes started up front (their Alembic import overlaps the caller's own work)."""

    def __init__(self, workers: int = 1, started: subprocess.Popen[str] | None = None) -> None:
        """`started`: a worker process the caller already started (worker_process.start())."""
        self.selector = selectors.DefaultSelector()
        self.pool: list[_Worker] = []
        if started is not None:
            self._add(_Worker(started))
        while len(self.pool) < max(1, workers):
            self._add(_Worker())

    def grow(self, workers: int) -> None:
        """Add workers up to `workers` (a pool started before the work was known)."""
        while len(self.pool) < workers:
            self._add(_Worker())

    @staticmethod
    def size_for(files: int) -> int:
        return max(1, min(usable_cores(), 4, (files + 24) // 25))

    def __len__(self) -> int:
        return len(self.pool)

    def _add(self, worker: _Worker) -> _Worker:
        self.pool.append(worker)
        self.selector.register(worker.process.stdout, selectors.EVENT_READ, worker)  # type: ignore[arg-type]
        return worker

    def _replace(self, old: _Worker) -> _Worker:
        self.selector.unregister(old.process.stdout)  # type: ignore[arg-type]
        old.stop()
        self.pool.remove(old)
        return self._add(_Worker())

    def render(self, paths: list[Path], dialect: str,
               timeout: float = DEFAULT_TIMEOUT) -> dict[Path, Rendered]:
        """Render every revision; one that hangs or kills its worker gets an error instead."""
        from migrate_lint.revisions.migration import Rendered

        queue = deque(paths)
        results: dict[Path, Rendered] = {}

        def feed(worker: _Worker) -> None:
            if queue:
                worker.send(queue.popleft(), SQLALCHEMY_DIALECTS[dialect], timeout)

        for worker in list(self.pool):
            feed(worker)
        while any(w.job is not None for w in self.pool):
            wait = max(0.0, min(w.deadline for w in self.pool if w.job is not None) - time.monotonic())
            for key, _ in self.selector.select(wait):
                worker = key.data
                line = worker.process.stdout.readline()
                assert worker.job is not None  # only busy workers have output to read
                results[worker.job] = _result(line) if line else Rendered(
                    (), "the rendering process died while importing or running this revision")
                worker.job = None
                feed(worker if line else self._replace(worker))
            for worker in [w for w in self.pool if w.job is not None and time.monotonic() > w.deadline]:
                assert worker.job is not None
                results[worker.job] = Rendered((), f"rendering took longer than {timeout:g} s")
                worker.job = None
                feed(self._replace(worker))
        return results

    def close(self) -> None:
        for worker in self.pool:
            worker.stop()
        self.pool.clear()
        self.selector.close()


def render_many(paths: list[Path], dialect: str, timeout: float = DEFAULT_TIMEOUT,
                workers: int | None = None) -> dict[Path, Rendered]:
    if not paths:
        return {}
    pool = RenderPool(workers or RenderPool.size_for(len(paths)))
    try:
        return pool.render(paths, dialect, timeout)
    finally:
        pool.close()


def statements_of(rendered: Rendered, operations: tuple[Operation, ...],
                  dialect: str) -> tuple[Statement, ...]:
    """Statements with the line of the op call that emitted them and their transaction state.

    Batch operations run when their `with` block ends, so Alembic emits them from that line; when
    a block emitted one statement per call they are given back to their calls, in order.
    """
    from migrate_lint.revisions.migration import Statement

    batches: dict[int, list[Operation]] = defaultdict(list)
    for op in operations:
        if op.batch_line is not None and op.name not in ("batch_alter_table",):
            batches[op.batch_line].append(op)
    emitted: dict[int, list[int]] = defaultdict(list)
    for index, (line, *_) in enumerate(rendered.statements):
        emitted[line].append(index)
    lines = [line for line, *_ in rendered.statements]
    for batch_line, ops in batches.items():
        indexes = emitted.get(batch_line, [])
        if len(indexes) == len(ops):
            for index, op in zip(indexes, ops, strict=True):
                lines[index] = op.line
    autocommit_lines = {op.line for op in operations if op.autocommit}
    call_at = {op.line: op for op in reversed(operations)}
    statements = []
    outside = False  # after a COMMIT and before the next BEGIN no transaction is open
    for (_, function, sql, facts), line in zip(rendered.statements, lines, strict=True):
        keyword = sql.split(None, 1)[0].upper() if sql else ""
        outside = outside or keyword == "COMMIT"
        call = call_at.get(line)
        statements.append(Statement(sql, function, line, dialect, outside or line in autocommit_lines, facts,
                                    call.column if call else 1, call.end_line if call else None))
        if keyword == "BEGIN":
            outside = False
    return tuple(statements)
