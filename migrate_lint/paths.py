"""Comparable real paths, cheaply (each folder is resolved once, not each file), and reading a
file only when it is a regular one of a sane size."""

from __future__ import annotations

import errno
import os
import stat
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1024)
def real_folder(folder: Path) -> Path:
    return folder.resolve()


def real_path(path: Path) -> Path:
    """The path with its folders' symbolic links resolved and the file's own name kept, as git names
    a file (a symlinked revision is itself the changed file). Resolving each of a thousand files
    costs a realpath walk each; their few folders are resolved once. A relative folder is made absolute
    first: cached as it is, it would resolve against whatever the working directory was the first time."""
    folder = path.parent
    return real_folder(folder if folder.is_absolute() else Path.cwd() / folder) / path.name


MAX_FILE_BYTES = 2 * 1024 * 1024  # 7x the largest real revision we know (a 275 KB squash in polar)


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, refused with an OSError (its strerror says why) when it is anything
    else or larger than `limit`: a FIFO would block the run forever, a link to /dev/zero would fill
    the memory, and a huge file costs minutes of analysis for nothing a revision needs."""
    info = os.stat(path)  # through symbolic links: a linked revision is read, a linked device is not
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, f"not a regular file ({_kind(info.st_mode)})")
    # O_NONBLOCK: should the file have been swapped for a FIFO since, opening it does not wait
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(info.st_mode)})")
        data = _read_up_to(handle, limit + 1, info.st_size)
    finally:
        os.close(handle)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than the {limit // 1024 ** 2} MB limit "
                                   f"({max(info.st_size, len(data)) / 1024 ** 2:.1f} MB)")
    return data


def read_head(path: Path, size: int) -> bytes:
    """The first `size` bytes of a regular file (of one too large to read whole), refused with an
    OSError as read_file() refuses anything else."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.read(handle, size)
    finally:
        os.close(handle)


def read_text(path: Path, errors: str = "replace", limit: int = MAX_FILE_BYTES) -> str:
    """read_file() as UTF-8 text: what every reader of a project's own files (its config, env.py,
    the modules a revision imports) goes through, so that a FIFO or a link to a device among them
    is passed over with an OSError instead of blocking the run."""
    return read_file(path, limit).decode("utf-8", errors)


def _read_up_to(handle: int, most: int, size: int) -> bytes:
    """At most `most` bytes, by plain os.read calls (a buffered file object around the descriptor
    cost four times the read itself, and a check reads a thousand revisions). `size` is what fstat
    said: one read takes all of it, and the next finds the end (or what the file has grown by)."""
    chunks: list[bytes] = []
    got = 0
    while got < most:
        chunk = os.read(handle, min(max(size + 1 - got, 1 << 16), most - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
    return next((name for test, name in kinds if test(mode)), "not a plain file")
