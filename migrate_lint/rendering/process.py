"""Starting one render worker process (migrate_lint.rendering.worker), contained, and killing it.

Kept apart, on the standard library alone, so that the `migrate-lint` command can start a worker
before it imports anything else: the worker's ~0.3 s import of SQLAlchemy and Alembic is the longest
path of a check that renders, and it runs in parallel with everything the check does.

Containment (see README, "What runs, and what it can touch"):
- environment: only the variables `ENVIRONMENT` and `ENVIRONMENT_PREFIXES` name reach a worker, so a
  revision never sees the CI's tokens, cloud keys or database URLs;
- process group: each worker leads a session of its own, and stopping it kills the whole group, so
  what a revision forks dies with its worker; `kill_all` does it for every live worker (the command's
  SIGTERM handler), and a worker whose checking process vanished kills its own group (worker.py);
- results: on a pipe of their own, not stdout, each line authenticated with a per-worker key sent
  over stdin (see worker.py and render.py for what that guarantees).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

# The one allow-list of the workers' environment. Kept: what finds programs, the home folder, the
# locale and time zone (they change how text and dates render), where temporary files go (TMPDIR: a
# location, not a secret, and a runner may point it at a private folder), and Python's own settings
# (PYTHONPATH may be how this tool is installed; VIRTUAL_ENV says which environment runs).
ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")
ENVIRONMENT_PREFIXES = ("LC_", "PYTHON")

_live: dict[int, subprocess.Popen[bytes]] = {}  # worker pid (= its process group) -> process


def environment(source: dict[str, str] | os._Environ[str] | None = None) -> dict[str, str]:
    """The part of `source` (default os.environ) a worker may see."""
    source = os.environ if source is None else source
    return {k: v for k, v in source.items() if k in ENVIRONMENT or k.startswith(ENVIRONMENT_PREFIXES)}


class Started:
    """A worker process, the read end of its result pipe and the key that authenticates its results."""

    def __init__(self) -> None:
        self.key = os.urandom(32)  # os, not secrets: this module must import nothing slow
        read, write = os.pipe()
        # -P: neither the working folder nor any script folder goes on the worker's sys.path, so the
        # worker imports this package and Alembic from wherever they are installed, and never a module
        # of the checked project by accident; it must not depend on where the package itself lives.
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-m", "migrate_lint.rendering.worker"], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment(),
                pass_fds=(write,), start_new_session=True)
        finally:
            os.close(write)  # the worker holds the only write end: EOF here when it dies
        _live[self.process.pid] = self.process
        self.results = read
        assert self.process.stdin is not None
        # the key and the pipe go over stdin, never the environment or the command line (both are
        # readable by other processes of the same user)
        self.process.stdin.write(f"{self.key.hex()} {write}\n".encode())
        self.process.stdin.flush()

    def exited(self) -> bool:
        """Whether the worker has ended, without reaping it: until it is reaped its pid keeps
        naming its process group, so stop() can still kill what it forked."""
        if self.process.returncode is not None:
            return True
        if not hasattr(os, "waitid"):  # reaping is the only way to tell here: stop() then skips killpg
            return self.process.poll() is not None
        try:
            return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def stop(self) -> None:
        """Kill the worker and everything in its process group, and release its pipes."""
        _kill_group(self.process)
        self.process.wait()
        _live.pop(self.process.pid, None)
        if self.results >= 0:
            os.close(self.results)
            self.results = -1
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):  # a dead worker's stdin may refuse the flush
                self.process.stdin.close()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # Only before the worker is reaped: until then its pid cannot name another process or group.
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def start() -> Started:
    return Started()


def kill_all() -> None:
    """Kill every live worker's process group now (from a signal handler: nothing else is safe)."""
    for process in list(_live.values()):
        _kill_group(process)
