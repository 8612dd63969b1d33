"""Comparable real paths, cheaply: each folder is resolved once, not each file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1024)
def real_folder(folder: Path) -> Path:
    return folder.resolve()


def real_path(path: Path) -> Path:
    """The path with its folders' symbolic links resolved and the file's own name kept, as git names
    a file (a symlinked revision is itself the changed file). Resolving each of a thousand files
    costs a realpath walk each; their few folders are resolved once."""
    return real_folder(path.parent) / path.name
