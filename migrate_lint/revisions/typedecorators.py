"""The project's own column types: a TypeDecorator the application defines renders as its `impl`
(tacker's `types.Uuid` is `impl = String(36)`, a VARCHAR, not the UUID of SQLAlchemy's own Uuid). A
revision that changes a column to one is judged by that impl, read from the project's source, never
imported. A class that picks its type per database (load_dialect_impl, as the GUID recipe does) is
left unknown."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from migrate_lint.paths import read_file
from migrate_lint.revisions.migration import Call, Ref
from migrate_lint.revisions.settings_modules import module_file


def imported_path(imports: Iterable[tuple[str, int, tuple[str, ...]]], name: str) -> str | None:
    """The dotted path a name the revision uses (`types.Uuid`) stands for, by its imports
    (`from tacker.db import types`: tacker.db.types.Uuid); None where no import gives it."""
    for module, _, uses in imports:
        for use in uses:
            use = use.lstrip("~")
            if use == name:
                return use if use.startswith(module + ".") else f"{module}.{use}"
    return None


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name | ast.Attribute):
        return Ref(ast.unparse(node))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
        return Call(ast.unparse(node.func), tuple(_value(a) for a in node.args),
                    {k.arg: _value(k.value) for k in node.keywords if k.arg})
    return None


@lru_cache(maxsize=256)
def impl_of(roots: tuple[Path, ...], dotted: str) -> Call | Ref | None:
    """The `impl` of the TypeDecorator class at `dotted` (package.module.Class) in the project's
    source under one of the roots; None where it is not found or picks its type per database."""
    module, _, name = dotted.rpartition(".")
    path = module_file(roots, module)
    return _impl_in(path, name) if path is not None else None


def _impl_in(path: Path, name: str) -> Call | Ref | None:
    try:
        tree = ast.parse(read_file(path).decode("utf-8", "replace"))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == name
                and any(ast.unparse(b).endswith("TypeDecorator") for b in node.bases)):
            continue
        if any(isinstance(item, ast.FunctionDef) and item.name == "load_dialect_impl" for item in node.body):
            return None
        for item in node.body:
            if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "impl"
                                                    for t in item.targets):
                value = _value(item.value)
                return value if isinstance(value, Call | Ref) else None
    return None
