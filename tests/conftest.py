"""Shared fixtures: the catalogue, and running a check on a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from migrate_lint.catalog import Catalog, load_catalog
from migrate_lint.finding import Report
from migrate_lint.lint import run
from tests import installed

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Tests (and the commands they start) cache into a folder of their own, never the user's."""
    os.environ["MIGRATE_LINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session", autouse=True)
def nothing_left_on_the_servers():
    """After the whole session, no scratch database or throwaway login of ours is left on a server
    any test used (issue 13)."""
    from tests import servers

    yield
    left = servers.left_behind()
    assert not left, f"left behind on the servers: {', '.join(left)}"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def check_dir():
    """Run `check` on a folder the way the CLI does, from inside it, and return the Report.

    Rendering to SQL is off unless asked for: most tests are about the AST layer, and each
    rendering run starts worker processes."""

    def _check(folder: Path, *paths: str, execute: bool = False, base: str | None = None,
               config: Path | None = None, **overrides: object) -> Report:
        previous = Path.cwd()
        os.chdir(folder)
        try:
            targets = [Path(p) for p in paths] or [Path(".")]
            return run.check(targets, config, overrides, execute=execute, base=base).report
        finally:
            os.chdir(previous)

    return _check


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout, built once per session."""
    return installed.build_wheel(tmp_path_factory.mktemp("wheel") / "dist")


@pytest.fixture(scope="session")
def installed_migrate_lint(wheel: Path, tmp_path_factory) -> Path:
    """`migrate-lint` as `pip install migrate-lint` gives it: the wheel, not editable, in a fresh venv
    with nothing but its declared dependencies. The path to that venv's `migrate-lint` script."""
    return installed.install(tmp_path_factory.mktemp("installed") / "venv", wheel) / "migrate-lint"


@pytest.fixture(scope="session")
def installed_in_flask_project(wheel: Path, tmp_path_factory) -> Path:
    """The same wheel in a Flask-Migrate project's venv (the example app's dependencies beside it),
    for commands that import the app, such as drift."""
    folder = tmp_path_factory.mktemp("installed-flask") / "venv"
    return installed.install(folder, wheel, *installed.EXAMPLE_DEPENDENCIES) / "migrate-lint"
