"""Offline rendering of revisions to SQL in worker processes with a time limit per revision.

What a render can and cannot do to a check (the guarantee; README, "What runs, and what it can touch"):
- A revision's render never crashes the check and never changes another revision's findings through
  the result channel: a result is accepted only if it is one complete line, authenticated with the
  worker's key for the job in progress (job id included), within MAX_RESULT bytes, and of the exact
  shape a worker writes (types checked down to each fact). Anything else (garbage, a forged or
  replayed line, half a line, too much, a worker that dies or overruns its time limit) makes that
  revision "not rendered" (ML904 with the reason) and its worker is killed with its process group
  and replaced, so nothing the revision left running in it sees a later job.
- A revision that is not rendered is checked like under --no-execute: its AST-layer findings (the
  operations, headers, graph and the SQL written from its op.* calls) come from its text, read in
  the checking process, and stand whatever its render did.
- The limit: a revision runs in the worker and can read the worker's memory, key included, so a
  revision written to deceive can choose its own rendered SQL (it could also just behave differently
  in offline mode) and, by leaving code behind, the SQL of later revisions rendered by the same
  worker. Only `--no-execute` removes that: it runs no code of the project.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import selectors
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.rendering import process as worker_process
from migrate_lint.rendering.cores import usable_cores

if TYPE_CHECKING:  # imported where used, so that starting workers early stays cheap
    from migrate_lint.revisions.migration import Operation, Rendered, Statement

DEFAULT_TIMEOUT = 10.0
SQLALCHEMY_DIALECTS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mariadb",
                       "sqlite": "sqlite"}
MAX_RESULT = 64 * 1024 * 1024  # bytes of one result line; a revision rendering more is not rendered
POLL = 0.5  # seconds between checks that busy workers are alive (a forked child may hold the pipe)
DIED = "the rendering process died while importing or running this revision"
FORGED = ("the rendering process sent a result that is not authentic or not well-formed "
          "(did the revision write to the worker's result pipe?)")


class _Worker:
    def __init__(self, started: worker_process.Started | None = None) -> None:
        self.started = started or worker_process.start()
        self.job: Path | None = None
        self.job_id = 0
        self.deadline = 0.0
        self.buffer = bytearray()

    def send(self, path: Path, dialect: str, timeout: float) -> None:
        stdin = self.started.process.stdin
        assert stdin is not None
        self.job, self.deadline = path, time.monotonic() + timeout
        self.job_id += 1
        job = {"id": self.job_id, "path": str(path.resolve()), "dialect": dialect}
        try:
            stdin.write(json.dumps(job).encode() + b"\n")
            stdin.flush()
        except OSError:
            pass  # the worker is gone: its pipe reports EOF, and the job becomes an error

    def receive(self) -> list[bytes] | None:
        """Complete lines read so far; None at EOF or when a line grows past MAX_RESULT."""
        try:
            data = os.read(self.started.results, 1 << 20)
        except BlockingIOError:
            return []
        if not data:
            return None
        self.buffer += data
        *lines, rest = self.buffer.split(b"\n")
        self.buffer = bytearray(rest)
        return None if len(rest) > MAX_RESULT else [bytes(line) for line in lines]

    def result(self, line: bytes) -> Rendered | None:
        """The line as this job's result, or None if it is not authentic or not well-formed."""
        mac, _, body = line.partition(b" ")
        expected = hashlib.blake2b(body, key=self.started.key, digest_size=32).hexdigest().encode()
        job_id, _, payload = body.partition(b" ")
        if not hmac.compare_digest(mac, expected) or job_id != str(self.job_id).encode():
            return None
        return _result(payload)

    def stop(self) -> None:
        self.started.stop()


def _result(payload: bytes) -> Rendered | None:
    from migrate_lint.cache.store import conforms
    from migrate_lint.revisions.migration import Rendered
    from migrate_lint.sql.facts import SqlFacts

    try:
        data = json.loads(payload)
        statements = data["statements"]
        error, error_line = data["error"], data["error_line"]
        if not (isinstance(statements, list) and isinstance(error, str | None)
                and (error_line is None or _is(error_line, int))):
            return None
        rows = []
        for row in statements:
            line, function, sql, facts = row
            if not (_is(line, int) and isinstance(function, str) and isinstance(sql, str)):
                return None
            value = SqlFacts.from_json(facts)
            if not conforms(value, SqlFacts):  # every fact of the type the SQL rules expect
                return None
            rows.append((line, function, sql, value))
        inputs = tuple((path, digest) for path, digest in data.get("inputs", ()))
        if not all(isinstance(p, str) and isinstance(d, str | None) for p, d in inputs):
            return None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return Rendered(tuple(rows), error, error_line, inputs)


def _is(value: Any, kind: type) -> bool:
    return type(value) is kind  # bool is an int, and no field takes one for the other


class RenderPool:
    """Worker processes started up front (their Alembic import overlaps the caller's own work)."""

    def __init__(self, workers: int = 1, started: worker_process.Started | None = None) -> None:
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
        os.set_blocking(worker.started.results, False)
        self.selector.register(worker.started.results, selectors.EVENT_READ, worker)
        return worker

    def _replace(self, old: _Worker) -> _Worker:
        self.selector.unregister(old.started.results)
        old.stop()
        self.pool.remove(old)
        return self._add(_Worker())

    def render(self, paths: list[Path], dialect: str,
               timeout: float = DEFAULT_TIMEOUT) -> dict[Path, Rendered]:
        """Render every revision; one that hangs, kills its worker or writes to its result pipe gets
        an error instead (see the module docstring)."""
        from migrate_lint.revisions.migration import Rendered

        queue = deque(paths)
        results: dict[Path, Rendered] = {}

        def feed(worker: _Worker) -> None:
            if queue:
                worker.send(queue.popleft(), SQLALCHEMY_DIALECTS[dialect], timeout)

        def finish(worker: _Worker, result: Rendered | None, error: str) -> None:
            """The job's result, or `error` and a fresh worker when there is none."""
            assert worker.job is not None
            results[worker.job] = result or Rendered((), error)
            worker.job = None
            feed(worker if result is not None else self._replace(worker))

        def receive(worker: _Worker) -> None:
            """Take what the worker sent: exactly one authentic line answers its job."""
            lines = worker.receive()
            if worker.job is None:
                if lines != []:  # output between jobs: nothing of ours writes then
                    self._replace(worker)
            elif lines is None:
                finish(worker, None, FORGED if worker.buffer else DIED)
            elif lines:
                one = len(lines) == 1 and not worker.buffer
                finish(worker, worker.result(lines[0]) if one else None, FORGED)

        for worker in list(self.pool):
            feed(worker)
        while any(w.job is not None for w in self.pool):
            wait = min(w.deadline for w in self.pool if w.job is not None) - time.monotonic()
            for key, _ in self.selector.select(min(max(0.0, wait), POLL)):
                receive(key.data)
            now = time.monotonic()
            for worker in [w for w in self.pool if w.job is not None]:
                if now > worker.deadline:
                    finish(worker, None, f"rendering took longer than {timeout:g} s")
                elif worker.started.exited():  # died, and a child it forked holds the pipe
                    receive(worker)
                    if worker.job is not None:
                        finish(worker, None, DIED)
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


_ONE_STATEMENT = frozenset({"drop_index", "create_index", "drop_column", "drop_constraint",
                            "create_foreign_key", "create_unique_constraint", "create_check_constraint",
                            "create_primary_key"})


def _batch_statements(op: Operation) -> int | None:
    """How many statements a batch call emits on a database that alters in place (PostgreSQL),
    where that is known from the call alone; None where it is not. An added column brings its
    constraints and index as statements of their own (Alembic's add_column: Phoenix's user_id with
    its ForeignKey, in a batch that also drops an index)."""
    if op.name in _ONE_STATEMENT:
        return 1
    if op.name != "add_column":
        return None
    from migrate_lint.revisions.migration import Call

    column = op.arg(0, "column")
    if not isinstance(column, Call) or column.short != "Column":
        return None
    keys = sum(1 for arg in column.args
               if isinstance(arg, Call) and arg.short in ("ForeignKey", "CheckConstraint"))
    return 1 + keys + (column.kwargs.get("unique") is True) + (column.kwargs.get("index") is True)


def statements_of(rendered: Rendered, operations: tuple[Operation, ...],
                  dialect: str) -> tuple[Statement, ...]:
    """Statements with the line of the op call that emitted them and their transaction state.

    Batch operations run when their `with` block ends, so Alembic emits them from that line; when
    a block emitted one statement per call they are given back to their calls, in order.
    """
    from migrate_lint.rendering.opsql import after_commit
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
        elif len(ops) == 1:  # one call that emitted several statements (a type and NOT NULL)
            for index in indexes:
                lines[index] = ops[0].line
        else:
            counts = [_batch_statements(op) for op in ops]
            if None not in counts and sum(counts) == len(indexes):  # type: ignore[arg-type]
                at = iter(indexes)
                for op, count in zip(ops, counts, strict=True):
                    for _ in range(count or 0):
                        lines[next(at)] = op.line
    autocommit_lines = {op.line for op in operations if op.autocommit}
    call_at = {op.line: op for op in reversed(operations)}
    statements = []
    outside = after_commit(sql for _, _, sql, _ in rendered.statements)
    for (_, function, sql, facts), line, after in zip(rendered.statements, lines, outside, strict=True):
        call = call_at.get(line)
        statements.append(Statement(sql, function, line, dialect, after or line in autocommit_lines, facts,
                                    call.column if call else 1, call.end_line if call else None))
    return tuple(statements)
