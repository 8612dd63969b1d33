"""`check --base` on a real git repository sees files whose names git would quote (issue 13 §5):
non-ASCII names as Alembic writes them, and names with a quote, a tab or a newline."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.lint.changes import changes_since
from migrate_lint.paths import real_path
from tests.rulecases import git

APPLIED = "añadir_índice_único_a1.py"  # `alembic revision -m "añadir índice único"`
NEW_NAMES = ["b1_añadir_columna.py", 'b2_with"quote.py', "b3_with\ttab.py", "b4_with\nnewline.py"]


def source(rev: str, down: str | None, body: str) -> str:
    return (f'revision = "{rev}"\ndown_revision = {down!r}\nfrom alembic import op\n\n'
            f"def upgrade():\n    {body}\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n')
    (versions / APPLIED).write_text(source("a1", None, 'op.create_table("t")'), encoding="utf-8")
    (tmp_path / "código.py").write_text("def legacy(row):\n    return row.legacy_total\n", encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "change")
    # the change: edits the applied revision, adds one revision per awkward name, and stops using
    # a column in application code whose file name is not ASCII either
    (versions / APPLIED).write_text(source("a1", None, 'op.create_table("t2")'), encoding="utf-8")
    down = "a1"
    for number, name in enumerate(NEW_NAMES, start=1):
        (versions / name).write_text(source(f"b{number}", down, f'op.drop_column("t", "c{number}")'),
                                     encoding="utf-8")
        down = f"b{number}"
    (tmp_path / "código.py").write_text("def legacy(row):\n    return 0\n", encoding="utf-8")
    git(tmp_path, "add", str(versions / NEW_NAMES[0]))  # one new file staged, the others untracked
    return tmp_path


def test_every_changed_file_is_seen_whatever_its_name(repo):
    changes = changes_since("main", repo)
    versions = repo / "migrations" / "versions"
    assert changes.changed == {real_path(versions / n) for n in [APPLIED, *NEW_NAMES]} | {
        real_path(repo / "código.py")}
    assert set(changes.base_sources) == {real_path(versions / APPLIED), real_path(repo / "código.py")}
    assert 'op.create_table("t")' in changes.base_sources[real_path(versions / APPLIED)]
    assert changes.removed_lines[real_path(repo / "código.py")] == ("    return row.legacy_total",)


def test_check_base_reports_new_and_edited_revisions_with_quoted_names(repo, check_dir):
    report = check_dir(repo, base="main")
    found = sorted((f.location.path.name, f.code) for f in report.findings)
    assert ("añadir_índice_único_a1.py", "ML406") in found  # the edited applied revision
    for name in NEW_NAMES:
        assert (name, "ML201") in found, name  # drop-column, in each new revision
    assert report.files_checked == 5
    assert not report.errors


def test_a_renamed_revision_with_a_non_ascii_name_is_not_a_change(repo):
    versions = repo / "migrations" / "versions"
    git(repo, "stash", "-q", "--include-untracked")
    git(repo, "mv", str(versions / APPLIED), str(versions / "índice_renombrado.py"))
    changes = changes_since("main", repo)
    assert changes.changed == frozenset() and changes.base_sources == {}
