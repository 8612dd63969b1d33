"""The Python a project says it needs: a revision that this Python cannot parse may be valid there
(PEP 701 f-strings, 3.12), and is then not broken but unread."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from migrate_lint.paths import read_file

# the lower bounds of a requires-python specifier: >=3.12, ~=3.12, ==3.12.*
_LOWER_BOUND = re.compile(r"(?:>=|~=|==)\s*(\d+)\.(\d+)")
_REQUIRES = re.compile(r"^\s*requires-python\s*=\s*[\"']([^\"'\n]+)[\"']", re.M)
_PINNED = re.compile(r"^\s*(\d+)\.(\d+)")


def needed_python(roots: Iterable[Path], shown_from: Path) -> tuple[tuple[int, int], str] | None:
    """The oldest Python the project admits, and where it says so: `requires-python` in its
    pyproject.toml, else the version a `.python-version` file pins."""
    for root in roots:
        pyproject, pinned = root / "pyproject.toml", root / ".python-version"
        text = _text(pyproject)
        spec = _REQUIRES.search(text) if text else None
        bounds = [(int(a), int(b)) for a, b in _LOWER_BOUND.findall(spec.group(1))] if spec else []
        if bounds and spec:
            return max(bounds), f"requires-python {spec.group(1).strip()} in {_shown(pyproject, shown_from)}"
        match = _PINNED.match(_text(pinned) or "")
        if match:
            version = (int(match.group(1)), int(match.group(2)))
            return version, f"{_shown(pinned, shown_from)} pins {version[0]}.{version[1]}"
    return None


def _text(path: Path) -> str | None:
    try:
        return read_file(path).decode("utf-8", "replace")
    except OSError:
        return None


def _shown(path: Path, shown_from: Path) -> str:
    try:
        return path.resolve().relative_to(shown_from.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
