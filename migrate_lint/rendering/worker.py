"""The rendering worker: imports revisions one at a time and renders upgrade() to SQL, offline.

Runs as its own process (`python -m migrate_lint.rendering.worker`, see process.py), so nothing a
revision does at import or upgrade time can touch the checking process. There is no database: the
migration context is in as_sql mode, and env.py is never run.

Protocol. stdin: first `<key hex> <fd>` (the result pipe and the key that signs results), then one
JSON job per line, {"id", "path", "dialect"}. Results go only to that pipe, never stdout (the worker's
stdout and stderr are /dev/null), one line per job: `<mac> <id> <JSON result>`, where mac is the
keyed BLAKE2b of `<id> <JSON result>`. The pipe is close-on-exec, so programs a revision runs do
not inherit it. A revision runs in this process and can read its memory, key included: the key
keeps out lines a revision writes blindly (to fd 1, sys.__stdout__, /proc/self/fd/N), and the
checking process turns any line that is not authentic and well-formed into a not-rendered error for
the job in progress (render.py states the whole guarantee).

When stdin closes (the checking process ended, however it ended) the worker kills its own process
group, so a worker stuck in a revision and whatever the revision forked do not outlive the check.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib.util
import io
import json
import os
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from itertools import count
from typing import Any

from migrate_lint.sql.split import split_sql

_modules = count()


class _Capture(io.StringIO):
    """Alembic's output buffer: records each statement with the revision line that emitted it."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.statements: list[tuple[int, str, str]] = []

    def write(self, text: str) -> int:
        # One write per op call: an op.execute() script is several statements, each linted.
        statements = split_sql(text) if text.strip() else ()
        if statements:
            line, function = _revision_frame(self.path)
            self.statements.extend((line, function, sql) for sql in statements)
        return len(text)


def _revision_frame(path: str) -> tuple[int, str]:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == path:
            return frame.f_lineno, frame.f_code.co_name
        frame = frame.f_back  # type: ignore[assignment]
    return 0, ""


def _offline(context: Any) -> None:
    """Establish `alembic.context` as env.py would, in offline mode, so that revisions that read
    `context.get_context().dialect.name`, `context.get_impl().bind` or `context.is_offline_mode()`
    render. (`op.get_bind()` already is Alembic's offline mock connection: it knows the dialect and
    writes what it executes to the output, where it is captured.)"""
    from alembic.runtime.environment import EnvironmentContext

    environment = EnvironmentContext(None, None, as_sql=True)  # type: ignore[arg-type]
    environment._migration_context = context
    environment._install_proxy()


def _render_untyped_literals() -> None:
    """Render a value bound to an untyped column by its Python type, as the driver would send it
    online: `sa.table("t", sa.column("n")).update().values(n=1)` (szurubooru) otherwise stops
    offline rendering at "No literal value renderer is available ... with datatype NULL"."""
    from sqlalchemy.sql import sqltypes

    def literal_processor(self: Any, dialect: Any) -> Callable[[Any], str] | None:
        def process(value: Any) -> str:
            if value is None:
                return "NULL"
            typed = sqltypes._resolve_value_to_type(value)
            render = None if isinstance(typed, sqltypes.NullType) else typed.literal_processor(dialect)
            if render is None:
                raise NotImplementedError(f"no literal for {type(value).__name__}")
            return str(render(value))
        return process

    sqltypes.NullType.literal_processor = literal_processor  # type: ignore[assignment,method-assign]


_contexts: dict[str, tuple[Any, _Capture]] = {}


def _context(path: str, dialect: str) -> tuple[Any, _Capture]:
    """One migration context per dialect (building one is costly); its capture is reset per job."""
    from alembic.runtime.migration import MigrationContext

    if dialect not in _contexts:
        if not _contexts:
            _render_untyped_literals()
        capture = _Capture(path)
        context = MigrationContext.configure(
            dialect_name=dialect, opts={"as_sql": True, "output_buffer": capture, "literal_binds": True})
        _offline(context)
        # A savepoint guards statements that may fail on a real database (`with
        # op.get_bind().begin_nested():`); offline nothing fails, so what it guards is rendered as is.
        bind: Any = context.bind
        bind.begin_nested = contextlib.nullcontext
        _contexts[dialect] = (context, capture)
    context, capture = _contexts[dialect]
    capture.path, capture.statements = path, []
    return context, capture


def upgrades(module: Any) -> list[Callable[[], Any]]:
    """What running the revision calls: upgrade(), or under Flask-Migrate's multi-database template
    (`def upgrade(engine_name)` dispatching to `upgrade_<bind>()`) upgrade(bind) for each bind, in
    the file's order, as its env.py does; each statement records the `upgrade_<bind>` it came from."""
    upgrade = getattr(module, "upgrade", None)
    if not callable(upgrade):
        return []
    code = getattr(upgrade, "__code__", None)
    required = code.co_argcount - len(upgrade.__defaults__ or ()) if code is not None else 0
    if required < 1:
        return [upgrade]
    binds = [name.removeprefix("upgrade_") for name, value in vars(module).items()
             if name.startswith("upgrade_") and getattr(value, "__module__", None) == module.__name__]
    if binds:
        return [functools.partial(upgrade, bind) for bind in binds]
    # Another env.py passes its own keywords (`context.run_migrations(op=..., tables=..., tester=...)`,
    # quay): `op` is Alembic's; the project's objects are absent, and a call that needs a real one
    # stops the render there (what was emitted before it is still checked).
    from alembic import op

    names = code.co_varnames[:required] if code is not None else ()
    return [functools.partial(upgrade, **{name: op if name == "op" else _Absent(name) for name in names})]


class _Absent:
    """An env.py object the worker does not have: every attribute and call gives another, false and
    empty (a test-data helper then does nothing, as it does outside tests)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> _Absent:
        return _Absent(f"{self._name}.{attribute}")

    def __call__(self, *args: Any, **kwargs: Any) -> _Absent:
        return _Absent(f"{self._name}()")

    def __getitem__(self, key: Any) -> _Absent:
        return _Absent(f"{self._name}[{key!r}]")

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        return iter(())

    def __repr__(self) -> str:
        return f"<{self._name}, which env.py passes>"

    def __str__(self) -> str:  # never SQL: a statement built from it stops the render instead
        raise TypeError(f"{self._name} is passed by env.py, which the offline render does not run")


def render(path: str, dialect: str) -> dict[str, Any]:
    from alembic.operations import Operations

    from migrate_lint.rendering.inputs import Inputs

    context, capture = _context(path, dialect)
    inputs = Inputs(path)
    try:
        spec = importlib.util.spec_from_file_location(f"_migrate_lint_revision_{next(_modules)}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        with Operations.context(context), inputs:
            spec.loader.exec_module(module)
            for step in upgrades(module):  # no upgrade(): nothing to render, as the AST layer finds
                step()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        line = next((f.lineno for f in reversed(traceback.extract_tb(exc.__traceback__))
                     if f.filename == path), None)
        message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
        # what upgrade() emitted before it failed is real rendered SQL: the checking process lints
        # it, and writes the rest from the op.* calls (lint.engine); never cached (store.py)
        return {"statements": _statements(capture, dialect), "error": message, "error_line": line}
    statements = _statements(capture, dialect)
    # the project's files the render read: the checking process keys its render cache on them
    return {"statements": statements, "error": None, "error_line": None, "inputs": inputs.digests()}


def _statements(capture: _Capture, dialect: str) -> list[tuple[int, str, str, Any]]:
    from migrate_lint.sql.facts import facts_of  # parsed here, in parallel, not in the checking process

    return [(line, function, sql, facts_of(sql, dialect).to_json())
            for line, function, sql in capture.statements]


def _lifeline(jobs: queue.SimpleQueue[bytes], stdin: Any) -> None:
    """Hand each job line to the main thread; at EOF the checking process is gone: kill the group
    (this worker included, even when a revision holds its main thread in a loop)."""
    for line in stdin:
        jobs.put(line)
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _send(channel: int, key: bytes, job_id: int, result: dict[str, Any]) -> None:
    body = f"{job_id} {json.dumps(result)}".encode()
    line = hashlib.blake2b(body, key=key, digest_size=32).hexdigest().encode() + b" " + body + b"\n"
    while line:
        line = line[os.write(channel, line):]


def main() -> None:
    stdin = sys.stdin.buffer
    key_hex, fd = stdin.readline().split()
    key, channel = bytes.fromhex(key_hex.decode()), int(fd)
    os.set_inheritable(channel, False)  # what a revision runs (os.system, exec) does not get it
    jobs: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    threading.Thread(target=_lifeline, args=(jobs, stdin), daemon=True).start()
    # Alembic imports Mako for its templates, and Mako imports Pygments, when installed, to colour
    # template tracebacks. No template is rendered here, and Pygments is a fifth of the worker's start.
    sys.modules.setdefault("mako.ext.pygmentplugin", None)  # type: ignore[arg-type]
    gc.disable()  # importing SQLAlchemy creates no garbage worth collecting: ~8% of the start
    import alembic.operations  # noqa: F401 - pay the import once, before the first job

    gc.freeze()  # what the import made lives as long as the worker: never scan it again
    gc.enable()

    while True:
        job = json.loads(jobs.get())
        _send(channel, key, job["id"], render(job["path"], job["dialect"]))


if __name__ == "__main__":
    main()
