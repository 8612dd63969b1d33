"""What a render read from the project, so that its cached result is keyed on all of it (issue 13 §4).

In the worker, `Inputs` wraps one job: it records the files opened for reading (an audit hook:
open(), io.open_code(), os.open()) and the modules imported, and afterwards gives the files that
are neither the revision itself, nor the standard library, nor installed packages, nor this tool,
with a digest of each. It also forgets those modules and restores sys.path, so that the next
revision in the same worker imports them afresh: each render sees, and reports, everything it
uses, whatever ran before it in that worker. In the checking process, `unchanged` tells whether a
cached render's inputs still have the digests they had.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
from functools import cache
from pathlib import Path
from typing import Any

_recording: list[Inputs] = []  # the job in progress, if any (the audit hook cannot be removed)


@cache
def _trusted_prefixes() -> tuple[str, ...]:
    """Folders whose files are not the project's: Python, installed packages and this tool."""
    paths = sysconfig.get_paths()
    folders = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    folders |= {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).resolve().parent.parent)}
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders if f)


SYSTEM = ("/dev/", "/proc/", "/sys/")


def digest(path: str) -> str | None:
    """The content digest the cache compares (None: unreadable or not a regular file)."""
    try:
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _recording:
        path, mode, flags = (*args, None, None)[:3]
        if isinstance(mode, str):
            reading = "r" in mode or "+" in mode
        else:
            reading = isinstance(flags, int) and flags & os.O_ACCMODE in (os.O_RDONLY, os.O_RDWR)
        if reading and isinstance(path, str | bytes | os.PathLike):
            _recording[-1].opened.append(os.fsdecode(path))


class Inputs:
    """One render's inputs; use as a context manager around importing and running the revision."""

    hooked = False

    def __init__(self, revision: str) -> None:
        self.revision = os.path.realpath(revision)
        self.opened: list[str] = []
        self.modules: set[str] = set()
        self.path: list[str] = []

    def __enter__(self) -> Inputs:
        if not Inputs.hooked:
            sys.addaudithook(_audit)
            Inputs.hooked = True
        self.modules, self.path = set(sys.modules), list(sys.path)
        _recording.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        _recording.clear()
        trusted = _trusted_prefixes()
        files = list(self.opened)
        for name in set(sys.modules) - self.modules:
            file = getattr(sys.modules.get(name), "__file__", None)
            if isinstance(file, str) and not os.path.realpath(file).startswith(trusted):
                files.append(file)
                del sys.modules[name]  # the next revision imports it afresh, and reports it
        sys.path[:] = self.path
        self.files = sorted({real for f in files if (real := os.path.realpath(os.path.abspath(f)))
                             != self.revision and not real.startswith(trusted + SYSTEM)
                             and "__pycache__" not in Path(real).parts})

    def digests(self) -> list[tuple[str, str | None]]:
        return [(path, digest(path)) for path in self.files]


def unchanged(inputs: tuple[tuple[str, str | None], ...], seen: dict[str, str | None]) -> bool:
    """Whether every input still has its recorded digest (`seen`: digests computed in this run)."""
    for path, recorded in inputs:
        if path not in seen:
            seen[path] = digest(path)
        if seen[path] != recorded:
            return False
    return True
