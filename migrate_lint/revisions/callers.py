"""Whether a function of the project that upgrades the database runs as the application starts, by
who calls it (by name, read from the source): OpenStack's `migration.upgrade()` wraps Alembic's
`command.upgrade` for `magnum-db-manage upgrade` and nothing else, while CTFd's `create_app()`, which
nothing in the project calls, is what the server runs."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from migrate_lint.paths import read_file

# wrappers of wrappers: db.migration.upgrade -> db.sqlalchemy.migration.upgrade; viseron's
# Storage._run_migrations <- create_database <- initialize <- the component's setup hook
DEPTH = 4

Source = tuple[Path, bool]  # a Python file of the project, and whether the command line runs it
IsCommand = Callable[[ast.FunctionDef | ast.AsyncFunctionDef], bool]
IsAlembic = Callable[[ast.Call], bool]  # Alembic's own upgrade call, not a call of the project's function


def _called(call: ast.Call, name: str) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == name) or (isinstance(func, ast.Attribute)
                                                                and func.attr == name)


def call_sites(tree: ast.Module, name: str, command_line: IsCommand,
               alembic: IsAlembic) -> list[tuple[str | None, bool]]:
    """(the enclosing function's name, or None at module level; whether that is a command-line
    function) of each call of `name` in the module, but Alembic's own (`command.upgrade`)."""
    found: list[tuple[str | None, bool]] = []
    stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, False)]
    while stack:
        node, function, command = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function, command = node.name, command or command_line(node)
        elif isinstance(node, ast.Call) and _called(node, name) and not alembic(node):
            found.append((function, command))
        stack.extend((child, function, command) for child in ast.iter_child_nodes(node))
    return found


class Callers:
    """The project's Python files, parsed when a name is looked for in them (once each)."""

    def __init__(self, files: list[Source], command_line: IsCommand, alembic: IsAlembic) -> None:
        self.files = files
        self.command_line = command_line
        self.alembic = alembic
        self.data: dict[Path, bytes] = {}
        self.trees: dict[Path, ast.Module | None] = {}

    def tree(self, path: Path) -> ast.Module | None:
        if path not in self.trees:
            try:
                self.trees[path] = ast.parse(self.source(path).decode("utf-8", "replace"))
            except (SyntaxError, ValueError, RecursionError):
                self.trees[path] = None
        return self.trees[path]

    def source(self, path: Path) -> bytes:
        if path not in self.data:
            try:
                self.data[path] = read_file(path)
            except OSError:
                self.data[path] = b""
        return self.data[path]

    def runs_at_start(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether a call of the function `name` is reached other than from the command line: a
        call at a module's top level outside the command line, or in a function that does so in
        turn. A function nothing calls is an entry point (a framework's hook, the server's app
        factory): it runs at start."""
        sites = [(function, command or cli) for path, cli in self.files
                 if name.encode() in self.source(path) and (tree := self.tree(path)) is not None
                 for function, command in call_sites(tree, name, self.command_line, self.alembic)]
        if not sites:
            return True
        if len(seen) >= DEPTH:
            return False
        seen = seen | {name}
        return any(function is None or (function not in seen and self.runs_at_start(function, seen))
                   for function, command in sites if not command)
