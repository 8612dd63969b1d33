"""Whether the application upgrades its own database as it starts: Alembic's `command.upgrade`,
Flask-Migrate's `upgrade`, Alembic's command line run in-process (`alembic.config.main(argv=...)`)
or as a child process (`["alembic", ..., "upgrade", "head"]`), or a runner of its own
(`context.run_migrations()` outside env.py), called from the project's code, not from a
command-line command, a test, env.py or a revision; or a container entrypoint that runs
`flask db upgrade` before it starts the server (microblog's boot.sh, PowerDNS-Admin's). An
application that does so migrates in the process that is about to serve (mealie, CTFd, pgAdmin,
JupyterHub, keylime, a self-hosted Prefect server), so no earlier release serves traffic while its
revisions run. Read from the source, never imported."""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_file
from migrate_lint.revisions.discover import SKIP_DIRS

MAX_FILES = 5000
NOT_START = frozenset({"cli", "commands", "management", "scripts", "bin", "tools", "docs", "doc"})
SHELL_UPGRADE = re.compile(r"^\s*(?:flask\s+db|alembic(?:\s+-{1,2}[\w-]+(?:[=\s]\S+)?)*)\s+upgrade\b")
# Flask-Migrate's upgrade by name only: Alembic's, imported by name, is more often wrapped in a function
# that only the command line calls (CKAN's Repository.upgrade_db), which this reading cannot tell apart
UPGRADE_MODULES = ("flask_migrate",)
NOT_START_FILES = frozenset({"cli", "manage", "commands", "__main__", "env", "setup", "conftest", "noxfile"})


SERVER_START = re.compile(r"^\s*(?:exec\b|(?:gunicorn|uwsgi|uvicorn|hypercorn|waitress-serve|supervisord)\b"
                          r"|flask\s+run\b)", re.MULTILINE)
NOT_PRODUCTION = frozenset({"dev", "development", "local", "ci", "example", "examples"})


def _shell_upgrade(text: str) -> int | None:
    """The line of a container entrypoint's `flask db upgrade` or `alembic upgrade` that runs before
    it starts the server (`exec gunicorn ...`, `exec "$@"`): the release migrates as it starts."""
    for match in re.finditer(r"(?m)^.*$", text):
        if SHELL_UPGRADE.search(match[0]) and SERVER_START.search(text, match.end()):
            return text.count("\n", 0, match.start()) + 1
    return None


def _is_test(part: str) -> bool:
    return part in ("test", "tests", "testing") or part.startswith("test_") or part.endswith("_test")


def _upgrade_names(tree: ast.Module) -> frozenset[str]:
    """The names this module calls Flask-Migrate's upgrade by (`from flask_migrate import upgrade`)."""
    return frozenset(alias.asname or alias.name for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module in UPGRADE_MODULES
                     for alias in node.names if alias.name == "upgrade")


def _upgrades(call: ast.Call, flask_names: frozenset[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in flask_names
    if not isinstance(func, ast.Attribute):
        return False
    owner = ast.unparse(func.value)
    if func.attr == "upgrade":
        return owner in ("flask_migrate", "command", "alembic.command") or owner.endswith("_command")
    if func.attr == "run_migrations":  # Alembic's MigrationContext, not a method of the project's own
        return owner in ("context", "alembic.context", "migration_context") and not call.args
    return func.attr == "main" and owner == "alembic.config"


def _upgrade_command_line(node: ast.List | ast.Tuple | ast.Constant) -> bool:
    """`["alembic", "-c", ini, "upgrade", "head"]` or `"flask db upgrade"` (Mailu's start.py): the
    command line of Alembic or Flask-Migrate, to run as a child process."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and SHELL_UPGRADE.search(node.value) is not None
    words = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return "upgrade" in words and ("alembic" in words or {"flask", "db"} <= words)


def _command_line(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function the command line runs (`@app.cli.command()`, `@click.command`, `@manager.command`)."""
    return any("command" in ast.unparse(decorator) or ".cli" in ast.unparse(decorator)
               for decorator in function.decorator_list)


def _call_at_start(tree: ast.Module) -> int | None:
    """The line of an upgrade call outside any command-line function."""
    flask_names = _upgrade_names(tree)
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_command = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_command = in_command or _command_line(node)
        elif not in_command and ((isinstance(node, ast.Call) and _upgrades(node, flask_names)) or
                                 (isinstance(node, ast.List | ast.Tuple | ast.Constant)
                                  and _upgrade_command_line(node))):
            return node.lineno
        stack.extend((child, in_command) for child in ast.iter_child_nodes(node))
    return None


def _shell_line(path: Path) -> int | None:
    try:
        data = read_file(path)
    except OSError:
        return None
    return _shell_upgrade(data.decode("utf-8", "replace")) if b"upgrade" in data else None


@cache
def upgrades_at_start(root: Path, skip: frozenset[Path] = frozenset()) -> tuple[str, int] | None:
    """(file relative to root, line) of the first call that upgrades the database outside the
    command line, tests and the revisions; None when the project has none."""
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and d not in NOT_START
                             and not d.startswith(".") and not _is_test(d)
                             and (here / d).resolve() not in skip)
        for name in sorted(filenames):
            stem, suffix = os.path.splitext(name)
            production = not NOT_PRODUCTION & set(here.relative_to(root).parts)
            if suffix == ".sh" and production and not _is_test(stem):
                # a start script of the container: what the release runs before it serves
                if (line := _shell_line(here / name)) is not None:
                    return (here / name).relative_to(root).as_posix(), line
                continue
            if suffix != ".py" or stem in NOT_START_FILES or _is_test(stem):
                continue
            seen += 1
            if seen > MAX_FILES:
                return None
            try:
                data = read_file(here / name)
            except OSError:
                continue
            if b"alembic" not in data and b"flask_migrate" not in data and b"upgrade" not in data:
                continue  # parse only what may run Alembic
            try:
                line = _call_at_start(ast.parse(data.decode("utf-8", "replace")))
            except (SyntaxError, ValueError, RecursionError):
                continue
            if line is not None:
                return (here / name).relative_to(root).as_posix(), line
    return None
