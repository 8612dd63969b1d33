"""The engine guard: while the project's code runs (its app or models being imported, env.py, the
revisions), SQLAlchemy connects to the scratch database only, as the login drift gave it, or nowhere.

A tripwire, not the wall: the wall is the throwaway login (lifecycle). The guard stops the common
ways out, an engine built from the environment or the app's own URL, before they connect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa

# create_engine() keywords that could point an engine for the scratch URL somewhere else
REDIRECTS = ("connect_args", "creator", "async_creator")


class OutsideScratch(RuntimeError):
    """Code asked for a database other than the scratch one (raised inside that code)."""


def _key(url: sa.URL) -> tuple[Any, ...]:
    return (url.get_backend_name(), url.username, url.host, url.port, url.database,
            tuple(sorted((k, str(v)) for k, v in url.query.items())))


@contextmanager
def only(allowed: sa.URL | None, strict: bool = True) -> Iterator[None]:
    """Refuse every connection but to `allowed` (None: refuse all). `strict` also refuses building
    an engine for any other URL, or one whose connection arguments could lead elsewhere; importing
    an app must stay able to build engines (Flask-SQLAlchemy does at init_app) but not connect."""
    import sqlalchemy
    import sqlalchemy.engine
    import sqlalchemy.engine.create as create
    from sqlalchemy.engine.base import Engine

    from migrate_lint.database.scratch import describe

    def refuse(wanted: sa.URL, why: str = "") -> OutsideScratch:
        return OutsideScratch(f"asked for another database ({describe(wanted)}) than the scratch one{why}; "
                              "refused before connecting")

    original_create, original_raw = create.create_engine, Engine.raw_connection

    def guarded_create(target: Any, *args: Any, **kwargs: Any) -> Any:
        wanted = sqlalchemy.make_url(target)
        if allowed is None or _key(wanted) != _key(allowed):
            raise refuse(wanted)
        if any(kwargs.get(k) for k in REDIRECTS):
            raise refuse(wanted, " (with its own connection arguments)")
        return original_create(target, *args, **kwargs)

    def guarded_raw(self: Engine) -> Any:
        if allowed is None or _key(self.url) != _key(allowed):
            raise refuse(self.url)
        return original_raw(self)

    modules = (sqlalchemy, sqlalchemy.engine, create)
    if strict:
        for module in modules:
            module.create_engine = guarded_create  # type: ignore[attr-defined]
    Engine.raw_connection = guarded_raw  # type: ignore[method-assign]
    try:
        yield
    finally:
        Engine.raw_connection = original_raw  # type: ignore[method-assign]
        if strict:
            for module in modules:
                module.create_engine = original_create  # type: ignore[attr-defined]
