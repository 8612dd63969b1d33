"""Scratch databases on the real PostgreSQL and MariaDB servers of the machine.

In CI (CI set) a missing server fails the test; elsewhere the test is skipped with the reason."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from migrate_lint.database import lifecycle

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mariadb+pymysql://root@127.0.0.1:3306/mysql",
}


# server -> the scratch databases and logins it had when this session first used it
BEFORE: dict[str, set[str]] = {}


def server_engine(name: str) -> sa.Engine:
    engine = sa.create_engine(SERVERS[name], isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        reason = f"{name} server at {SERVERS[name]} is not reachable: {str(exc).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    if name not in BEFORE:
        BEFORE[name] = {n for n, _ in lifecycle.prefixed(engine)}
    return engine


def left_behind() -> list[str]:
    """Scratch databases and logins that appeared during this session and whose creator is gone
    (this process, or a finished `migrate-lint` it started): what the suite must never leave.
    Others' runs on the same server (a live creator, or there before us) are not ours to judge."""
    found = []
    for name, before in BEFORE.items():
        engine = sa.create_engine(SERVERS[name], isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            now = lifecycle.prefixed(engine)
        finally:
            engine.dispose()
        for item, kind in now:
            owner = lifecycle.parse(item)
            if item in before or owner is None:
                continue
            if owner[0] == os.getpid() or not lifecycle.alive(owner[0]):
                found.append(f"{name} {kind} {item}")
    return found


@contextmanager
def scratch_database(name: str) -> Iterator[sa.Engine]:
    """A new, uniquely named database, dropped afterwards: never anyone else's data."""
    admin = server_engine(name)
    database = f"ml_test_{uuid.uuid4().hex[:12]}"
    quote = '"' if name == "postgresql" else "`"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {quote}{database}{quote}")
    url = sa.make_url(SERVERS[name]).set(database=database)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{database}{quote}")
        admin.dispose()
