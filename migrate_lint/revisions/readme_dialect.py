"""The database a project's README sets it up with, where nothing else names one: the URL its
configuration example gives (stand's `database_url: mysql+pymysql://user:password@server/...`),
or the database client its setup steps run (tahiti's `mysql -u root -p ... -e "CREATE DATABASE
tahiti"`), when all of them name the same dialect. Read as text."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_file
from migrate_lint.revisions.database_url import OTHER_DATABASES, SCHEMES, scheme_dialect

_URL = re.compile(rf"(?i)\b((?:{'|'.join((*SCHEMES, *OTHER_DATABASES))})(?:\+\w+)?)://")
# a command line of a database's own client, with an option: `mysql -u root`, `psql -U postgres`
_CLIENT = re.compile(r"(?im)^[ \t>*$-]*(?:sudo\s+(?:-u\s+\S+\s+)?)?(mysql|mariadb|psql|createdb|sqlite3)\s+-")
_CLIENTS = {"mysql": "mysql", "mariadb": "mariadb", "psql": "postgresql", "createdb": "postgresql",
            "sqlite3": "sqlite"}
MAX_BYTES = 512_000


@cache
def readme_dialect(root: str) -> tuple[str, str] | None:
    """(dialect, where) of the one dialect that the database URLs and client commands of the README
    or INSTALL files at the project's root name; None where they name none, or several (a SQLite
    file to try it, PostgreSQL in production: no telling which the history runs on)."""
    try:
        names = sorted(n for n in os.listdir(root) if n.upper().startswith(("README", "INSTALL")))
    except OSError:
        return None
    found: dict[str, str] = {}
    for name in names:
        try:
            text = read_file(Path(root, name), MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        for match in _URL.finditer(text):
            dialect = scheme_dialect(match[1]) or match[1].lower()
            found.setdefault(dialect, f"{_line(name, text, match)} configures a {{}} URL")
        for match in _CLIENT.finditer(text):
            client = match[1]
            found.setdefault(_CLIENTS[client.lower()], f"{_line(name, text, match)} runs the {client} client")
    if len(found) != 1:
        return None
    dialect, where = next(iter(found.items()))
    return dialect, where.format(dialect)


def _line(name: str, text: str, match: re.Match[str]) -> str:
    return f"{name}:{text.count(chr(10), 0, match.start()) + 1}"
