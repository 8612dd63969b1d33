"""The rendering worker: imports revisions one at a time and renders upgrade() to SQL, offline.

Runs as its own process (`python -m migrate_lint.rendering.worker`), so nothing a revision does at
import or upgrade time can touch the checking process. Protocol: one JSON job per stdin line
({"path", "dialect"}), one JSON result per line on the protocol stream. There is no database:
the migration context is in as_sql mode, and env.py is never run.
"""

from __future__ import annotations

import gc
import importlib.util
import io
import json
import os
import sys
import traceback
from itertools import count
from typing import Any, TextIO

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


_contexts: dict[str, tuple[Any, _Capture]] = {}


def _context(path: str, dialect: str) -> tuple[Any, _Capture]:
    """One migration context per dialect (building one is costly); its capture is reset per job."""
    from alembic.runtime.migration import MigrationContext

    if dialect not in _contexts:
        capture = _Capture(path)
        context = MigrationContext.configure(
            dialect_name=dialect, opts={"as_sql": True, "output_buffer": capture, "literal_binds": True})
        _contexts[dialect] = (context, capture)
    context, capture = _contexts[dialect]
    capture.path, capture.statements = path, []
    return context, capture


def render(path: str, dialect: str) -> dict[str, Any]:
    from alembic.operations import Operations

    context, capture = _context(path, dialect)
    try:
        spec = importlib.util.spec_from_file_location(f"_migrate_lint_revision_{next(_modules)}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        with Operations.context(context):
            spec.loader.exec_module(module)
            upgrade = getattr(module, "upgrade", None)
            if upgrade is not None:  # no upgrade(): nothing to render, as the AST layer finds
                upgrade()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        line = next((f.lineno for f in reversed(traceback.extract_tb(exc.__traceback__))
                     if f.filename == path), None)
        message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
        return {"statements": [], "error": message, "error_line": line}
    from migrate_lint.sql.facts import facts_of  # parsed here, in parallel, not in the checking process

    statements = [(line, function, sql, facts_of(sql, dialect).to_json())
                  for line, function, sql in capture.statements]
    return {"statements": statements, "error": None, "error_line": None}


def _protocol_stream() -> TextIO:
    """Keep the real stdout for results; anything a revision prints goes to stderr instead."""
    stream = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return stream


def main() -> None:
    out = _protocol_stream()
    # Alembic imports Mako for its templates, and Mako imports Pygments, when installed, to colour
    # template tracebacks. No template is rendered here, and Pygments is a fifth of the worker's start.
    sys.modules.setdefault("mako.ext.pygmentplugin", None)  # type: ignore[arg-type]
    gc.disable()  # importing SQLAlchemy creates no garbage worth collecting: ~8% of the start
    import alembic.operations  # noqa: F401 - pay the import once, before the first job

    gc.freeze()  # what the import made lives as long as the worker: never scan it again
    gc.enable()

    for line in sys.stdin:
        job = json.loads(line)
        out.write(json.dumps(render(job["path"], job["dialect"])) + "\n")


if __name__ == "__main__":
    main()
