"""Scratch databases: a database this run creates, uses and always drops; never anyone else's."""

from __future__ import annotations

import secrets
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.database import lifecycle
from migrate_lint.errors import UserError

if TYPE_CHECKING:
    import sqlalchemy as sa

PREFIX = lifecycle.PREFIX
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


class _Signals:
    """SIGINT and SIGTERM (a cancelled CI job) unwind like Ctrl-C, so the scratch database is still
    dropped; while it is being created or dropped, a signal (a second Ctrl-C, the CI runner's
    SIGTERM after its SIGINT) is held until that is done, then acted on."""

    def __init__(self) -> None:
        self.holding = False
        self.pending = False

    def stop(self, signum: int, frame: Any) -> None:
        if self.holding:
            self.pending = True
            return
        raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[None]:
        try:
            previous = {s: signal.signal(s, self.stop) for s in (signal.SIGINT, signal.SIGTERM)}
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    @contextmanager
    def held(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False


@dataclass(frozen=True)
class Scratch:
    url: sa.URL  # the scratch database, as the login revisions run as
    confined: bool  # True: a throwaway login that can reach only this database
    login: str | None = None  # the URL's own login, when not confined
    admin: Any = None  # the URL's engine (never handed to the project's code)

    def outside(self) -> list[str]:
        """What the throwaway login created outside the scratch database (dropped at cleanup)."""
        if self.admin is None or not self.confined:
            return []
        return lifecycle.outside(self.admin, str(self.url.database), str(self.url.username))


@contextmanager
def scratch(server_url: str | None, allow_url_rights: bool = False) -> Iterator[Scratch]:
    """A new, empty database and a throwaway login that owns it and can reach nothing else, both
    dropped when the block ends, however it ends.

    No server URL: a temporary SQLite file. A PostgreSQL or MySQL/MariaDB URL names a server (and
    the database to connect to for administration); the database it names is never migrated. If the
    URL's login cannot create the throwaway login, this stops with the reason unless
    `allow_url_rights`: then the scratch database is used with the URL's own login."""
    import sqlalchemy as sa

    signals = _Signals()
    with signals.installed():
        if server_url is None:
            with tempfile.TemporaryDirectory(prefix="migrate-lint-") as folder:
                yield Scratch(sa.make_url(f"sqlite:///{Path(folder) / 'scratch.db'}"), True)
            return
        url = _server_url(server_url)
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        database, role = lifecycle.names()
        password = secrets.token_urlsafe(24)
        with signals.held():
            made = _create(admin, url, database, role, password, allow_url_rights)
        try:
            if signals.pending:  # stopped while the database was being created: run nothing in it
                raise KeyboardInterrupt
            yield made
        except BaseException:  # the failure in flight is the one to report, not a failed drop
            with signals.held():
                _drop(admin, database, role if made.confined else None)
            raise
        with signals.held():
            problem = _drop(admin, database, role if made.confined else None)
        if problem:
            raise DatabaseError(problem)
        if signals.pending:
            raise KeyboardInterrupt


def _create(admin: sa.Engine, url: sa.URL, database: str, role: str, password: str,
            allow_url_rights: bool) -> Scratch:
    import sqlalchemy as sa

    try:
        try:
            lifecycle.create(admin, database, role, password)
            return Scratch(url.set(database=database, username=role, password=password), True, None, admin)
        except sa.exc.SQLAlchemyError as exc:
            if not _is_permission(exc) or not allow_url_rights:
                if _is_permission(exc):
                    raise DatabaseError(
                        f"the login {url.username} on {describe(url)} cannot create roles or users "
                        f"({_first_line(exc)}); drift runs revisions as a throwaway login that can reach "
                        "only its scratch database. Use a login that can create them, or pass "
                        "--allow-url-rights to run them with this login's own rights") from None
                raise
        lifecycle.create_database_only(admin, database)
        return Scratch(url.set(database=database), False, url.username or "?")
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        raise DatabaseError(f"cannot create a scratch database on {describe(url)}: "
                            f"{_first_line(exc)}") from None


def _is_permission(exc: BaseException) -> bool:
    """The server refused for lack of a privilege (PostgreSQL 42501, MySQL 1227 and its kin)."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code == "42501":
        return True
    number = getattr(orig, "args", (None,))[0] if orig is not None else None
    return number in (1044, 1045, 1142, 1227, 1410)


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


def _drop(admin: sa.Engine, database: str, role: str | None) -> str | None:
    """Drop the scratch database and its login; a message when that failed."""
    import sqlalchemy as sa

    try:
        lifecycle.drop(admin, database, role)
    except sa.exc.SQLAlchemyError as exc:
        return f"could not drop the scratch database {database}: {_first_line(exc)}; drop it by hand"
    finally:
        admin.dispose()
    return None


def clean_stale(server_url: str | None) -> list[str]:
    """Drop the scratch databases and logins on the server that were left behind (older than an
    hour, their creator gone); their names."""
    import sqlalchemy as sa

    if server_url is None:
        raise DatabaseError("--clean-stale needs --database-url: the server to clean")
    url = _server_url(server_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        return lifecycle.clean_stale(admin)
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseError(f"cannot clean {describe(url)}: {_first_line(exc)}") from None
    finally:
        admin.dispose()
