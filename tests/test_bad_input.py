"""Bad input is an input error, never an internal one (issue 13 §7): each gets a one-line error (with
its file and line where there is one) or a bounded, correct report, and the other files are checked."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_discover import revision

MEMORY = 2 * 1024 ** 3  # address space for each command: a runaway read fails instead of swapping


def ml(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command, bounded in memory and time (the bugs these tests pin hung or ate memory)."""
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    result = subprocess.run([sys.executable, "-m", "migrate_lint", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout, preexec_fn=limits)
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr, result.stderr
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two revisions; b1 drops a column (ML201 at line 6), so a check that still ran shows it."""
    versions = tmp_path / "migrations" / "versions"
    revision(versions, "a1")
    (versions / "b1.py").write_text('revision = "b1"\ndown_revision = "a1"\nfrom alembic import op\n\n'
                                    'def upgrade():\n    op.drop_column("users", "legacy")\n')
    return tmp_path


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


def report(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout)


def b1_still_checked(result: subprocess.CompletedProcess[str]) -> bool:
    return ("b1.py", 6, "ML201") in {(Path(f["path"]).name, f["line"], f["code"])
                                     for f in report(result)["findings"]}


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "true", "0", "-1"])
def test_render_timeout_out_of_range_is_a_config_error(project, value):
    (project / "pyproject.toml").write_text(f"[tool.migrate-lint]\nrender-timeout = {value}\n")
    result = ml("check", cwd=project)
    assert result.returncode == 2
    assert result.stderr == ("migrate-lint: pyproject.toml:2: `render-timeout` must be a number of seconds "
                             "above 0 and at most 3600\n")


@pytest.mark.parametrize(("text", "line", "message"), [
    ("tool = 5\n", 1, "`tool` must be a table"),
    ('[tool]\nmigrate-lint = "x"\n', 2, "`tool.migrate-lint` must be a table"),
    ('tool.migrate-lint = ["ML101"]\n', 1, "`tool.migrate-lint` must be a table"),
])
def test_a_value_where_a_table_belongs_is_a_config_error(project, text, line, message):
    (project / "settings.toml").write_text(text)
    result = ml("check", "--no-execute", "--config", "settings.toml", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(f"migrate-lint: settings.toml:{line}: {message}")
    assert result.stderr.count("\n") == 1


def test_a_pyproject_whose_tool_is_not_a_table_is_not_ours_to_reject(project):
    (project / "pyproject.toml").write_text("tool = 5\n")  # found while discovering [tool.alembic]
    result = ml("check", "--no-execute", "--format", "json", cwd=project)
    assert result.returncode == 1 and b1_still_checked(result)


# --- baseline and lock files --------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("content", "message"), [
    ("[]", "not a migrate-lint baseline (version 1)"),
    ('{"version": 1, "fingerprints": {"abc": "x"}}', "baseline: the count of 'abc' must be a whole number"),
    ('{"version": 1, "fingerprints": {"abc": -2}}', "baseline: the count of 'abc' must be a whole number"),
    (DEEP, "cannot read baseline: nested too deeply to be one"),
])
def test_a_broken_baseline_is_a_one_line_error(project, content, message):
    (project / "base.json").write_text(content)
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nbaseline = "base.json"\n')
    result = ml("check", "--no-execute", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith(f"migrate-lint: base.json: {message}")
    assert result.stderr.count("\n") == 1


def test_a_deeply_nested_lock_file_is_an_input_error_and_the_rest_is_checked(project):
    (project / "migrations" / "migrate-lint.lock").write_text(DEEP)
    result = ml("check", "--no-execute", "--format", "json", cwd=project)
    assert result.returncode == 2 and b1_still_checked(result)
    assert [e["message"] for e in report(result)["errors"]] == [
        "cannot read the lock file: nested too deeply to be one"]


# --- revision files ------------------------------------------------------------------------------

def chained_terms(count: int) -> str:
    terms = " + ".join(f'"part {i} "' for i in range(count))
    return ('revision = "c1"\ndown_revision = "b1"\nfrom alembic import op\n\n'
            f'def upgrade():\n    op.execute({terms})\n    op.drop_column("posts", "old")\n')


@pytest.mark.parametrize("execute", [False, True])
def test_a_valid_revision_with_500_chained_terms_is_checked_like_any_other(project, execute):
    (versions(project) / "c1.py").write_text(chained_terms(500))
    result = ml("check", "--format", "json", "--no-cache", *([] if execute else ["--no-execute"]),
                cwd=project)
    assert result.returncode == 1, result.stderr
    found = {(Path(f["path"]).name, f["line"], f["code"]) for f in report(result)["findings"]}
    assert {("b1.py", 6, "ML201"), ("c1.py", 7, "ML201")} <= found
    assert not report(result)["errors"]


def test_sql_nested_deeper_than_the_sql_parser_goes_is_still_checked(project):
    sql = "SELECT " + "(" * 400 + "1" + ")" * 400
    (versions(project) / "c1.py").write_text(
        'revision = "c1"\ndown_revision = "b1"\nfrom alembic import op\n\n'
        f'def upgrade():\n    op.execute("{sql}")\n    op.drop_column("posts", "old")\n')
    result = ml("check", "--format", "json", "--no-execute", cwd=project)
    assert result.returncode == 1, result.stderr
    found = {(Path(f["path"]).name, f["line"], f["code"]) for f in report(result)["findings"]}
    assert {("b1.py", 6, "ML201"), ("c1.py", 7, "ML201")} <= found


def test_a_revision_linked_to_dev_zero_is_an_input_error(project):
    (versions(project) / "zero.py").symlink_to("/dev/zero")
    result = ml("check", "--no-execute", "--format", "json", cwd=project, timeout=60)
    assert result.returncode == 2 and b1_still_checked(result)
    assert report(result)["errors"] == [{
        "path": "migrations/versions/zero.py", "line": None,
        "message": "cannot read file: not a regular file (a character device)"}]


def test_a_fifo_named_like_a_revision_is_an_input_error(project):
    os.mkfifo(versions(project) / "pipe.py")
    result = ml("check", "--no-execute", "--format", "json", cwd=project, timeout=60)
    assert result.returncode == 2 and b1_still_checked(result)
    assert report(result)["errors"] == [{"path": "migrations/versions/pipe.py", "line": None,
                                         "message": "cannot read file: not a regular file (a FIFO)"}]


def test_a_10_mb_revision_is_an_input_error_in_seconds(project):
    body = "".join(f'    op.add_column("t", sa.Column("c{i}", sa.Integer))\n' for i in range(200_000))
    (versions(project) / "huge.py").write_text(
        'revision = "h1"\ndown_revision = "b1"\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        f"def upgrade():\n{body}")
    assert (versions(project) / "huge.py").stat().st_size > 10 * 1024 ** 2
    result = ml("check", "--no-execute", "--format", "json", cwd=project, timeout=60)
    assert result.returncode == 2 and b1_still_checked(result)
    [error] = report(result)["errors"]
    assert error["path"] == "migrations/versions/huge.py"
    assert error["message"].startswith("cannot read file: larger than the 2 MB limit (1")


def test_a_latin_1_revision_that_declares_its_coding_is_read_as_python_reads_it(project):
    (versions(project) / "c1.py").write_bytes(
        '# -*- coding: latin-1 -*-\n"""Añade la columna «descripción»."""\nrevision = "c1"\n'
        'down_revision = "b1"\nfrom alembic import op\n\n'
        'def upgrade():\n    op.drop_column("posts", "título")\n'.encode("latin-1"))
    result = ml("check", "--no-execute", "--format", "json", cwd=project)
    assert result.returncode == 1, result.stdout
    assert not report(result)["errors"]
    messages = [f["message"] for f in report(result)["findings"] if Path(f["path"]).name == "c1.py"]
    assert len(messages) == 1 and "posts.título" in messages[0]


def test_three_thousand_heads_give_a_bounded_report(tmp_path):
    folder = tmp_path / "versions"
    revision(folder, "root")
    for number in range(3000):
        revision(folder, f"h{number:04d}", "root")
    result = ml("check", str(folder), "--no-execute", cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stdout) < 3 * 1024 ** 2  # 162 MB before: every head's message named every head
    first = next(line for line in result.stdout.splitlines() if "ML401" in line)
    assert "one of 3000 heads (h0000, h0001, h0002, h0003, h0004, h0005, h0006, h0007, h0008, h0009 " \
           "and 2990 more) that fork from root" in first
    assert 'alembic merge -m "merge heads" heads' in result.stdout


# --- where the report goes ------------------------------------------------------------------------

def test_output_into_a_missing_folder_creates_it(project):
    result = ml("check", "--no-execute", "--output", "reports/ci/out.txt", cwd=project)
    assert result.returncode == 1 and result.stdout == ""
    assert "b1.py:6:5: ML201" in (project / "reports" / "ci" / "out.txt").read_text()


def test_output_that_cannot_be_written_still_shows_the_report(project):
    (project / "reports").write_text("a file, not a folder")
    result = ml("check", "--no-execute", "--output", "reports/out.txt", "--also", "json:reports/x.json",
                cwd=project)
    assert result.returncode == 2
    assert "b1.py:6:5: ML201" in result.stdout  # the report is never lost
    assert result.stderr.splitlines() == [
        "migrate-lint: cannot write reports/x.json: reports is not a folder",
        "migrate-lint: cannot write reports/out.txt: reports is not a folder"]
    (project / "reports").unlink()
    (project / "reports").mkdir(mode=0o500)  # a folder this user may not write in
    result = ml("check", "--no-execute", "--output", "reports/out.txt", cwd=project)
    if os.geteuid() != 0:  # root writes anywhere
        assert result.returncode == 2 and "b1.py:6:5: ML201" in result.stdout
        assert result.stderr == "migrate-lint: cannot write reports/out.txt: Permission denied\n"


def test_project_modules_that_are_fifos_are_passed_over_and_the_rest_is_checked(project):
    # a revision's imports are followed into the project's own modules (its TypeDecorators, its
    # settings): one that is not a regular file is read no more than a revision that is not
    (project / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    (project / "shop").mkdir()
    (project / "shop" / "__init__.py").write_text("")
    os.mkfifo(project / "shop" / "types.py")
    os.mkfifo(project / "shop" / "config.py")
    (versions(project) / "c1.py").write_text(
        'revision = "c1"\ndown_revision = "b1"\nfrom alembic import op\nfrom shop.types import GUID\n'
        'from shop.config import SETTINGS\n\n'
        'def upgrade():\n    op.alter_column("users", "ref", type_=GUID())\n'
        '    op.drop_column("users", SETTINGS)\n')
    result = ml("check", "--no-execute", "--format", "json", cwd=project, timeout=60)
    assert result.returncode == 1, result.stderr
    assert b1_still_checked(result) and not report(result)["errors"]
    assert ("c1.py", 8, "ML107") in {(Path(f["path"]).name, f["line"], f["code"])
                                     for f in report(result)["findings"]}


@pytest.mark.parametrize("cache", [False, True])
def test_a_revision_too_large_to_check_keeps_its_place_in_the_graph(project, cache):
    """camcops's 0023 is a 3.4 MB data revision: refused, but its child's parent is there."""
    body = "".join(f'    op.execute("INSERT INTO t VALUES ({i})")\n' for i in range(100_000))
    (versions(project) / "huge.py").write_text(
        'revision = "h1"\ndown_revision = "b1"\nfrom alembic import op\n\n' f"def upgrade():\n{body}")
    (versions(project) / "c1.py").write_text(
        'revision = "c1"\ndown_revision = "h1"\nfrom alembic import op\n\n'
        'def upgrade():\n    op.drop_column("users", "old")\n')
    runs = 2 if cache else 1  # the second run reads what the first one cached
    for _ in range(runs):
        result = ml("check", "--no-execute", "--format", "json", *([] if cache else ["--no-cache"]),
                    cwd=project, timeout=60)
    assert result.returncode == 2 and b1_still_checked(result)
    [error] = report(result)["errors"]
    assert error["path"] == "migrations/versions/huge.py" and "larger than the 2 MB limit" in error["message"]
    found = {(Path(f["path"]).name, f["code"]) for f in report(result)["findings"]}
    assert ("c1.py", "ML201") in found
    assert not {code for _, code in found} & {"ML401", "ML402", "ML410"}, found
