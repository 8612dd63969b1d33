"""Scratch databases on the real PostgreSQL and MariaDB servers of the machine.

In CI (CI set) a missing server fails the test; elsewhere the test is skipped with the reason."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

SERVERS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mariadb+pymysql://root@127.0.0.1:3306/mysql",
}


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
    return engine


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
