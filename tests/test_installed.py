"""The installed package, run from a project folder outside the repository, gives what the checkout gives.

Each command runs twice on the same copy of examples/blog: once as users run it (the wheel installed in
a fresh venv, see tests/installed.py) and once as the rest of the suite does (this environment's
editable package, `python -m migrate_lint`). The outputs must be equal, and the check must really have
rendered every revision to SQL.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.installed import REPO, copy_example, editable, run

GOLDEN = REPO / "tests" / "golden"
FORMATS = sorted(p.suffix.removeprefix(".") for p in GOLDEN.glob("example.*") if "-" not in p.suffix)
# Findings on the example that only the rendered SQL shows (with every rule selected): SQLAlchemy
# writes the integer primary keys as SERIAL (the syntax tree writes a dropped column's ALTER too).
ONLY_RENDERED = {
    ("ML114", 20, "migrations/versions/1a2b3c4d5e01_create_users_and_posts.py"),
    ("ML114", 31, "migrations/versions/1a2b3c4d5e01_create_users_and_posts.py"),
    ("ML114", 41, "migrations/versions/1a2b3c4d5e01_create_users_and_posts.py"),
}
CHECK = ("check", "--no-cache", "--select", "ML")  # every rule, so that info findings (ML904) show


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "blog")


def both(installed: Path, *args: str, cwd: Path,
         cache: Path) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """The command run by the installed package, then by the editable checkout, in the same folder."""
    mine = run([installed, *args], cwd, cache / "installed")
    return mine, run([*editable(), *args], cwd, cache / "editable")


def findings(stdout: str) -> list[tuple[str, int, str, str, str]]:
    document: dict[str, Any] = json.loads(stdout)
    return [(f["code"], f["line"], f["path"], f["severity"], f["message"]) for f in document["findings"]]


def test_the_installed_package_is_the_wheel_in_site_packages(installed_migrate_lint, tmp_path):
    python = installed_migrate_lint.parent / "python"
    result = run([python, "-c", "import sys, migrate_lint, alembic; "
                                "print(migrate_lint.__file__); print(alembic.__file__); print(sys.path)"],
                 tmp_path, tmp_path / "cache")
    package, dependency, path = result.stdout.splitlines()
    venv = installed_migrate_lint.parent.parent
    for module in (package, dependency):
        assert Path(module).is_relative_to(venv) and "/site-packages/" in module, module
    assert str(REPO) not in path and str(Path(sys.executable).parent.parent) not in path


def test_the_installed_check_lists_the_formats_that_have_golden_files(installed_migrate_lint, tmp_path):
    usage = run([installed_migrate_lint, "check", "--help"], tmp_path, tmp_path / "cache").stdout
    choices = re.search(r"--format \{([\w,]+)\}", usage)
    assert choices and sorted(choices.group(1).split(",")) == FORMATS


def test_the_installed_check_renders_every_revision(installed_migrate_lint, blog, tmp_path):
    mine, reference = both(installed_migrate_lint, *CHECK, "--format", "json", cwd=blog, cache=tmp_path)
    assert (mine.returncode, reference.returncode) == (1, 1), mine.stderr + reference.stderr
    assert findings(mine.stdout) == findings(reference.stdout)
    assert json.loads(mine.stdout) == json.loads(reference.stdout)
    not_rendered = [f for f in findings(mine.stdout) if f[0] == "ML904"]
    assert not_rendered == [], "the installed package could not render these revisions"
    # and it did render: the run finds what the syntax tree alone (--no-execute) cannot
    syntax_only = run([installed_migrate_lint, *CHECK, "--no-execute", "--format", "json"], blog,
                      tmp_path / "syntax-only")
    rendered = {f[:3] for f in findings(mine.stdout)} - {f[:3] for f in findings(syntax_only.stdout)}
    assert rendered == ONLY_RENDERED


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_installed_check_prints_each_format_as_the_checkout_does(installed_migrate_lint, blog, tmp_path,
                                                                    fmt):
    mine, reference = both(installed_migrate_lint, *CHECK, "--format", fmt, cwd=blog, cache=tmp_path)
    assert (mine.returncode, reference.returncode) == (1, 1), mine.stderr + reference.stderr
    assert mine.stdout == reference.stdout
    assert mine.stderr == reference.stderr == ""


def test_the_readme_installs_the_package_as_users_do_and_tests_as_ci_does():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Set-up and the two commands\n.*?```bash\n(.*?)```", readme, re.DOTALL)
    assert block
    commands = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/python -m pip install . "  # not -e: what users get
        "&& .venv/bin/migrate-lint check examples/blog",
        (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]]


def test_the_readme_command_with_the_installed_package(installed_migrate_lint, tmp_path):
    """The README's first command, `migrate-lint check examples/blog`, prints what the README shows."""
    readme = (REPO / "README.md").read_text()
    sample = re.search(r"The first command prints something like:\n\n```\n(.*?)```", readme, re.DOTALL)
    assert sample
    copy_example(tmp_path / "examples" / "blog")
    result = run([installed_migrate_lint, "check", "examples/blog"], tmp_path, tmp_path / "cache")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    shown = sample.group(1).splitlines()
    dots = shown.index("...")
    assert lines[:dots] == shown[:dots] and lines[-1] == shown[-1]


def test_the_installed_drift_on_sqlite(installed_in_flask_project, blog, tmp_path):
    for fmt in ("json", "text"):
        mine, reference = both(installed_in_flask_project, "drift", "--app", "app", "--format", fmt,
                               cwd=blog, cache=tmp_path / fmt)
        assert (mine.returncode, reference.returncode) == (1, 1), mine.stderr + reference.stderr
        assert mine.stdout == reference.stdout
        said = [line for line in mine.stderr.splitlines() if line.startswith("migrate-lint:")]
        assert said == [line for line in reference.stderr.splitlines() if line.startswith("migrate-lint:")]
        assert "migrate-lint: upgraded with env.py: Flask-Migrate's env.py" in mine.stderr
        if fmt == "json":
            assert {f[0] for f in findings(mine.stdout)} == {"ML529", "ML520"}  # as tests/test_drift.py


@pytest.mark.parametrize("args", [("rules",), ("rules", "--format", "json"),
                                  ("rules", "--format", "markdown"), ("rule", "drop-column"),
                                  ("rule", "ML904")], ids=" ".join)
def test_the_installed_rule_documentation(installed_migrate_lint, tmp_path, args):
    mine, reference = both(installed_migrate_lint, *args, cwd=tmp_path, cache=tmp_path)
    assert (mine.returncode, reference.returncode) == (0, 0), mine.stderr + reference.stderr
    assert mine.stdout == reference.stdout and mine.stdout.strip()


@pytest.mark.parametrize(("command", "written"), [("lock", "migrations/migrate-lint.lock"),
                                                  ("baseline", ".migrate-lint-baseline.json")])
def test_the_installed_lock_and_baseline(installed_migrate_lint, blog, tmp_path, command, written):
    mine = run([installed_migrate_lint, command], blog, tmp_path / "installed")
    assert mine.returncode == 0, mine.stdout + mine.stderr
    mine_file = (blog / written).read_text()
    (blog / written).unlink()
    reference = run([*editable(), command], blog, tmp_path / "editable")
    assert reference.returncode == 0, reference.stdout + reference.stderr
    assert (mine.stdout, mine.stderr, mine_file) == (reference.stdout, reference.stderr,
                                                     (blog / written).read_text())
    assert mine.stdout.startswith("wrote ") and json.loads(mine_file)["version"] == 1
