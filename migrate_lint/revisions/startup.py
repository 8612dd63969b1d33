"""Whether the application upgrades its own database as it starts: Alembic's `command.upgrade`,
Flask-Migrate's `upgrade`, Alembic's command line run in-process (`alembic.config.main(argv=...)`)
or as a child process (`["alembic", ..., "upgrade", "head"]`), or a runner of its own
(`context.run_migrations()` outside env.py), called from the project's code, not from a
command-line command, a test, env.py or a revision; or a container entrypoint that runs
`flask db upgrade` before it starts the server (microblog's boot.sh, PowerDNS-Admin's), or a
Dockerfile whose CMD or ENTRYPOINT does (Marzban's `alembic upgrade head; python main.py`), or a
compose file's command (pyro-api's `sh -c 'alembic upgrade head && uvicorn ...'`). An
application that does so migrates in the process that is about to serve (mealie, CTFd, pgAdmin,
JupyterHub, keylime, a self-hosted Prefect server), so no earlier release serves traffic while its
revisions run. Read from the source, never imported."""

from __future__ import annotations

import ast
import json
import os
import re
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_file
from migrate_lint.revisions.callers import Callers
from migrate_lint.revisions.compose_database import is_compose_file
from migrate_lint.revisions.discover import SKIP_DIRS

MAX_FILES = 5000
NOT_START = frozenset({"cli", "commands", "management", "scripts", "bin", "tools", "docs", "doc"})
# at the start of a command: of the line, after `;`, `&&`, `||` or `(` (`(cd /opt/app; alembic upgrade
# head)`), or as a condition (letta's `if ! alembic upgrade head; then`)
# through a runner of the project's environment (misp-workbench's `poetry run alembic upgrade head`)
# or a program of a virtual environment named by its path (nextbus's `/app/.venv/bin/python -m ...`)
_RUNNER = (r"(?:(?:poetry|uv|pipenv|pdm|rye|hatch)\s+run\s+(?:--?[\w-]+\s+)*"
           r"|(?:[\w./-]*/)?python[\d.]*\s+-m\s+|[\w./-]*/(?=flask\s|alembic\s))?")
SHELL_UPGRADE = re.compile(r"(?:^|[;&|(]|\b(?:then|do|else|if|while|until)\s)\s*(?:!\s*)?" + _RUNNER +
                           r"(?:flask\s+db|alembic(?:\s+-{1,2}[\w-]+(?:[=\s]\S+)?)*"
                           # Flask-Script's manager of Flask-Migrate (orchest's `python migration_manager.py
                           # db upgrade`, `./manage.py db upgrade`), or the application's own Flask command
                           # line run as a module (nextbus's `python -m nextbus db upgrade`)
                           r"|(?:python[\d.]*\s+)?\S+\.py\s+db|(?<=-m\s)[\w.]+\s+db)\s+upgrade\b")
# uWSGI runs these before it loads the application (`exec-pre-app = /opt/app/migrate.sh`)
UWSGI_HOOK = re.compile(r"(?m)^\s*(?:exec|hook)-(?:pre|post|as)-[\w-]+\s*=\s*(.+?)\s*$")
NOT_START_FILES = frozenset({"cli", "manage", "commands", "__main__", "env", "setup", "conftest", "noxfile"})


# also in a subshell of its own (growen's `( uvicorn services.api:app ... ) &`)
SERVER_START = re.compile(r"^\s*(?:\(\s*)?(?:exec\b|" + _RUNNER + r"(?:[\w./-]*/)?"
                          + r"(?:gunicorn|uwsgi|uvicorn|hypercorn|waitress-serve|supervisord)\b"
                          r"|flask\s+run\b)",
                          re.MULTILINE)
NOT_PRODUCTION = frozenset({"dev", "development", "local", "ci", "example", "examples"})


def _shell_upgrade(text: str, hook: bool = False) -> int | None:
    """The line of a container entrypoint's `flask db upgrade` or `alembic upgrade` that runs before
    it starts the server (`exec gunicorn ...`, `exec "$@"`): the release migrates as it starts. A
    script the server runs as it starts (`hook`) needs no start of its own."""
    for match in re.finditer(r"(?m)^.*$", text):
        if (not match[0].lstrip().startswith("#") and SHELL_UPGRADE.search(match[0])
                and (hook or SERVER_START.search(text, match.end()))):
            return text.count("\n", 0, match.start()) + 1
    return None


DOCKER_START = re.compile(r"(?im)^\s*(CMD|ENTRYPOINT)\s+((?:.*\\\n)*.*)$")
COMPOSE_START = re.compile(r"(?m)^\s*(command|entrypoint)\s*:\s*(\S.*)$")
_SHELL_C = re.compile(r"""^(?:/bin/)?(?:ba)?sh\s+-c\s+(["'])(.*)\1$""", re.DOTALL)


def _started_command(command: str) -> str:
    """The shell command a container's start line runs: a JSON list's words (`["bash", "-c",
    "script"]` runs the script), a quoted string's, a `sh -c 'script'`'s script."""
    command = command.strip()
    try:
        words = json.loads(command)
    except ValueError:
        words = None
    if isinstance(words, list) and all(isinstance(word, str) for word in words):
        command = words[-1] if len(words) > 2 and words[-2] == "-c" else " ".join(words)
    elif isinstance(words, str):
        command = words
    elif len(command) > 1 and command[0] == command[-1] == "'":
        command = command[1:-1]
    shell = _SHELL_C.match(command.strip())
    return shell[2] if shell else command


def _container_start_upgrade(path: Path, start: re.Pattern[str]) -> int | None:
    """The line of a Dockerfile's CMD or ENTRYPOINT, or a compose file's command or entrypoint, that
    upgrades the database: what the container runs as it starts (Marzban's `CMD ["bash", "-c",
    "alembic upgrade head; python main.py"]`, pyro-api's `command: "sh -c 'alembic upgrade head &&
    uvicorn ...'"`)."""
    try:
        text = read_file(path).decode("utf-8", "replace")
    except OSError:
        return None
    for match in start.finditer(text):
        if SHELL_UPGRADE.search(_started_command(match[2].replace("\\\n", " "))):
            return text.count("\n", 0, match.start()) + 1
    return None


_NOT_RELEASE = ("dev", "test", "ci.", "local", "debug", "override")


def _container_file(name: str) -> re.Pattern[str] | None:
    """How a file of the release starts its container (Dockerfile, Dockerfile.prod, api.Dockerfile,
    docker-compose.yml, compose.yaml), not a development one's; None for any other file."""
    lowered = name.lower()
    if any(word in lowered for word in _NOT_RELEASE):
        return None
    if lowered == "dockerfile" or lowered.startswith("dockerfile.") or lowered.endswith(".dockerfile"):
        return DOCKER_START
    if is_compose_file(name):
        return COMPOSE_START
    return None


def _uwsgi_hooks(path: Path) -> tuple[int | None, frozenset[str]]:
    """A uWSGI ini's hooks: the line of one that upgrades the database itself, and the names of the
    scripts the others run (cnaas-nms: `exec-pre-app = /opt/cnaas/exec-pre-app.sh`)."""
    try:
        text = read_file(path).decode("utf-8", "replace")
    except OSError:
        return None, frozenset()
    line: int | None = None
    scripts: set[str] = set()
    for match in UWSGI_HOOK.finditer(text):
        command = match[1]
        if line is None and SHELL_UPGRADE.search(command):
            line = text.count("\n", 0, match.start()) + 1
        scripts.update(os.path.basename(word) for word in command.split() if word.endswith(".sh"))
    return line, frozenset(scripts)


def _development(stem: str) -> bool:
    """A script named for development (siwins' dev.sh beside its run.sh, start-local.sh): how the
    developers run it, not the release."""
    return bool(NOT_PRODUCTION & set(re.split(r"[-_.]", stem.lower())))


def _command_file(stem: str) -> bool:
    """A module the command line runs: cli.py, manage.py, OpenStack's cmd/db_manage.py and
    cmd/dbsync.py (its cmd/api.py starts a server, as keylime's cmd/registrar.py does)."""
    return stem in NOT_START_FILES or "manage" in stem or stem.replace("_", "") == "dbsync"


def _is_test(part: str) -> bool:
    return part in ("test", "tests", "testing") or part.startswith("test_") or part.endswith("_test")


def _upgrade_names(tree: ast.Module) -> frozenset[str]:
    """The names this module calls Flask-Migrate's upgrade by (`from flask_migrate import upgrade`).
    Not Alembic's imported by name (`from alembic.command import upgrade`): CKAN wraps that one in
    Repository.upgrade_db, reached from its command line only through a chain this reading misjudged."""
    return frozenset(alias.asname or alias.name for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module == "flask_migrate"
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


def _upgrade_calls(tree: ast.Module) -> list[tuple[int, str | None]]:
    """(line, enclosing function's name or None at module level) of each upgrade call outside any
    command-line function."""
    flask_names = _upgrade_names(tree)
    found = []
    stack: list[tuple[ast.AST, bool, str | None]] = [(tree, False, None)]
    while stack:
        node, in_command, function = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_command, function = in_command or _command_line(node), node.name
        elif not in_command and ((isinstance(node, ast.Call) and _upgrades(node, flask_names)) or
                                 (isinstance(node, ast.List | ast.Tuple | ast.Constant)
                                  and _upgrade_command_line(node))):
            found.append((node.lineno, function))
        stack.extend((child, in_command, function) for child in ast.iter_child_nodes(node))
    return sorted(found)


def _shell_line(path: Path, hook: bool = False) -> int | None:
    try:
        data = read_file(path)
    except OSError:
        return None
    return _shell_upgrade(data.decode("utf-8", "replace"), hook) if b"upgrade" in data else None


@cache
def upgrades_at_start(root: Path, skip: frozenset[Path] = frozenset()) -> tuple[str, int] | None:
    """(file relative to root, line) of the first call that upgrades the database outside the
    command line, tests and the revisions, in code that runs as the application starts (callers.py
    follows a function's callers); None when the project has none."""
    files: list[tuple[Path, bool]] = []  # every Python file, and whether the command line runs it
    scripts: list[Path] = []  # shell scripts that may start the release
    hooked: set[str] = set()  # the names of scripts uWSGI runs before it loads the application
    containers: list[tuple[Path, re.Pattern[str]]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                             and not _is_test(d) and (here / d).resolve() not in skip)
        parts = set(here.relative_to(root).parts)
        production = not (NOT_PRODUCTION | NOT_START) & parts
        for name in sorted(filenames):
            stem, suffix = os.path.splitext(name)
            if suffix == ".sh" and production and not _is_test(stem) and not _development(stem):
                scripts.append(here / name)
            elif production and (start := _container_file(name)) is not None:
                containers.append((here / name, start))
            elif suffix == ".ini" and production and name != "alembic.ini":
                line, named = _uwsgi_hooks(here / name)
                if line is not None:
                    return (here / name).relative_to(root).as_posix(), line
                hooked |= named
            elif suffix == ".py" and not _is_test(stem):
                files.append((here / name, bool(NOT_START & parts) or _command_file(stem)))
                if len(files) > MAX_FILES:
                    return None
    for container, start in containers:
        if (line := _container_start_upgrade(container, start)) is not None:
            return container.relative_to(root).as_posix(), line
    for script in scripts:  # a start script of the container: what the release runs before it serves
        if (line := _shell_line(script, script.name in hooked)) is not None:
            return script.relative_to(root).as_posix(), line
    callers = Callers(files, _command_line, lambda call: _upgrades(call, frozenset()))
    for path, cli in files:
        if cli:
            continue
        data = callers.source(path)
        if b"alembic" not in data and b"flask_migrate" not in data and b"upgrade" not in data:
            continue  # parse only what may run Alembic
        tree = callers.tree(path)
        for line, function in _upgrade_calls(tree) if tree is not None else ():
            if function is None or callers.runs_at_start(function):
                return path.relative_to(root).as_posix(), line
    return None
