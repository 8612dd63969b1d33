"""Whether the project's metadata declares a constraint naming convention, read from its source."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from migrate_lint.paths import read_file
from migrate_lint.revisions.discover import SKIP_DIRS
from migrate_lint.revisions.facts import parse

MAX_FILES = 5000
KEYWORD = "naming_convention"


def _declares(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(kw.arg == KEYWORD for kw in node.keywords):
            return True
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == KEYWORD for t in targets):
                return True
    return False


def declares_naming_convention(root: Path, skip: frozenset[Path] = frozenset()) -> bool:
    """True if a Python file under root passes `naming_convention=` (MetaData, SQLAlchemy, ...).

    Revision folders are skipped: a convention written inside a revision names nothing else.
    """
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                       and (here / d).resolve() not in skip]
        for name in filenames:
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > MAX_FILES:
                return False
            try:
                text = read_file(here / name).decode("utf-8", "replace")  # not a FIFO, not huge
            except OSError:
                continue
            if KEYWORD in text:
                try:
                    if _declares(parse(text)):
                        return True
                except (SyntaxError, ValueError, RecursionError):
                    continue
    return False
