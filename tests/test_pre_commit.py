"""The pre-commit hooks, run by the real pre-commit on throwaway repositories, from a config naming this
repository by `repo:` and `rev:` as users' configs do. pre-commit clones that revision and installs it
(not editable) into a virtualenv of its own, once for every test here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.installed import copy_example, editable, run
from tests.rulecases import git
from tests.test_history import write

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


@pytest.fixture(scope="module")
def hooks_repository(tmp_path_factory) -> tuple[Path, str]:
    """This repository as a revision pre-commit can clone: HEAD plus the working tree's changes
    (committed in a copy, as `pre-commit try-repo` does), so the hooks tested are the ones on disk."""
    snapshot = tmp_path_factory.mktemp("hooks") / "migrate-lint"
    git(snapshot.parent, "clone", "-q", str(REPO), str(snapshot))
    git(snapshot, "checkout", "-q", git(REPO, "rev-parse", "HEAD").strip())
    changed = git(REPO, "diff", "--name-only", "HEAD").splitlines()
    untracked = git(REPO, "ls-files", "--others", "--exclude-standard").splitlines()
    for name in changed + untracked:
        if (REPO / name).is_file():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, snapshot / name)
        else:
            (snapshot / name).unlink(missing_ok=True)
    git(snapshot, "add", "-A")
    if git(snapshot, "status", "--porcelain").strip():
        git(snapshot, "commit", "-q", "-m", "the working tree")
    return snapshot, git(snapshot, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def hook(hooks_repository, pre_commit_home, tmp_path):
    """`pre-commit run HOOK_ID --files ...` in a project, with a config that uses this repository."""
    repository, rev = hooks_repository
    config = tmp_path / "pre-commit-config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{
        "repo": str(repository), "rev": rev,
        "hooks": [{"id": "migrate-lint"}, {"id": "migrate-lint-render"}]}]}))

    def _run(hook_id: str, project: Path, *files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRE_COMMIT), "run", hook_id, "--config", str(config), "--files", *files],
                              cwd=project, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)})

    return _run


def test_hook_lints_changed_revisions_with_the_whole_graph(tmp_path, hook):
    project = tmp_path / "project"
    write(project, "a1", None, 'op.execute("SELECT 1")')
    write(project, "b1", "a1", 'op.drop_column("users", "legacy")')
    write(project, "c1", "a1", 'op.execute("SELECT 2")')  # a second head beside b1
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "revisions")

    flagged = hook("migrate-lint", project, "migrations/versions/b1.py")
    assert flagged.returncode == 1, flagged.stdout + flagged.stderr
    assert "b1.py:7:5: ML201 drop-column [warning]" in flagged.stdout  # the file it was given
    # graph rules saw c1, which it was not given
    assert "b1.py:3:1: ML401 multiple-heads [error]" in flagged.stdout
    assert "c1.py" not in flagged.stdout.replace("(a1, b1, c1)", "")
    clean = hook("migrate-lint", project, "migrations/versions/a1.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout


def test_the_render_hook_renders_what_the_fast_hook_cannot_see(tmp_path, hook):
    """On the example, with prefer-identity on and info findings failing: only the rendered SQL says
    that the integer keys of the first revision are SERIAL columns."""
    project = copy_example(tmp_path / "blog")
    with (project / "pyproject.toml").open("a") as config:  # [tool.migrate-lint] is the file's last table
        config.write('extend-select = ["prefer-identity"]\nfail-on = "info"\n')
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "the example")
    first = "migrations/versions/1a2b3c4d5e01_create_users_and_posts.py"

    fast = hook("migrate-lint", project, first)
    assert fast.returncode == 0 and "Passed" in fast.stdout, fast.stdout + fast.stderr
    rendered = hook("migrate-lint-render", project, first)
    assert rendered.returncode == 1, rendered.stdout + rendered.stderr
    assert "- hook id: migrate-lint-render" in rendered.stdout
    assert "ML904" not in rendered.stdout, rendered.stdout  # the revision was rendered
    assert rendered.stdout.count(f"{first}:") == 3
    assert rendered.stdout.count("ML114 prefer-identity [info]") == 3
    reference = run([*editable(), "check", "--no-cache", first], project, tmp_path / "cache")
    assert reference.returncode == 1 and reference.stdout in rendered.stdout
