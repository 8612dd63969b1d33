"""Turning the tool on in an old project: a baseline of known findings, and `since`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import ml
from tests.test_history import write


def old_project(root: Path) -> Path:
    write(root, "a1", None, 'op.drop_table("legacy")')
    write(root, "b1", "a1", 'op.drop_column("users", "old")')
    return root


def summary(result) -> dict:
    return json.loads(result.stdout)["summary"]


def test_baseline_silences_known_findings_only(tmp_path):
    project = old_project(tmp_path)
    assert ml("check", "--no-execute", cwd=project).returncode == 1
    made = ml("baseline", "--no-execute", cwd=project)
    assert made.returncode == 0 and "wrote 2 finding fingerprints" in made.stdout
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nbaseline = ".migrate-lint-baseline.json"\n')
    result = ml("check", "--no-execute", "--format", "json", cwd=project)
    assert result.returncode == 0 and summary(result)["baselined"] == 2
    # Lines move (a comment above) and the file is renamed: still the same known finding.
    b1 = project / "migrations" / "versions" / "b1.py"
    b1.rename(b1.with_name("b1_renamed.py"))
    write(project, "b1", "a1", '# context\n    op.drop_column("users", "old")', name="b1_renamed.py")
    write(project, "c1", "b1", 'op.drop_column("users", "new")')
    result = ml("check", "--no-execute", "--format", "json", cwd=project)
    assert result.returncode == 1
    assert [(f["revision"], f["subject"]) for f in json.loads(result.stdout)["findings"]] == [
        ("c1", "users.new")]


def test_a_missing_or_broken_baseline_is_one_line(tmp_path):
    project = old_project(tmp_path)
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nbaseline = "known.json"\n')
    result = ml("check", "--no-execute", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip() == ("migrate-lint: known.json: baseline file not found; create it with "
                                     "`migrate-lint baseline`")
    (project / "known.json").write_text('{"version": 9}')
    assert "not a migrate-lint baseline" in ml("check", "--no-execute", cwd=project).stderr


def test_since_checks_only_later_revisions(tmp_path):
    project = old_project(tmp_path)
    write(project, "c1", "b1", 'op.drop_column("users", "new")')
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nsince = "b1"\n')
    result = ml("check", "--no-execute", "--format", "json", cwd=project)
    assert [f["revision"] for f in json.loads(result.stdout)["findings"]] == ["c1"]
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nsince = "zz"\n')
    result = ml("check", "--no-execute", cwd=project)
    assert result.returncode == 2 and "`since` names revision 'zz', which is not in" in result.stdout
