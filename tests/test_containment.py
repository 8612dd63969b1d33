"""Render workers are contained (issue 13 §3): a minimal environment, their own process group killed
with the check, and a result channel a revision cannot forge; `python -m migrate_lint` imports nothing
of the checked project."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from migrate_lint.rendering.render import RenderPool, render_many

HEAD = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "{rev}"\ndown_revision = {down!r}\n\n'
linux_only = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")


def write(folder: Path, rev: str, body: str, down: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rev}.py"
    path.write_text(HEAD.format(rev=rev, down=down) + textwrap.dedent(body))
    return path


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def gone_soon(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def command(project: Path, *args: str, **kwargs) -> subprocess.Popen[str]:
    env = {**os.environ, "MIGRATE_LINT_CACHE_DIR": "off"}
    return subprocess.Popen([sys.executable, "-m", "migrate_lint", *args], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def findings(project: Path, *args: str) -> tuple[int, list[tuple[str, str, int]], str]:
    process = command(project, "check", ".", "--format", "json", *args)
    out, err = process.communicate(timeout=120)
    report = json.loads(out) if out.strip() else {"findings": []}
    return process.returncode, sorted((Path(f["path"]).name, f["code"], f["line"])
                                      for f in report["findings"]), err


# -- environment -------------------------------------------------------------------------------------

def test_workers_see_no_secrets_only_the_allowed_environment(tmp_path, monkeypatch):
    secrets = {"GITHUB_TOKEN": "ghp_x", "AWS_SECRET_ACCESS_KEY": "k", "DATABASE_URL": "postgresql://u:p@h/d",
               "ACTIONS_RUNTIME_TOKEN": "t", "MY_APP_PASSWORD": "p"}
    for name, value in {**secrets, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC",
                        "PYTHONHASHSEED": "7"}.items():
        monkeypatch.setenv(name, value)
    seen = tmp_path / "environment.json"
    path = write(tmp_path / "v", "env",
                 f"import json, os\njson.dump(dict(os.environ), open({str(seen)!r}, 'w'))\n")
    render_many([path], "postgresql")
    environment = json.loads(seen.read_text())
    assert not set(secrets) & set(environment)
    assert {k: environment.get(k) for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONHASHSEED")} == {
        k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONHASHSEED")}


# -- process groups ----------------------------------------------------------------------------------

@linux_only
def test_a_forked_grandchild_does_not_outlive_the_render(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    path = write(tmp_path / "v", "fork", f"""\
        import os, time
        if os.fork() == 0:
            open({str(pid_file)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
            os._exit(0)
        time.sleep(0.3)
        def upgrade():
            op.drop_table("t")
    """)
    [result] = render_many([path], "postgresql").values()
    assert result.error is None
    assert gone_soon(int(pid_file.read_text()))


@linux_only
def test_a_timed_out_worker_takes_its_whole_group_with_it(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    path = write(tmp_path / "v", "hang", f"""\
        import os, time
        if os.fork() == 0:
            open({str(pid_file)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
            os._exit(0)
        while True:
            pass
    """)
    ready = write(tmp_path / "v", "ready", "")
    pool = RenderPool(1)
    try:
        pool.render([ready], "postgresql")  # the worker has imported Alembic: the second counts
        [result] = pool.render([path], "postgresql", timeout=1).values()
    finally:
        pool.close()
    assert result.error == "rendering took longer than 1 s"
    assert gone_soon(int(pid_file.read_text()))


@linux_only
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_check_takes_a_worker_stuck_in_a_revision_with_it(tmp_path, how):
    pid_file = tmp_path / "worker.pid"
    (tmp_path / "pyproject.toml").write_text("[tool.migrate-lint]\nrender-timeout = 300\n")
    write(tmp_path / "migrations" / "versions", "a1",
          f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\nwhile True:\n    pass\n")
    process = command(tmp_path, "check", ".")
    worker = 0
    try:
        end = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < end:
            time.sleep(0.05)
        worker = int(pid_file.read_text())
        process.send_signal(how)
        _, err = process.communicate(timeout=30)
        assert gone_soon(worker)  # SIGKILL: the worker sees its stdin close and kills its group
        if how == signal.SIGTERM:
            assert process.returncode == 2 and "terminated" in err
    finally:
        if worker and alive(worker):
            os.kill(worker, signal.SIGKILL)


# -- the result channel ------------------------------------------------------------------------------

# Writes to every pipe this process holds (fd 1 and sys.__stdout__ included), as a revision that knows
# the old protocol would: the line is a well-formed "rendered nothing" result.
FORGE = """\
import json, os, sys
forged = json.dumps({"statements": [], "error": None, "error_line": None}) + "\\n"
for fd in sorted(int(n) for n in os.listdir("/proc/self/fd")):
    if fd == 0:
        continue
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            os.write(fd, forged.encode())
    except OSError:
        pass
sys.__stdout__.write(forged)
sys.__stdout__.flush()
"""


def _two_revisions(tmp_path: Path, prelude: str) -> Path:
    versions = tmp_path / "migrations" / "versions"
    write(versions, "a1", prelude + '\ndef upgrade():\n    op.create_index("ix_a", "t", ["c"])\n')
    write(versions, "b2", 'def upgrade():\n    op.create_index("ix_b", "t", ["c"])\n', down="a1")
    (tmp_path / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    return tmp_path


@linux_only
def test_a_forged_result_cannot_hide_the_revisions_findings(tmp_path):
    project = _two_revisions(tmp_path, FORGE)
    status, found, err = findings(project)
    assert status == 1, err
    codes = {(name, code) for name, code, _ in found}
    # a1's forgery is rejected: it is reported as not rendered, and checked from its AST (ML101)
    assert {("a1.py", "ML101"), ("a1.py", "ML904"), ("b2.py", "ML101")} <= codes
    assert ("b2.py", "ML904") not in codes


@linux_only
@pytest.mark.parametrize("prelude", [
    "import os\nos.write(1, b'this is not json\\n')\n",
    "import sys\nsys.__stdout__.write('{\"statements\": 5}\\n'); sys.__stdout__.flush()\n",
    FORGE.replace('forged.encode()', '(forged * 3 + "{").encode()'),
    FORGE.replace('+ "\\n"', '') + "import time\ntime.sleep(0.5)\n",  # a half line, then the real one
], ids=["garbage on fd 1", "wrong shape", "many lines", "half a line"])
def test_garbage_on_the_channel_is_that_revisions_error_never_the_checks(tmp_path, prelude):
    project = _two_revisions(tmp_path, prelude)
    _, found, err = findings(project, "--fail-on", "error")
    assert "internal error" not in err
    codes = {(name, code) for name, code, _ in found}
    assert ("b2.py", "ML101") in codes and ("b2.py", "ML904") not in codes
    assert ("a1.py", "ML101") in codes  # from the render, or from the AST when the render was rejected


@linux_only
def test_a_half_line_then_a_hang_is_a_timeout(tmp_path):
    path = write(tmp_path / "v", "half", FORGE.replace("forged.encode()", 'b"{"')
                 + "import time\nwhile True:\n    time.sleep(0.1)\n")
    results = []
    pool = RenderPool(1)
    # in a thread: a pool that blocks on half a line would hang the test itself
    thread = threading.Thread(target=lambda: results.append(pool.render([path], "postgresql", timeout=2)),
                              daemon=True)
    thread.start()
    thread.join(30)
    pool.close()
    assert [r.error for r in results[0].values()] == ["rendering took longer than 2 s"]


# -- python -m ----------------------------------------------------------------------------------------

def test_python_m_imports_nothing_from_the_checked_project(tmp_path):
    marker = tmp_path / "imported"
    project = tmp_path / "project"
    write(project / "migrations" / "versions", "a1", 'def upgrade():\n    op.drop_column("t", "c")\n')
    for name in ("yaml", "sqlalchemy", "sqlglot", "alembic"):
        (project / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r})\n")
    status, found, err = findings(project, "--no-execute")
    assert not marker.exists(), marker.read_text()
    # (the revision's `import sqlalchemy` now looks like an import of the project's own module: ML307)
    assert status == 1 and ("a1.py", "ML201", 7) in found, err
