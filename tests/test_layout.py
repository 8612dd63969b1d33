"""The package's wings and the one direction imports may go between them (docs/architecture.md)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "migrate_lint"
VOCABULARY = "vocabulary"  # the top-level modules every wing shares, and the cache
TOP_LEVEL = {"__init__", "__main__", "cli", "config", "catalog", "finding", "errors", "paths"}
# Each wing and the wings it may import from (besides itself). Anything not listed is upward.
ALLOWED: dict[str, set[str]] = {
    VOCABULARY: set(),
    "sql": {VOCABULARY},
    "revisions": {VOCABULARY, "sql"},
    "rendering": {VOCABULARY, "sql", "revisions"},
    "checks": {VOCABULARY, "sql", "revisions", "rendering"},
    "lint": {VOCABULARY, "sql", "revisions", "rendering", "checks"},
    "database": {VOCABULARY, "sql", "revisions"},
    "drift": {VOCABULARY, "sql", "revisions", "database"},
    "fix": {VOCABULARY, "sql", "revisions", "rendering", "checks", "lint"},
    "trace": {VOCABULARY, "sql", "revisions", "rendering", "checks", "lint", "database"},
    "formatters": {VOCABULARY},
    "cli": {VOCABULARY, "sql", "revisions", "rendering", "checks", "lint", "database", "drift", "fix",
            "trace", "formatters"},
}
ALLOWED["integrations"] = ALLOWED["cli"] | {"cli"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def wing(module: str) -> str:
    parts = module.split(".")[1:]
    if not parts or parts[0] in TOP_LEVEL - {"__main__", "cli"} or parts[0] == "cache":
        return VOCABULARY
    return "cli" if parts[0] == "__main__" else parts[0]


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Every migrate_lint module this one imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("migrate_lint")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("migrate_lint"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    found.discard(module)
    return found


@cache  # every parametrized case asks for the same graph: parse the package once
def graph() -> dict[str, set[str]]:
    found = modules()
    return {module: imports(module, path, set(found)) for module, path in found.items()}


def test_the_top_level_holds_only_the_entry_points_and_the_shared_vocabulary():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= TOP_LEVEL and len(top) <= 8


def test_every_wing_says_what_it_owns_and_what_it_may_import():
    for folder in (p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert doc and len(doc) > 80, folder.name
        if folder.name not in ("checks", "formatters", "cache"):
            assert "import" in doc.lower(), folder.name


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_go_only_down_the_wings(module):
    mine = wing(module)
    upward = {target for target in graph()[module]
              if wing(target) != mine and wing(target) not in ALLOWED[mine]}
    assert not upward, f"{module} ({mine}) imports upward: {sorted(upward)}"


def test_no_import_cycles_between_modules():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(target):], target]))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


def test_the_walker_sees_lazy_imports_and_catches_an_upward_one(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from migrate_lint.lint.engine import Engine\n")
    found = imports("migrate_lint.revisions.m", source, set(modules()))
    assert found == {"migrate_lint.lint.engine"}
    assert wing("migrate_lint.lint.engine") not in ALLOWED[wing("migrate_lint.revisions.m")]
