"""migrate-lint lock and the check of it, on real files: edits, removals, reorders, a broken lock."""

from __future__ import annotations

import json

from tests.test_cli import ml
from tests.test_history import write


def test_lock_then_check(tmp_path):
    write(tmp_path, "a1", None, 'op.execute("SELECT 1")')
    write(tmp_path, "b1", "a1", 'op.execute("SELECT 2")')
    write(tmp_path, "c1", "b1", 'op.execute("SELECT 3")')
    made = ml("lock", cwd=tmp_path)
    assert made.returncode == 0 and made.stdout == "wrote 3 revisions to migrations/migrate-lint.lock\n"
    lock = tmp_path / "migrations" / "migrate-lint.lock"
    assert [e["id"] for e in json.loads(lock.read_text())["revisions"]] == ["a1", "b1", "c1"]
    assert ml("check", "--no-execute", cwd=tmp_path).returncode == 0
    write(tmp_path, "b1", "a1", 'op.execute("SELECT 20")')  # edited
    (tmp_path / "migrations" / "versions" / "a1.py").unlink()  # removed
    write(tmp_path, "a0", None, 'op.execute("SELECT 0")')
    write(tmp_path, "c1", "a0", 'op.execute("SELECT 3")')  # re-parented
    result = ml("check", "--no-execute", "--format", "json", cwd=tmp_path)
    found = sorted((f["path"].rsplit("/", 1)[-1], f["revision"] or f["subject"], f["message"].split(" ")[-1])
                   for f in json.loads(result.stdout)["findings"] if f["code"] == "ML409")
    assert found == [("b1.py", "b1", "code"), ("c1.py", "c1", "it"), ("migrate-lint.lock", "a1", "it")]


def test_a_broken_lock_is_an_input_error_and_the_rest_is_checked(tmp_path):
    write(tmp_path, "a1", None, 'op.drop_table("x")')
    (tmp_path / "migrations" / "migrate-lint.lock").write_text("{not json")
    result = ml("check", "--no-execute", cwd=tmp_path)
    assert result.returncode == 2
    assert "error: migrations/migrate-lint.lock: cannot read the lock file" in result.stdout
    assert "ML202" in result.stdout
