"""`flask migrate-lint check|drift`: the same commands beside `flask db`, with the app Flask loaded."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.group("migrate-lint")
def lint() -> None:
    """Check Alembic revisions and drift with migrate-lint (`migrate-lint --help` for options)."""


def _directory() -> list[str]:
    """Flask-Migrate's migrations directory, the history `flask db` uses."""
    migrate = current_app.extensions.get("migrate")
    directory = getattr(migrate, "directory", None)
    return [str(Path(current_app.root_path) / directory)] if directory else []


@lint.command("check", context_settings=PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def check(args: tuple[str, ...]) -> None:
    """Lint the app's migrations (Flask-Migrate's directory when no arguments are given)."""
    from migrate_lint.cli import main

    sys.exit(main(["check", *args, *([] if _names_paths(args) else _directory())]))


def _names_paths(args: tuple[str, ...]) -> bool:
    """Whether the arguments name folders or files to check, as `migrate-lint check` reads them: with
    options only (`--ignore ML101`), the app's own migrations are still the ones checked. Arguments
    the command line rejects count as naming paths: it reports them itself."""
    import contextlib
    import io

    from migrate_lint.cli import _parser

    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            parsed = _parser("check").parse_args(["check", *args])
    except SystemExit:
        return True
    return bool(parsed.paths)


@lint.command("drift", context_settings=PASS_THROUGH)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def drift(args: tuple[str, ...]) -> None:
    """Upgrade a scratch database and compare it with this app's models (its Flask-Migrate history)."""
    from migrate_lint.cli import main

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sys.exit(main(["drift", *args], flask_app=app))
