"""The pre-commit hook, run by the real pre-commit on a throwaway repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.rulecases import git
from tests.test_history import write


def test_hook_lints_changed_revisions_with_the_whole_graph(tmp_path):
    project = tmp_path / "project"
    write(project, "a1", None, 'op.execute("SELECT 1")')
    write(project, "b1", "a1", 'op.drop_column("users", "legacy")')
    write(project, "c1", "a1", 'op.execute("SELECT 2")')  # a second head beside b1
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "revisions")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = Path(sys.executable).parent / "pre-commit"

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(pre_commit), "try-repo", str(REPO), "migrate-lint", "--files", *files],
                              cwd=project, capture_output=True, text=True, env=env, timeout=600)

    flagged = hook("migrations/versions/b1.py")
    assert flagged.returncode == 1, flagged.stdout + flagged.stderr
    assert "b1.py:7:5: ML201 drop-column [warning]" in flagged.stdout  # the file it was given
    # graph rules saw c1, which it was not given
    assert "b1.py:3:1: ML401 multiple-heads [error]" in flagged.stdout
    assert "c1.py" not in flagged.stdout.replace("(a1, b1, c1)", "")
    clean = hook("migrations/versions/a1.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout
