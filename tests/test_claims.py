"""What rule messages and docs claim about the servers, checked on the real ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.servers import scratch_database


@contextmanager
def sqlite_database(path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()


def add_not_null_column(engine: sa.Engine, rows: int) -> tuple[bool, list[tuple[object, ...]]]:
    """ADD COLUMN ... NOT NULL with no default on a table of `rows` rows: (it worked, the values)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE posts (id INTEGER PRIMARY KEY)")
        for number in range(rows):
            connection.exec_driver_sql(f"INSERT INTO posts (id) VALUES ({number + 1})")
        connection.commit()
        try:
            connection.exec_driver_sql("ALTER TABLE posts ADD COLUMN slug VARCHAR(20) NOT NULL")
            connection.commit()
        except sa.exc.DBAPIError:
            connection.rollback()
            return False, []
        return True, list(connection.exec_driver_sql("SELECT slug FROM posts"))


@pytest.mark.parametrize("server", ["postgresql", "mariadb", "sqlite"])
def test_ml301_adding_not_null_without_default(server, tmp_path):
    """ML301's claims: it fails as soon as the table has a row (PostgreSQL, SQLite), passes on an
    empty table (so tests on an empty database pass), and MariaDB fills an implicit value."""
    def fresh(name: str):  # type: ignore[no-untyped-def]
        return sqlite_database(tmp_path / f"{name}.db") if server == "sqlite" else scratch_database(server)

    with fresh("empty") as engine:
        assert add_not_null_column(engine, 0) == (True, [])
    with fresh("rows") as engine:
        worked, values = add_not_null_column(engine, 2)
    if server == "mariadb":
        assert worked and values == [("",), ("",)]
    else:
        assert not worked
