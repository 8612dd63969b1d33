"""Whether the project's metadata declares a constraint naming convention, read from its source."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
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


def _trees(root: Path, skip: frozenset[Path]) -> Iterator[ast.Module]:
    """The parsed Python files under root that mention `naming_convention`, in a stable order, at most
    MAX_FILES read. Revision folders are skipped: a convention written inside a revision names
    nothing else."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                             and (here / d).resolve() not in skip)
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > MAX_FILES:
                return
            try:
                text = read_file(here / name).decode("utf-8", "replace")  # not a FIFO, not huge
            except OSError:
                continue
            if KEYWORD in text:
                try:
                    yield parse(text)
                except (SyntaxError, ValueError, RecursionError):
                    continue


def declares_naming_convention(root: Path, skip: frozenset[Path] = frozenset()) -> bool:
    """True if a Python file under root passes `naming_convention=` (MetaData, SQLAlchemy, ...)."""
    return any(_declares(tree) for tree in _trees(root, skip))

Templates = dict[str, str | None]  # "fk", "ix", ... -> the template, or None where it is not a literal


def _templates(value: ast.expr | None, constants: dict[str, ast.expr]) -> Templates | None:
    """The kinds a `naming_convention` dict names, with their templates where they are literals."""
    if isinstance(value, ast.Name):
        value = constants.get(value.id)
    if not isinstance(value, ast.Dict):
        return None
    found: Templates = {}
    for key, item in zip(value.keys, value.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            text = item.value if isinstance(item, ast.Constant) and isinstance(item.value, str) else None
            found[key.value] = text
    return found


def _names_convention(target: ast.expr) -> bool:
    return (isinstance(target, ast.Attribute) and target.attr == KEYWORD) or \
        (isinstance(target, ast.Name) and target.id == KEYWORD)


def _convention_of(tree: ast.Module) -> Templates | None:
    constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == KEYWORD and (found := _templates(kw.value, constants)) is not None:
                    return found
        elif isinstance(node, ast.Assign) and any(_names_convention(t) for t in node.targets) \
                and (found := _templates(node.value, constants)) is not None:
            return found
    return None


def naming_convention(root: Path, skip: frozenset[Path] = frozenset()) -> Templates | None:
    """The project's naming convention as its source writes it (the first `naming_convention=` dict
    found), or None when there is none or it is not a dict written out in the source."""
    return next((found for tree in _trees(root, skip) if (found := _convention_of(tree)) is not None), None)
