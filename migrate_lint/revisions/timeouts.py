"""Where a history already sets lock_timeout for every revision: env.py (read by AST, never run) or
the sqlalchemy.url of alembic.ini."""

from __future__ import annotations

import ast
from pathlib import Path

from migrate_lint.paths import read_text
from migrate_lint.revisions.discover import History
from migrate_lint.revisions.migration import SQL_WRAPPERS
from migrate_lint.sql.timeouts import Timeout, from_options, from_statement

EXECUTES = ("execute", "exec_driver_sql")  # op.execute, connection.execute, context.execute, ...


def env_lock_timeout(history: History) -> Timeout | None:
    """The lock_timeout every revision runs under, if env.py or alembic.ini sets one."""
    env = history.script_location / "env.py"
    found = _from_env(env) if env.is_file() else None
    if found is None:
        ini, url = _ini_url(history)
        found = from_options(url, f"{ini} sqlalchemy.url") if url else None
    return found


def _ini_url(history: History) -> tuple[str, str | None]:
    """alembic.ini's sqlalchemy.url: as discovery read it, else from the ini next to the history."""
    if history.ini is not None:
        return history.ini.name, history.ini_url
    import configparser

    for ini in (history.script_location / "alembic.ini", history.script_location.parent / "alembic.ini"):
        if ini.is_file():
            parser = configparser.ConfigParser(defaults={"here": str(ini.parent)})
            try:
                parser.read(ini, encoding="utf-8")
                return ini.name, parser.get(history.section or "alembic", "sqlalchemy.url", fallback=None)
            except (configparser.Error, UnicodeDecodeError):
                return ini.name, None
    return "alembic.ini", None


def _from_env(path: Path) -> Timeout | None:
    try:
        tree = ast.parse(read_text(path, errors="strict"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 1)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in EXECUTES and node.args:
            text = _literal(node.args[0])
            if text is not None and (found := from_statement(text, where)) is not None:
                return found
        options = _options(node)
        if options is not None and (found := from_options(options, where)) is not None:
            return found
    return None


def _literal(node: ast.expr) -> str | None:
    """A SQL string: a literal, or text("...") / sa.text("...") of one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args and getattr(node.func, "attr", getattr(node.func, "id", "")) \
            in SQL_WRAPPERS:
        return _literal(node.args[0])
    return None


def _options(node: ast.AST) -> str | None:
    """libpq options: connect_args={"options": "-c lock_timeout=2s"}, options="...", or a URL literal."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "options":
                return _literal(value)
    if isinstance(node, ast.keyword) and node.arg == "options":
        return _literal(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "://" in node.value:
        return node.value if "options=" in node.value else None
    return None
