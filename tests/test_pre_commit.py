"""The pre-commit hooks, run by the real pre-commit on throwaway repositories. pre-commit installs this
repository into a virtualenv of its own (not editable), as it does for users."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.installed import copy_example, editable, run
from tests.rulecases import git
from tests.test_history import write

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """Shared by the tests here, so that both hooks use one installed environment when they can."""
    return tmp_path_factory.mktemp("pre-commit-home")


def hook(hook_id: str, project: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(REPO), hook_id, "--files", *files],
                          cwd=project, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PRE_COMMIT_HOME": str(home)})


def test_hook_lints_changed_revisions_with_the_whole_graph(tmp_path, pre_commit_home):
    project = tmp_path / "project"
    write(project, "a1", None, 'op.execute("SELECT 1")')
    write(project, "b1", "a1", 'op.drop_column("users", "legacy")')
    write(project, "c1", "a1", 'op.execute("SELECT 2")')  # a second head beside b1
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "revisions")

    flagged = hook("migrate-lint", project, pre_commit_home, "migrations/versions/b1.py")
    assert flagged.returncode == 1, flagged.stdout + flagged.stderr
    assert "b1.py:7:5: ML201 [warning]" in flagged.stdout  # the file it was given
    assert "b1.py:3:1: ML401 [error]" in flagged.stdout  # graph rules saw c1, which it was not given
    assert "c1.py" not in flagged.stdout.replace("(a1, b1, c1)", "")
    clean = hook("migrate-lint", project, pre_commit_home, "migrations/versions/a1.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout


def test_the_render_hook_renders_what_the_fast_hook_cannot_see(tmp_path, pre_commit_home):
    """On the example, with prefer-identity on and info findings failing: only the rendered SQL says
    that the integer keys of the first revision are SERIAL columns."""
    project = copy_example(tmp_path / "blog")
    with (project / "pyproject.toml").open("a") as config:  # [tool.migrate-lint] is the file's last table
        config.write('extend-select = ["prefer-identity"]\nfail-on = "info"\n')
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "the example")
    first = "migrations/versions/1a2b3c4d5e01_create_users_and_posts.py"

    fast = hook("migrate-lint", project, pre_commit_home, first)
    assert fast.returncode == 0 and "Passed" in fast.stdout, fast.stdout + fast.stderr
    rendered = hook("migrate-lint-render", project, pre_commit_home, first)
    assert rendered.returncode == 1, rendered.stdout + rendered.stderr
    assert "- hook id: migrate-lint-render" in rendered.stdout
    assert rendered.stdout.count(f"{first}:") == 3 and rendered.stdout.count("ML114 [info]") == 3
    assert "ML904" not in rendered.stdout  # every revision rendered
    reference = run([*editable(), "check", "--no-cache", first], project, tmp_path / "cache")
    assert reference.returncode == 1 and reference.stdout in rendered.stdout
