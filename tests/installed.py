"""migrate-lint as users get it: the wheel built from this checkout, installed (not editable) into a
fresh venv, and run from a folder outside the repository.

Everything else in the suite runs the editable checkout, where the package sits in the repository and
the repository is on sys.path. An installed package sits in site-packages and nothing else is on its
path, which is where bugs like "the render worker lost site-packages" live. The helpers here start
processes only: they import nothing from migrate_lint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "blog"
# What a Flask-Migrate project has in its venv besides migrate-lint: the example app's dependencies.
EXAMPLE_DEPENDENCIES = ("flask", "flask-sqlalchemy", "flask-migrate")
# Variables that would put another Python's packages (the editable checkout) on the path.
LEAKS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")


def _run(args: list[str | Path], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=clean_environment())
    assert result.returncode == 0, f"{args}:\n{result.stdout}{result.stderr}"
    return result


def clean_environment(**extra: str) -> dict[str, str]:
    """The test run's environment without anything that points Python at other packages."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKS}
    env.update(extra)
    return env


def build_wheel(outdir: Path) -> Path:
    """`python -m build --wheel` on this checkout, as pip does for `pip install .`."""
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", outdir, REPO], cwd=outdir.parent)
    [wheel] = outdir.glob("migrate_lint-*.whl")
    return wheel


def install(folder: Path, *requirements: str | Path) -> Path:
    """A fresh venv with only `requirements` pip-installed (their dependencies come from the index),
    never the system's or this test environment's site-packages. Returns its bin folder."""
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(folder)
    bin_folder = folder / "bin"
    _run([bin_folder / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          *requirements], cwd=folder.parent)
    return bin_folder


def copy_example(target: Path) -> Path:
    """examples/blog copied to `target`, a folder that must lie outside the repository."""
    assert not target.resolve().is_relative_to(REPO), f"{target} is inside the repository"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.db"))
    return target


def run(command: list[str | Path], cwd: Path, cache: Path,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """One command, from `cwd`, with a private cache folder; exit codes are the caller's to check."""
    assert not cwd.resolve().is_relative_to(REPO), f"{cwd} is inside the repository"
    result = subprocess.run([str(a) for a in command], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=clean_environment(MIGRATE_LINT_CACHE_DIR=str(cache)))
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def editable() -> list[str | Path]:
    """The in-process reference: this test environment's editable package, `python -m migrate_lint`."""
    return [sys.executable, "-m", "migrate_lint"]
