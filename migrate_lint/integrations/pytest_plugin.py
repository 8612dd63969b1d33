"""pytest plugin: assert "no new findings, no drift" in a project's own test suite.

    def test_migrations_are_safe(migrate_lint):
        migrate_lint.assert_clean(migrate_lint.check())

    def test_models_match_migrations(migrate_lint):
        migrate_lint.assert_clean(migrate_lint.drift(app="app", database_url=...))

Registered through the pytest11 entry point; `--migrate-lint-database-url` (or the ini option
`migrate_lint_database_url`) gives drift a server for its scratch database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from migrate_lint.errors import UserError
from migrate_lint.finding import Report, Severity


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--migrate-lint-database-url", default=None,
                     help="migrate-lint drift: the server to create scratch databases on")
    parser.addini("migrate_lint_database_url", "migrate-lint drift: the server for scratch databases",
                  default="")


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """An input problem (an unreachable server, a bad config) fails the test with the one line the
    command would print, not with the tool's traceback."""
    try:
        yield
    except UserError as exc:
        pytest.fail(f"migrate-lint: {exc.describe()}", pytrace=False)


@dataclass
class MigrateLint:
    root: Path
    database_url: str | None

    def check(self, *paths: str | Path, base: str | None = None, execute: bool = True,
              **overrides: Any) -> Report:
        """`migrate-lint check` on the project (or the given paths); config overrides as keywords."""
        from migrate_lint.lint.run import check

        targets = [self.root / p for p in paths] or [self.root]
        with _one_line_errors():
            return check(targets, None, overrides, execute=execute, base=base).report

    def drift(self, *paths: str | Path, app: str | None = None, metadata: str | None = None,
              database_url: str | None = None, roundtrip: bool = False, **overrides: Any) -> Report:
        """`migrate-lint drift` on a scratch database (SQLite unless a server URL is configured)."""
        from migrate_lint.drift.run import DriftOptions, drift

        options = DriftOptions(app, metadata, database_url or self.database_url, None, roundtrip)
        # no paths: the Flask app's own migrations directory, else the project root
        targets = [self.root / p for p in paths] or ([] if app else [self.root])
        with _one_line_errors():
            return drift(targets, None, overrides, options).report

    @staticmethod
    def assert_clean(report: Report, fail_on: str = "warning") -> None:
        """Fail the test with the findings, as `migrate-lint check` prints them, if any reach fail_on."""
        from migrate_lint.formatters.text_format import render

        threshold = Severity.parse(fail_on)
        failing = report.at_or_above(threshold)
        if failing or report.errors:
            pytest.fail(render(Report(failing, errors=report.errors, files_checked=report.files_checked)),
                        pytrace=False)


@pytest.fixture
def migrate_lint(request: pytest.FixtureRequest) -> MigrateLint:
    """migrate-lint's check and drift, rooted at the folder pytest runs from (its rootdir)."""
    url = request.config.getoption("--migrate-lint-database-url") or request.config.getini(
        "migrate_lint_database_url") or None
    return MigrateLint(Path(request.config.rootpath), url)
