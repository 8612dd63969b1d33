"""Live databases someone else owns (drift --live-url, stats): opened so the server refuses writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    SQLite library itself; a URL that does not parse, or whose driver is missing, is a one-line
    usage error (scratch.parse_url)."""
    from urllib.parse import quote

    from migrate_lint.database.scratch import parse_url

    url = parse_url(text, option)
    shown = url
    if url.get_backend_name() == "sqlite" and url.database:
        # quoted: in a URI a `#` or `?` in the path would start a fragment or query, and SQLite
        # would then open (and create) another file, without mode=ro
        path = quote(url.database, safe="/:")
        url = url.set(database=f"file:{path}?mode=ro", query={**url.query, "uri": "true"})
    return url, shown
