"""The code habits, enforced in CI: ruff clean and mypy clean, as a contributor runs them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "migrate_lint", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = run("mypy")  # [tool.mypy] in pyproject.toml: the package, for Python 3.11
    assert result.returncode == 0, result.stdout + result.stderr
