"""Running the project's code in a child process, so that whatever it does (os._exit, a segfault,
sys.exit, a signal) the parent survives to report it and to drop the scratch database."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from migrate_lint.errors import UserError

T = TypeVar("T")
Mark = Callable[[Any], None]  # tells the parent where the child is (e.g. the revision it runs)


class Crashed(Exception):
    """The child ended without an answer: `how` it ended, and its last mark (None if none)."""

    def __init__(self, how: str, last: Any) -> None:
        super().__init__(how)
        self.how = how
        self.last = last


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def run(work: Callable[[Mark], T], meanwhile: Callable[[], None] | None = None) -> T:
    """work(mark) in a forked child (it shares what this process loaded: the app, the models); its
    return value, or its UserError re-raised here, or Crashed. `meanwhile`: work of this process's
    own done while the child runs (it must not raise: keep its error for later). On an interrupt
    here, the child is killed before the interrupt goes on, so that cleanup never races it."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, writer))
    process.start()
    writer.close()
    last: Any = None
    answer: tuple[str, Any] | None = None
    try:
        if meanwhile is not None:
            meanwhile()
        while answer is None:
            try:
                kind, value = reader.recv()
            except (EOFError, OSError):
                break
            if kind == "mark":
                last = value
            else:
                answer = (kind, value)
        process.join()
    except BaseException:
        process.kill()
        process.join()
        raise
    finally:
        reader.close()
        _end_group(process.pid)
    if answer is None:
        raise Crashed(_how(process.exitcode), last)
    kind, value = answer
    if kind == "error":
        raise UserError(value)
    if kind == "internal":
        raise RuntimeError(value)
    return value  # type: ignore[no-any-return]


def _child(work: Callable[[Mark], Any], writer: Any) -> None:
    """Never returns: whatever happens, the child ends with os._exit, so that no frame of the parent
    it was forked from (the scratch database's cleanup) runs twice."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)  # the parent decides; the child just ends
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # a group of its own: whatever the project's code forks ends with it
    _die_with_parent()
    try:
        result: tuple[str, Any] = ("done", work(lambda where: writer.send(("mark", where))))
    except UserError as exc:
        result = ("error", exc.describe())
    except BaseException as exc:
        result = ("internal", f"{type(exc).__name__}: {exc}")
    try:
        writer.send(result)
    except Exception as exc:  # an answer that cannot travel: say so rather than crash
        writer.send(("internal", f"the answer could not be sent: {type(exc).__name__}: {exc}"))
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream: nothing to flush
                stream.flush()
        os._exit(0)


def _end_group(pid: int | None) -> None:
    """Kill what the child's code left running (a forked grandchild still holding a session)."""
    if pid is not None:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL if the parent dies first (a SIGKILL nobody can handle)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux, or no prctl: the parent still kills it on any signal it can see
        pass
