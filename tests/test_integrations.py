"""The Flask CLI command and the pytest plugin, each run for real: `flask` and `pytest` processes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.rulecases import git
from tests.servers import SERVERS, server_engine
from tests.test_drift import EXAMPLE

BIN = Path(sys.executable).parent


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.db"))
    return target


def flask(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_the_readme_flask_commands_are_the_ones_tested():
    commands = [line.split() for line in snippet("flask-recipe").strip().splitlines()]
    assert [c[:5] for c in commands] == [["flask", "--app", "app", "migrate-lint", "check"],
                                         ["flask", "--app", "app", "migrate-lint", "drift"]]
    assert commands[1][5] == "--database-url"


def test_flask_cli_lists_and_runs_the_check(blog):
    assert "migrate-lint" in flask("--help", cwd=blog).stdout  # registered through entry points
    result = flask("migrate-lint", "check", cwd=blog)
    assert result.returncode == 1
    assert "Found 5 findings (1 error, 3 warnings, 1 info) in 6 files (1 suppressed)." in result.stdout
    assert flask("migrate-lint", "check", "--exit-zero", "--format", "json", cwd=blog).returncode == 0


def test_flask_cli_drift_uses_the_apps_own_models_and_migrations(blog):
    server_engine("postgresql").dispose()
    result = flask("migrate-lint", "drift", "--database-url", SERVERS["postgresql"], cwd=blog)
    assert result.returncode == 1, result.stderr
    assert "ML506" in result.stdout and "ML508" in result.stdout
    assert "Found 2 findings (1 error, 1 warning) in 6 files." in result.stdout


REPO_ROOT = Path(__file__).resolve().parent.parent
README = (REPO_ROOT / "README.md").read_text()


def snippet(marker: str) -> str:
    """A README snippet that the tests run as written."""
    return README.split(f"<!-- {marker} -->\n", 1)[1].split("\n", 1)[1].split("```", 1)[0]




def test_pytest_plugin_fixtures_in_a_projects_own_suite(blog):
    server_engine("postgresql").dispose()
    (blog / "test_migrations.py").write_text(snippet("pytest-recipe"))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "--migrate-lint-database-url", SERVERS["postgresql"], "test_migrations.py"],
                            cwd=blog, capture_output=True, text=True, timeout=300)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "2 failed, 1 passed" in out
    assert "FAILED test_migrations.py::test_revisions_are_safe" in out
    # the findings, as check prints them
    assert "ML301 add-column-not-null-without-default [error] Adding NOT NULL column posts.slug" in out
    assert "FAILED test_migrations.py::test_models_match_the_migrations" in out
    assert "ML508 drift-foreign-key [error] Foreign key posts(author_id)" in out


def test_the_readme_pre_commit_recipe_names_the_hook_this_repository_ships():
    recipe = yaml.safe_load(snippet("pre-commit-recipe"))
    shipped = {hook["id"] for hook in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())}
    used = {hook["id"] for repo in recipe["repos"] for hook in repo["hooks"]}
    assert used and used <= shipped


def test_pytest_plugin_reports_an_unreachable_server_in_one_line(blog):
    (blog / "test_unreachable.py").write_text(
        "def test_drift(migrate_lint):\n"
        "    migrate_lint.assert_clean(migrate_lint.drift(app='app'))\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "--migrate-lint-database-url", "postgresql+psycopg://postgres@127.0.0.1:1/x",
                             "test_unreachable.py"], cwd=blog, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    failure = [line for line in result.stdout.splitlines()
               if "migrate-lint:" in line and not line.startswith("FAILED")]
    assert len(failure) == 1 and "cannot create a scratch database" in failure[0]
    assert "Connection refused" in failure[0] and "Traceback" not in result.stdout
    assert len(result.stdout.splitlines()) < 15


def test_the_refs_the_readme_pins_are_commits_of_this_repository_with_what_the_recipes_use():
    """rev: and @ref name a tag or commit that exists here, on HEAD's history, and that ships the hooks
    and action inputs the recipes use: a user can follow them as written."""
    pinned = set(re.findall(r"migrate-lint/migrate-lint@([\w.-]+)", README))
    pinned |= set(re.findall(r"^ +rev: (\S+)", README, re.MULTILINE))
    assert pinned
    hook_ids = {"migrate-lint", "migrate-lint-render"}  # the recipe's hook and the one its comment offers
    steps = yaml.safe_load(snippet("action-recipe"))["jobs"]["migrations"]["steps"]
    action = next(step for step in steps if "migrate-lint" in step.get("uses", ""))
    for ref in pinned:
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                               cwd=REPO_ROOT, capture_output=True, text=True)
        assert found.returncode == 0, f"the README pins {ref}, which is no tag or commit of this repository"
        commit = found.stdout.strip()
        git(REPO_ROOT, "merge-base", "--is-ancestor", commit, "HEAD")
        hooks = yaml.safe_load(git(REPO_ROOT, "show", f"{commit}:.pre-commit-hooks.yaml"))
        assert hook_ids <= {hook["id"] for hook in hooks}, ref
        inputs = yaml.safe_load(git(REPO_ROOT, "show", f"{commit}:action.yml"))["inputs"]
        assert set(action["with"]) <= set(inputs), ref
