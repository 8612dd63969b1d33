"""What a database URL's scheme names: `postgresql+psycopg://` is PostgreSQL, `mysql+pymysql://` MySQL.
One table for every reader of URLs (alembic.ini, Flask configs, READMEs)."""

from __future__ import annotations

import re

SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "psycopg": "postgresql",
           "mysql": "mysql", "mariadb": "mariadb", "sqlite": "sqlite"}
# databases migrate-lint does not check for, but whose URL still says "not the ones above"
OTHER_DATABASES = ("mssql", "oracle")
_SCHEME = re.compile(r"^\s*([A-Za-z][\w.+-]*):")


def scheme_dialect(scheme: str) -> str | None:
    """The dialect a URL scheme (`postgresql+psycopg`, `postgres`) names, or None."""
    return SCHEMES.get(scheme.split("+")[0].lower())


def url_dialect(url: str) -> str | None:
    """The dialect a database URL names by its scheme (`postgresql+psycopg://`), or None."""
    match = _SCHEME.match(url)
    return scheme_dialect(match.group(1)) if match else None
