"""Throwaway logins: a scratch database and a role (PostgreSQL) or user (MySQL/MariaDB) that can reach
only it, created together, dropped together, and named so that leftovers are found and cleaned.

Names carry the creator's pid and creation time (base 36, short enough for MySQL's 32-character user
names): `migrate_lint_scratch_<pid>_<time>_<random>` for the database and `migrate_lint_r_<...>` for
the login. Shared by `drift` and whatever else runs revisions against a server (`trace`)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

PREFIX = "migrate_lint_scratch_"
ROLE_PREFIX = "migrate_lint_r_"
STALE_AFTER = 3600  # seconds: an hour-old scratch database whose creator is gone is a leftover
NAME = re.compile(rf"^(?:{PREFIX}|{ROLE_PREFIX})([0-9a-z]+)_([0-9a-z]+)_[0-9a-f]+$")
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = DIGITS[digit] + text
        if not number:
            return text


def names(pid: int | None = None, created: int | None = None) -> tuple[str, str]:
    """(database, login) for a new scratch pair owned by `pid` (this process) created at `created`."""
    suffix = (f"{_base36(os.getpid() if pid is None else pid)}_"
              f"{_base36(int(time.time()) if created is None else created)}_{secrets.token_hex(2)}")
    return PREFIX + suffix, ROLE_PREFIX + suffix


def parse(name: str) -> tuple[int, int] | None:
    """(creator pid, creation time) of a scratch database or login name; None if it is not one."""
    match = NAME.match(name)
    return (int(match.group(1), 36), int(match.group(2), 36)) if match else None


def is_postgresql(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _quote(engine: sa.Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote_identifier(name)


def _account(engine: sa.Engine, connection: sa.Connection, role: str, host: str | None = None) -> str:
    """'user'@'host' for MySQL/MariaDB: the host the server sees this client as, so that the new
    user matches exactly the connections drift will make (and nothing else)."""
    if host is None:
        host = str(connection.exec_driver_sql("SELECT USER()").scalar()).rpartition("@")[2]
    return f"'{role}'@'{host}'"


def create(admin: sa.Engine, database: str, role: str, password: str) -> None:
    """The scratch database and a login that owns it and nothing else; all or nothing: a failure
    drops whatever was created and re-raises (the server's error says why)."""
    created: list[str] = []
    try:
        with admin.connect() as connection:
            db = _quote(admin, database)
            if is_postgresql(admin):
                connection.exec_driver_sql(
                    f"CREATE ROLE {_quote(admin, role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    f"NOREPLICATION NOBYPASSRLS PASSWORD '{password}'")
                created.append("role")
                superuser = connection.exec_driver_sql(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
                if not superuser:  # a CREATEROLE login must be a member to hand the database over
                    connection.exec_driver_sql(f"GRANT {_quote(admin, role)} TO CURRENT_USER")
                connection.exec_driver_sql(f"CREATE DATABASE {db} OWNER {_quote(admin, role)}")
                created.append("database")
                connection.exec_driver_sql(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC")
            else:
                account = _account(admin, connection, role)
                connection.exec_driver_sql(f"CREATE USER {account} IDENTIFIED BY '{password}'")
                created.append("role")
                connection.exec_driver_sql(f"CREATE DATABASE {db}")
                created.append("database")
                # `_` is a wildcard in database-level grants: escaped, the grant names this one only
                escaped = database.replace("_", r"\_")
                connection.exec_driver_sql(f"GRANT ALL PRIVILEGES ON `{escaped}`.* TO {account}")
    except BaseException:
        if created:
            drop(admin, database if "database" in created else None, role)
        raise


def create_database_only(admin: sa.Engine, database: str) -> None:
    """The scratch database alone, for a login that may not create roles (--allow-url-rights)."""
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {_quote(admin, database)}")


def drop(admin: sa.Engine, database: str | None, role: str | None) -> list[str]:
    """Drop the scratch database and its login: the login first loses the right to log in, then its
    sessions end (a killed child's, or a grandchild's, can outlive it), then both go. What else had
    to be removed (objects the login created in other databases), as `database: what` lines."""
    removed: list[str] = []
    with admin.connect() as connection:
        if role and is_postgresql(admin):
            if connection.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).first():
                connection.exec_driver_sql(f"ALTER ROLE {_quote(admin, role)} NOLOGIN")
        elif role:
            for (host,) in connection.exec_driver_sql(
                    "SELECT Host FROM mysql.user WHERE User = %s", (role,)).fetchall():
                connection.exec_driver_sql(f"DROP USER IF EXISTS {_account(admin, connection, role, host)}")
        if role:
            _end_sessions(admin, connection, role)
        if database:
            force = " WITH (FORCE)" if is_postgresql(admin) else ""
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(admin, database)}{force}")
        if role and is_postgresql(admin):
            removed = _drop_owned_elsewhere(admin, connection, role)
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {_quote(admin, role)}")
    return removed


def _end_sessions(admin: sa.Engine, connection: sa.Connection, role: str) -> None:
    """A killed child's sessions can outlive it on the server (a query still running holds its locks)."""
    if is_postgresql(admin):
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        return
    ids = connection.exec_driver_sql(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (role,)).fetchall()
    for (session,) in ids:
        with contextlib.suppress(Exception):  # it ended on its own meanwhile
            connection.exec_driver_sql(f"KILL {int(session)}")


def outside(admin: sa.Engine, database: str, role: str) -> list[str]:
    """What the login owns or was granted outside its scratch database, as `database: N object(s)`
    (PostgreSQL, where a schema lets PUBLIC create, as `public` did before version 15; a MySQL or
    MariaDB user with rights on one database has nothing of its own elsewhere)."""
    if not is_postgresql(admin):
        return []
    with admin.connect() as connection:
        return [f"{datname}: {count} object(s)" for datname, count in _owned(connection, role)
                if datname != database]


def _owned(connection: sa.Connection, role: str) -> list[tuple[str, int]]:
    rows = connection.exec_driver_sql(
        "SELECT d.datname, count(*) FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid "
        "WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = "
        "(SELECT oid FROM pg_roles WHERE rolname = %s) GROUP BY d.datname ORDER BY 1", (role,)).fetchall()
    return [(str(name), int(count)) for name, count in rows]


def _drop_owned_elsewhere(admin: sa.Engine, connection: sa.Connection, role: str) -> list[str]:
    """Objects the role owns or was granted in other databases: dropped there (DROP ROLE would
    refuse otherwise), and said."""
    import sqlalchemy as sa

    rows = _owned(connection, role)
    removed = []
    for datname, count in rows:
        engine = sa.create_engine(admin.url.set(database=datname), isolation_level="AUTOCOMMIT",
                                  poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as there:
                there.exec_driver_sql(f"DROP OWNED BY {_quote(admin, role)}")
        finally:
            engine.dispose()
        removed.append(f"{datname}: {count} object(s)")
    return removed


def prefixed(admin: sa.Engine) -> list[tuple[str, str]]:
    """Every scratch database and login on the server, as (name, "database" | "role")."""
    with admin.connect() as connection:
        if is_postgresql(admin):
            databases = connection.exec_driver_sql("SELECT datname FROM pg_database").scalars().all()
            roles = connection.exec_driver_sql("SELECT rolname FROM pg_roles").scalars().all()
        else:
            databases = connection.exec_driver_sql("SHOW DATABASES").scalars().all()
            roles = connection.exec_driver_sql("SELECT DISTINCT User FROM mysql.user").scalars().all()
    return ([(str(n), "database") for n in databases if str(n).startswith(PREFIX)]
            + [(str(n), "role") for n in roles if str(n).startswith(ROLE_PREFIX)])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def stale(admin: sa.Engine, now: float | None = None) -> list[tuple[str, str]]:
    """Scratch databases and logins older than STALE_AFTER that nothing owns: their creator is no
    live process here, and no session uses them (a run on another machine has sessions)."""
    now = time.time() if now is None else now
    busy = _in_use(admin)
    found = []
    for name, kind in prefixed(admin):
        owner = parse(name)
        if owner is not None and now - owner[1] > STALE_AFTER and not alive(owner[0]) and name not in busy:
            found.append((name, kind))
    return found


def _in_use(admin: sa.Engine) -> set[str]:
    """Databases and logins with a session on the server now."""
    with admin.connect() as connection:
        query = ("SELECT datname, usename FROM pg_stat_activity" if is_postgresql(admin)
                 else "SELECT DB, USER FROM information_schema.PROCESSLIST")
        return {str(v) for row in connection.exec_driver_sql(query) for v in row if v is not None}


def clean_stale(admin: sa.Engine) -> list[str]:
    """Drop the stale ones; their names."""
    dropped = []
    for name, kind in stale(admin):
        drop(admin, name if kind == "database" else None, name if kind == "role" else None)
        dropped.append(name)
    return dropped
