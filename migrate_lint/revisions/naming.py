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


def python_mentioning(root: Path, keyword: str, skip: frozenset[Path] = frozenset(),
                      skip_names: frozenset[str] = frozenset()) -> Iterator[str]:
    """The texts of the Python files under root that mention `keyword`, in a stable order, at most
    MAX_FILES read; the folders in `skip` (the revisions'), and those named in `skip_names`, are
    not read."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                             and d not in skip_names and (here / d).resolve() not in skip)
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
            if keyword in text:
                yield text


def _trees(root: Path, skip: frozenset[Path]) -> Iterator[ast.Module]:
    """The parsed Python files under root that mention `naming_convention`. Revision folders are
    skipped: a convention written inside a revision names nothing else."""
    for text in python_mentioning(root, KEYWORD, skip):
        try:
            yield parse(text)
        except (SyntaxError, ValueError, RecursionError):
            continue


def declares_naming_convention(root: Path, skip: frozenset[Path] = frozenset()) -> bool:
    """True if a Python file under root passes `naming_convention=` (MetaData, SQLAlchemy, ...)."""
    return any(_declares(tree) for tree in _trees(root, skip))

# "fk", "ix", ... -> the template, or None where it is not a literal; a token of the project's own
# ("column_names": a function) -> what it stands for where its function is one of the usual shapes
Templates = dict[str, str | None]
UNIQUE_CHOICE = "?unique"  # a token's value "?unique:A:B": A for a unique index, B for any other


def _templates(value: ast.expr | None, constants: dict[str, ast.expr],
               functions: dict[str, ast.FunctionDef]) -> Templates | None:
    """The kinds a `naming_convention` dict names, with their templates where they are literals."""
    if isinstance(value, ast.Name):
        value = constants.get(value.id)
    if not isinstance(value, ast.Dict):
        return None
    found: Templates = {}
    for key, item in zip(value.keys, value.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                found[key.value] = item.value
            else:
                function = functions.get(item.id) if isinstance(item, ast.Name) else None
                found[key.value] = _token_value(function) if function else None
    return found


def _token_value(function: ast.FunctionDef) -> str | None:
    """What a custom token's function gives, as a template of SQLAlchemy's own tokens, for the two
    shapes projects write (`"_".join(c.name for c in constraint.columns)`, `"uq_" if
    constraint.unique else ""`); None for any other body, which only running it could tell."""
    body = [node for node in function.body if not (isinstance(node, ast.Expr)
                                                   and isinstance(node.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    value = body[0].value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "join" \
            and isinstance(value.func.value, ast.Constant) and len(value.args) == 1 \
            and isinstance(value.args[0], ast.GeneratorExp | ast.ListComp) \
            and "columns" in ast.unparse(value.args[0].generators[0].iter):
        return {"_": "%(column_0_N_name)s", "": "%(column_0N_name)s"}.get(str(value.func.value.value))
    if isinstance(value, ast.IfExp) and isinstance(value.test, ast.Attribute) \
            and value.test.attr == "unique" \
            and all(isinstance(part, ast.Constant) and isinstance(part.value, str)
                    for part in (value.body, value.orelse)):
        return f"{UNIQUE_CHOICE}:{value.body.value}:{value.orelse.value}"  # type: ignore[attr-defined]
    return None


def _names_convention(target: ast.expr) -> bool:
    return (isinstance(target, ast.Attribute) and target.attr == KEYWORD) or \
        (isinstance(target, ast.Name) and target.id == KEYWORD)


def _convention_of(tree: ast.Module) -> Templates | None:
    constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == KEYWORD and (found := _templates(kw.value, constants, functions)) is not None:
                    return found
        elif isinstance(node, ast.Assign) and any(_names_convention(t) for t in node.targets) \
                and (found := _templates(node.value, constants, functions)) is not None:
            return found
    return None


def naming_convention(root: Path, skip: frozenset[Path] = frozenset()) -> Templates | None:
    """The project's naming convention as its source writes it (the first `naming_convention=` dict
    found), or None when there is none or it is not a dict written out in the source."""
    return next((found for tree in _trees(root, skip) if (found := _convention_of(tree)) is not None), None)
