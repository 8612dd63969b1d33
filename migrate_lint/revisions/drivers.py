"""The database the project's declared dependencies point at: a PostgreSQL driver (psycopg,
asyncpg, ...) or a MySQL one (PyMySQL, mysqlclient, oslo.db[mysql], ...), read as text from the
dependency files at the project's root, never installed or run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from migrate_lint.paths import read_text

# .in: pip-tools' sources; environment.yml: a conda environment's packages (zesje's pymysql)
FILES = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile", "requirements*.txt", "*-requirements.txt",
         "requirements*.in", "requirements/*.txt", "requirements/*.in", "environment.yml", "environment.yaml")
DRIVERS = {
    "postgresql": frozenset({"psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary", "psycopg2cffi",
                             "asyncpg", "pg8000", "sqlalchemy[postgresql]", "sqlalchemy[asyncpg]",
                             "sqlalchemy[postgresql-psycopg2binary]", "sqlalchemy[postgresql-psycopg]",
                             "sqlalchemy[postgresql-psycopgbinary]", "sqlalchemy[postgresql-asyncpg]",
                             "sqlalchemy[postgresql-pg8000]", "sqlalchemy[postgresql-psycopg2cffi]"}),
    "mysql": frozenset({"pymysql", "mysqlclient", "mysql-connector-python", "mysql-connector", "aiomysql",
                        "asyncmy", "mariadb", "oslo.db[mysql]", "sqlalchemy[mysql]", "sqlalchemy[pymysql]",
                        "sqlalchemy[mysql-connector]", "sqlalchemy[mariadb-connector]",
                        "sqlalchemy[aiomysql]", "sqlalchemy[asyncmy]"}),
}
_NAME = r"(?<![\w.-])[A-Za-z][\w.-]*(?:\[[\w,.\s-]*\])?"
MAX_BYTES = 1 << 20


OSLO_RUNS_ON = "OpenStack's database layer, whose services run on MySQL or MariaDB"
# a requirement line of a project built on oslo.db, which its subprojects declare instead of it
# (tap-as-a-service declares neutron and neutron-lib); at a line's start only, as these names are
# words too (`etc/neutron/rootwrap.d`), or as the egg of a requirement from git
# (group-based-policy's `-e git+https://.../neutron.git@stable/queens#egg=neutron`)
_BUILT_ON_OSLO = re.compile(r"""(?m)(?:^\s*["']?|#egg=)(neutron(?:[-_]lib)?)\s*(?=[<>=!~;#\[,"']|$)""",
                            re.IGNORECASE)


def _names(text: str) -> set[str]:
    """Requirement-like words, lower case, with `_` as `-`, and each extra on its own."""
    found: set[str] = set()
    for word in re.findall(_NAME, text):
        word = word.lower().replace("_", "-")
        base, _, extras = word.partition("[")
        found.add(base)
        found.update(f"{base}[{extra.strip()}]" for extra in extras.rstrip("]").split(",") if extra.strip())
    return found


def dependency_files(root: str) -> Iterator[tuple[str, str]]:
    """(path relative to root, text) of each dependency file at the project's root, in FILES order."""
    base = Path(root)
    for pattern in FILES:
        for path in sorted(base.glob(pattern)):
            try:
                if not path.is_file() or path.stat().st_size > MAX_BYTES:
                    continue
                text = read_text(path)
            except OSError:
                continue
            yield path.relative_to(base).as_posix(), text


@cache
def declared_dialect(root: str) -> tuple[str, str]:
    """(dialect, where) when the dependency files declare drivers of one database only, or oslo.db
    with none or both (an OpenStack service: MySQL); ("", why) when they declare none or both."""
    seen: dict[str, str] = {}  # dialect -> the first file and driver that declares it
    oslo = ""  # why OpenStack's database layer: a file declares oslo.db, or a project built on it
    for where, text in dependency_files(root):
        names = _names(text)
        if not oslo and "oslo.db" in names:
            oslo = f"{where} declares oslo.db"
        elif not oslo and (built := _BUILT_ON_OSLO.search(text)):
            oslo = f"{where} declares {built[1].lower().replace('_', '-')}, which uses oslo.db"
        for dialect, drivers in DRIVERS.items():
            if dialect not in seen and (hit := sorted(names & drivers)):
                seen[dialect] = f"{where} declares {hit[0]}"
    if len(seen) == 1:
        (dialect, where), = seen.items()
        return dialect, f"{where}, a {'PostgreSQL' if dialect == 'postgresql' else 'MySQL'} driver, " \
                        "and no driver of another database"
    both = ", ".join(seen.values())
    if len(seen) > 1 and oslo:  # OpenStack tests on both; its services are deployed on MySQL/MariaDB
        return "mysql", f"{oslo}, {OSLO_RUNS_ON} (drivers of both databases are declared: {both})"
    if len(seen) > 1:
        return "", f"the dependencies declare drivers of several databases ({both})"
    if oslo:  # magnum declares oslo.db alone and leaves the driver to the deployment
        return "mysql", f"{oslo}, {OSLO_RUNS_ON}, and no database driver"
    return "", ""
