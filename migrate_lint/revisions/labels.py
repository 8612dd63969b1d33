"""Branch labels given as a constant of another module (`cli.CONTRACT_BRANCH`): their value, read
with `ast` from that module's file in the project, never by importing it."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from migrate_lint.paths import read_file


def label_origin(label: str, source: str) -> tuple[str, str]:
    """(module, attribute) a computed label is imported from (`cli.CONTRACT_BRANCH` with `from
    neutron.db.migration import cli`: neutron.db.migration.cli, CONTRACT_BRANCH); ("", "") for a
    literal label or one not imported at the module's top."""
    parts = label.split(".")
    if not all(p.isidentifier() for p in parts):
        return "", ""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return "", ""
    names = _imported_names(tree)
    if len(parts) == 1:  # `from pkg.cli import CONTRACT_BRANCH`
        module, _, attribute = names.get(parts[0], "").rpartition(".")
    else:  # `from pkg import cli` or `import pkg.cli as cli`, then `cli.CONTRACT_BRANCH`
        base = names.get(parts[0])
        module, attribute = ".".join([base, *parts[1:-1]]) if base else "", parts[-1]
    return (module, attribute) if module else ("", "")


def resolve_label(label: str, origin: tuple[str, str], roots: tuple[Path, ...]) -> str:
    """The value of a computed label (its source text as the header reader kept it) imported from
    `origin` (label_origin's), or the label itself when it is a literal or cannot be found without
    running code."""
    module, attribute = origin
    if not module:
        return label
    for root in roots:
        value = _module_constant(root, module, attribute)
        if value is not None:
            return value
    return NEUTRON_BRANCHES.get((module, attribute), label)


# neutron's own labels, which its subprojects (neutron-vpnaas, networking-*) import from neutron,
# a package their checkouts do not hold
NEUTRON_BRANCHES = {("neutron.db.migration.cli", "CONTRACT_BRANCH"): "contract",
                    ("neutron.db.migration.cli", "EXPAND_BRANCH"): "expand",
                    ("neutron_lib.db.constants", "CONTRACT_BRANCH"): "contract",  # neutron-fwaas's
                    ("neutron_lib.db.constants", "EXPAND_BRANCH"): "expand"}


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Each module-level name bound by an import: the dotted name it stands for."""
    names: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    names[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                names[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    return names


@lru_cache(maxsize=64)
def _module_constant(root: Path, module: str, attribute: str) -> str | None:
    """A module-level string constant of the module's file below root, if it has one."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        try:
            tree = ast.parse(read_file(candidate))
        except (OSError, SyntaxError, ValueError):
            continue
        value: str | None = None
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == attribute for t in stmt.targets):
                value = stmt.value.value if isinstance(stmt.value, ast.Constant) and isinstance(
                    stmt.value.value, str) else None  # the last assignment wins, as at import
        return value
    return None


def search_roots(*folders: Path) -> tuple[Path, ...]:
    """Where a history's project modules may live: the given folders and every parent of each."""
    roots: list[Path] = []
    for folder in folders:
        for candidate in (folder, *folder.parents):
            if candidate not in roots:
                roots.append(candidate)
    return tuple(roots)
