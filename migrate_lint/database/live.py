"""Live databases someone else owns (drift --live-url, stats): opened so the server refuses writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from migrate_lint.errors import UserError

if TYPE_CHECKING:
    import sqlalchemy as sa


def read_only(connection: sa.Connection) -> None:
    """Every statement of this session is refused a write by the server itself."""
    name = connection.dialect.name
    if name == "postgresql":
        connection.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif name in ("mysql", "mariadb"):
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        connection.exec_driver_sql("START TRANSACTION READ ONLY")


def live_url(text: str, option: str = "--live-url") -> tuple[sa.URL, sa.URL]:
    """(the URL to connect with, the URL to show): a SQLite file is opened read-only by the
    SQLite library itself; a URL that does not parse is a one-line usage error."""
    import sqlalchemy as sa

    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        raise UserError(f"{option} is not a database URL") from None  # the text may hold a password
    shown = url
    if url.get_backend_name() == "sqlite" and url.database:
        url = url.set(database=f"file:{url.database}?mode=ro", query={**url.query, "uri": "true"})
    return url, shown
