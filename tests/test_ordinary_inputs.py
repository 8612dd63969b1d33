"""Ordinary situations a new user meets are answered, never an internal error (issue 11 §4), and
flags that would be silently ignored are usage errors (issue 13 §7)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import REPO, ml, project  # noqa: F401  (a fixture)

EXAMPLE = REPO / "examples" / "blog"
BIN = Path(sys.executable).parent


def closed_pipe(*args: str, cwd: Path = REPO) -> tuple[int, str]:
    """Run the command with a stdout whose reader has already gone, as `| head` leaves it."""
    process = subprocess.Popen([sys.executable, "-m", "migrate_lint", *args], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command writes anything: every write meets a closed pipe
    stderr = process.stderr.read().decode()
    return process.wait(timeout=120), stderr


@pytest.mark.parametrize("args", [("rules",), ("rules", "--format", "markdown"), ("rule", "ML101")])
def test_a_closed_pipe_ends_quietly(args):
    code, stderr = closed_pipe(*args)
    assert (code, stderr) == (0, "")


def test_a_closed_pipe_keeps_the_checks_exit_code():
    code, stderr = closed_pipe("check", "examples/blog", "--no-execute")
    assert (code, stderr) == (1, "")  # the example has findings: the usual code, no message


@pytest.mark.parametrize("command", [["baseline", "--no-execute"], ["lock"], ["rules"], ["rule", "ML101"]])
def test_every_subcommand_takes_debug(project, command):  # noqa: F811
    result = ml(*command, "--debug", cwd=project)
    assert "unrecognized arguments" not in result.stderr
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("url", "package"), [
    ("mysql://root@127.0.0.1/app", "install mysqlclient, or use mysql+pymysql:// with PyMySQL installed"),
    ("mariadb://root@127.0.0.1/app", "install mysqlclient"),
    ("postgresql+psycopg2://u:secret@127.0.0.1/app", "install psycopg2-binary, or use postgresql+psycopg://"),
    ("postgresql+pg8000://u@127.0.0.1/app", "install pg8000"),
])
def test_a_missing_driver_says_what_to_install(tmp_path, url, package):
    module = {"mysql": "MySQLdb", "mariadb": "MySQLdb", "postgresql+psycopg2": "psycopg2",
              "postgresql+pg8000": "pg8000"}[url.split(":", 1)[0]]
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    for flag in ("--database-url", "--live-url"):
        result = ml("drift", flag, url, cwd=tmp_path)
        assert result.returncode == 2
        assert "internal error" not in result.stderr
        assert package in result.stderr and f"{flag}:" in result.stderr
        assert "secret" not in result.stderr


@pytest.mark.parametrize("flag", ["--database-url", "--live-url"])
def test_a_port_that_is_not_a_number_is_an_input_error(tmp_path, flag):
    result = ml("drift", flag, "postgresql+psycopg://u:secret@127.0.0.1:badport/app", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"migrate-lint: {flag} 'postgresql+psycopg://u:***@127.0.0.1:badport/app'"
                                    " is not a database URL")
    assert "internal error" not in result.stderr and "secret" not in result.stderr


@pytest.mark.parametrize("extra", [["--roundtrip"], ["--database-url", "postgresql+psycopg://h/db"],
                                   ["--runner", "env"]])
def test_flags_that_live_url_would_ignore_are_usage_errors(tmp_path, extra):
    result = ml("drift", "--live-url", f"sqlite:///{tmp_path / 'live.db'}", *extra, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{extra[0]} cannot go with it" in result.stderr
    assert not (tmp_path / "live.db").exists()


@pytest.mark.parametrize("base", ["", "  "])
def test_an_empty_base_is_a_usage_error(project, base):  # noqa: F811
    result = ml("check", "--no-execute", "--base", base, cwd=project)
    assert result.returncode == 2
    assert result.stderr == "migrate-lint: --base needs a git ref to compare with, such as origin/main\n"


def test_a_sqlite_live_url_with_a_hash_reads_that_file_read_only(tmp_path):
    blog = tmp_path / "blog"
    shutil.copytree(EXAMPLE, blog, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.db"))
    live = tmp_path / "live#1.db"
    with sqlite3.connect(live) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    connection.close()
    result = ml("drift", "--app", "app", "--live-url", f"sqlite:///{live}", "--format", "json", cwd=blog)
    assert result.returncode == 1, result.stderr
    subjects = {f["subject"] for f in json.loads(result.stdout)["findings"] if f["code"] == "ML501"}
    assert subjects == {"posts"}  # users is there: the file named, not another one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blog", "live#1.db"]  # nothing created


def test_flask_check_with_options_outside_the_project_still_checks_the_apps_migrations(tmp_path):
    blog = tmp_path / "blog"
    shutil.copytree(EXAMPLE, blog, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.db"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run([str(BIN / "flask"), "--app", str(blog / "app.py"), "migrate-lint", "check",
                             "--ignore", "ML106", "--no-execute", "--format", "json"],
                            cwd=outside, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 6
    assert sorted(f["code"] for f in report["findings"]) == [
        "ML202", "ML301", "ML302", "ML303", "ML411"]
