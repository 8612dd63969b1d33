"""Pull-request mode (--base) on real git repositories built by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rulecases import git
from tests.test_cli import ml

REV = ('from alembic import op\n\nrevision = "{rev}"\ndown_revision = {down!r}\n\n'
       "def upgrade():\n    {body}\n")


def write(repo: Path, rev: str, down: str | None, body: str, name: str | None = None) -> Path:
    path = repo / "migrations" / "versions" / (name or f"{rev}.py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REV.format(rev=rev, down=down, body=body))
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: a1 (an old risky drop) <- b1; the feature branch is checked out, still equal to main."""
    write(tmp_path, "a1", None, 'op.drop_table("legacy")')
    write(tmp_path, "b1", "a1", 'op.execute("SELECT 1")')
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "history")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def codes(result) -> list[tuple[str, int, str]]:
    import json

    return sorted((Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(result.stdout)["findings"])


def test_only_added_revisions_are_checked(repo):
    write(repo, "c1", "b1", 'op.drop_column("users", "bio")')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "c1")
    result = ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)
    assert codes(result) == [("c1.py", 7, "ML201")]  # a1's old drop_table is not this change's
    assert ml("check", "--no-execute", "--format", "json", cwd=repo).stdout.count('"ML202"') == 1


def test_uncommitted_and_untracked_files_count_as_changes(repo):
    write(repo, "c1", "b1", 'op.drop_column("users", "bio")')
    assert codes(ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)) == [
        ("c1.py", 7, "ML201")]


def test_graph_rules_see_the_merged_tree(repo):
    write(repo, "c1", "a1", 'op.execute("SELECT 1")')  # forks from a1, beside b1
    result = ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)
    assert codes(result) == [("c1.py", 3, "ML401"), ("c1.py", 4, "ML407")]
    assert "the head is b1" in result.stdout and "Point down_revision at b1" in result.stdout


def test_edits_renames_and_cosmetic_changes(repo):
    edited = repo / "migrations" / "versions" / "b1.py"
    edited.write_text(edited.read_text().replace("SELECT 1", "SELECT 2"))
    old = repo / "migrations" / "versions" / "a1.py"
    old.rename(old.with_name("a1_renamed.py"))
    git(repo, "add", "-A")
    assert codes(ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)) == [
        ("b1.py", 3, "ML406")]
    edited.write_text(edited.read_text().replace("SELECT 2", "SELECT 1") + "# a comment\n")
    assert codes(ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)) == []


def test_unknown_ref_is_one_clear_line(repo):
    result = ml("check", "--base", "origin/nope", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.strip() == ("migrate-lint: --base origin/nope: no such commit here; fetch it "
                                     "first (git fetch origin nope)")


def test_shallow_clone_says_what_to_fetch(repo, tmp_path_factory):
    for n in range(3):
        write(repo, f"x{n}", "b1" if n == 0 else f"x{n - 1}", 'op.execute("SELECT 1")')
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"x{n}")
    clone = tmp_path_factory.mktemp("clone") / "shallow"
    git(repo, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone))
    result = ml("check", "--base", "origin/main", cwd=clone)
    assert result.returncode == 2
    assert "shallow clone: fetch more history (git fetch --deepen=100, or actions/checkout with " \
           "fetch-depth: 0)" in result.stderr


def test_a_change_that_loops_the_history_cuts_its_revisions_off(repo):
    write(repo, "c1", "b1", 'op.execute("SELECT 1")')
    write(repo, "d1", ("c1", "e1"), 'op.execute("SELECT 1")')  # d1 and e1 loop: no head above c1
    write(repo, "e1", "d1", 'op.execute("SELECT 1")')
    result = ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)
    found = codes(result)
    assert ("c1.py", 3, "ML410") in found and ("e1.py", 4, "ML404") in found
    assert not [f for f in found if f[0] in ("a1.py", "b1.py")]  # unchanged files: not this change's


def test_a_drop_shipped_with_the_code_that_stopped_using_it(repo):
    models = repo / "app" / "models.py"
    models.parent.mkdir()
    models.write_text("class User(Model):\n    id = Column(Integer)\n    bio = Column(Text)\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a model")
    git(repo, "branch", "-f", "main")
    models.write_text("class User(Model):\n    id = Column(Integer)\n")
    write(repo, "c1", "b1", 'op.drop_column("users", "bio")')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "drop bio with its code")
    result = ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)
    assert codes(result) == [("c1.py", 7, "ML201"), ("c1.py", 7, "ML205")]
    assert "users.bio in the same change that edits code which used it (app/models.py)" in result.stdout
    # the same drop in a later change, once the code no longer uses it, is only the drop itself
    git(repo, "branch", "-f", "main", "HEAD~1")
    git(repo, "checkout", "-q", "-B", "later", "HEAD~1")
    models.write_text("class User(Model):\n    id = Column(Integer)\n")
    git(repo, "commit", "-qam", "stop using bio")
    git(repo, "branch", "-f", "main")
    write(repo, "c1", "b1", 'op.drop_column("users", "bio")')
    assert codes(ml("check", "--base", "main", "--no-execute", "--format", "json", cwd=repo)) == [
        ("c1.py", 7, "ML201")]
