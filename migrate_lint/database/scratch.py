"""Scratch databases: a database this run creates, uses and always drops; never anyone else's."""

from __future__ import annotations

import signal
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.errors import UserError

if TYPE_CHECKING:
    import sqlalchemy as sa

PREFIX = "migrate_lint_scratch_"
SERVER_DIALECTS = ("postgresql", "mysql", "mariadb")


class DatabaseError(UserError):
    """A database that cannot be reached or created: exit 2, one line, no traceback."""


def describe(url: sa.URL) -> str:
    """A URL fit for messages: never its password, in its user part or its query."""
    from migrate_lint.errors import redact

    return redact(url.render_as_string(hide_password=True))


def error_text(exc: BaseException) -> str:
    """The first line of what the database (the DBAPI error SQLAlchemy wraps) said; "" if nothing."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else ""


def _first_line(exc: BaseException) -> str:
    return error_text(exc) or type(exc).__name__


@contextmanager
def _terminations_as_exits() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so the scratch database is still dropped."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def scratch_url(server_url: str | None) -> Iterator[sa.URL]:
    """The URL of a new, empty database, dropped when the block ends, however it ends.

    No server URL: a temporary SQLite file. A PostgreSQL or MySQL/MariaDB URL names a server (and
    the database to connect to for administration); a new database with a unique name is created
    beside it. The database the URL names is never migrated."""
    import sqlalchemy as sa

    with _terminations_as_exits():
        if server_url is None:
            with tempfile.TemporaryDirectory(prefix="migrate-lint-") as folder:
                yield sa.make_url(f"sqlite:///{Path(folder) / 'scratch.db'}")
            return
        url = _server_url(server_url)
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
        quoted = admin.dialect.identifier_preparer.quote_identifier(name)
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
        except sa.exc.SQLAlchemyError as exc:
            admin.dispose()
            raise DatabaseError(f"cannot create a scratch database on {describe(url)}: "
                                f"{_first_line(exc)}") from None
        try:
            yield url.set(database=name)
        except BaseException:
            _drop(admin, quoted)  # the failure in flight is the one to report
            raise
        problem = _drop(admin, quoted)
        if problem:
            raise DatabaseError(problem)


# The package that provides each SQLAlchemy driver, and a driver to suggest instead.
DRIVER_PACKAGES = {
    "mysqldb": "mysqlclient", "pymysql": "PyMySQL", "mysqlconnector": "mysql-connector-python",
    "mariadbconnector": "mariadb", "asyncmy": "asyncmy", "aiomysql": "aiomysql",
    "psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "psycopg2cffi": "psycopg2cffi",
    "pg8000": "pg8000", "asyncpg": "asyncpg",
}
ALTERNATIVES = {"mysql": "mysql+pymysql:// with PyMySQL", "mariadb": "mariadb+pymysql:// with PyMySQL",
                "postgresql": "postgresql+psycopg:// with psycopg[binary]"}


def parse_url(value: str, flag: str) -> sa.URL:
    """A database URL that drift can use, whose driver can be loaded; else a one-line error saying
    what is wrong or what to install."""
    import sqlalchemy as sa

    try:
        url = sa.make_url(value)
    except (sa.exc.ArgumentError, ValueError) as exc:  # a port that is not a number, say
        raise DatabaseError(f"{flag} {value!r} is not a database URL ({exc})") from None
    if flag == "--database-url" and url.get_backend_name() == "sqlite":
        raise DatabaseError("--database-url names a server; leave it out to use a temporary SQLite file")
    if flag == "--database-url" and url.get_backend_name() not in SERVER_DIALECTS:
        raise DatabaseError(f"--database-url: {url.get_backend_name()} is not supported "
                            f"(use one of {', '.join(SERVER_DIALECTS)})")
    try:
        url.get_dialect().import_dbapi()
    except sa.exc.NoSuchModuleError:
        raise DatabaseError(f"{flag} {value!r}: SQLAlchemy knows no database or driver by that "
                            "name") from None
    except ImportError as exc:
        driver = url.get_driver_name()
        package = DRIVER_PACKAGES.get(driver, f"the {driver} driver")
        other = ALTERNATIVES.get(url.get_backend_name())
        instead = f", or use {other} installed" if other and not other.startswith(url.drivername + ":") \
            else ""
        raise DatabaseError(f"{flag}: the {url.get_backend_name()} driver {driver!r} is not installed "
                            f"({exc}): install {package}{instead}") from None
    return url


def _server_url(value: str) -> sa.URL:
    return parse_url(value, "--database-url")


def _drop(admin: sa.Engine, quoted: str) -> str | None:
    """Drop the scratch database (closing other sessions on it first, as PostgreSQL requires);
    a message when that failed."""
    import sqlalchemy as sa

    force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}{force}")
    except sa.exc.SQLAlchemyError as exc:
        return f"could not drop the scratch database {quoted}: {_first_line(exc)}; drop it by hand"
    finally:
        admin.dispose()
    return None
