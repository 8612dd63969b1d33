"""The database the project's own compose files run: the image of each database service in
docker-compose.yml, compose.yaml and their variants, at the root and one folder below (examples/,
docker/, backend/), read as text. Used only when the dependencies do not settle the dialect."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_file

# the image's last path part, before its tag: postgres:16, bitnami/postgresql, postgis/postgis, mariadb:11
IMAGE = re.compile(r"""(?m)^\s*image\s*:\s*["']?(?:[\w.:-]+/)*([\w.-]+?)(?:[:@][^\s"']*)?["']?\s*(?:#.*)?$""")
DATABASES = {"postgres": "postgresql", "postgresql": "postgresql", "postgis": "postgresql",
             "timescaledb": "postgresql", "timescaledb-ha": "postgresql",
             "mysql": "mysql", "mysql-server": "mysql", "percona": "mysql", "percona-server": "mysql",
             "mariadb": "mariadb"}
SKIP = frozenset({"node_modules", "venv", ".venv", "site-packages", ".git"})
MAX_BYTES = 1 << 20


def is_compose_file(name: str) -> bool:
    """docker-compose.yml, compose.yaml, docker-compose.test.yml and the like."""
    lowered = name.lower()
    return lowered.startswith(("docker-compose", "compose")) and lowered.endswith((".yml", ".yaml"))


def _compose_files(root: Path) -> list[Path]:
    folders = [root, *sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIP)]
    return [path for folder in folders for path in sorted(folder.iterdir()) if is_compose_file(path.name)]


def _databases(path: Path) -> set[str]:
    try:
        text = read_file(path, MAX_BYTES).decode("utf-8", "replace")  # never a FIFO or /dev/zero
    except OSError:
        return set()
    return {DATABASES[m[1].lower()] for m in IMAGE.finditer(text) if m[1].lower() in DATABASES}


@cache
def compose_dialect(root: str) -> tuple[str, str]:
    """(dialect, where) when the compose files run one database more often than any other, counted
    once per file: romm's example and test files run MariaDB, while its development file runs
    PostgreSQL beside it for a login service. ("", "") when none runs a database or it is a tie."""
    try:
        files = _compose_files(Path(root))
    except OSError:
        return "", ""
    counts: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for path in files:
        for dialect in _databases(path):
            counts[dialect] += 1
            where.setdefault(dialect, []).append(path.relative_to(root).as_posix())
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return "", ""
    dialect = ranked[0][0]
    named = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}[dialect]
    return dialect, f"{', '.join(where[dialect])} run{'s' if len(where[dialect]) == 1 else ''} {named}"
