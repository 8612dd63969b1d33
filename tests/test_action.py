"""The GitHub Action: its `run:` steps executed as the runner executes them, on a real git repository,
and action.yml plus the workflows validated against GitHub's schemas (shipped by check-jsonschema)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from tests.installed import copy_example, editable, run
from tests.rulecases import git
from tests.test_history import write

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def evaluate(text: str, contexts: dict[str, str]) -> str:
    """GitHub's `${{ context.name }}` substitution, for the contexts the action uses."""
    return EXPRESSION.sub(lambda m: contexts[m.group(1)], text)


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory) -> Path:
    """What actions/setup-python provides: a Python whose bin folder is on PATH, with nothing installed.
    The action's own step installs migrate-lint and, from the index, its dependencies, so migrate-lint
    runs from site-packages with nothing of this test environment on its path, as on a runner."""
    folder = tmp_path_factory.mktemp("runner") / "python"
    venv.create(folder, with_pip=True)
    return folder / "bin"


def condition(expression: str | None, status: int, values: dict[str, str]) -> bool:
    """A step's `if:`, for the forms action.yml uses: always(), `==`/`!=` on contexts and strings, &&.
    Without always() a step runs only while every step before it succeeded, as on GitHub."""
    if expression is None:
        return status == 0
    text = " ".join(expression.split())
    text = re.sub(r"\balways\(\)", "True", text).replace("&&", " and ")
    text = re.sub(r"\b((?:inputs|github|steps)\.[\w.-]+)", lambda m: repr(values.get(m.group(1), "")), text)
    return bool(eval(text, {}))  # our own action.yml's expressions, rewritten above


def run_steps(inputs: dict[str, str], workspace: Path, bin_folder: Path, tmp: Path,
              event: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    """Each `run:` step with bash -eo pipefail, as GitHub runs composite steps; `uses:` steps are
    what setup-python does (bin_folder on PATH)."""
    defaults = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    contexts = {f"inputs.{k}": v for k, v in {**defaults, **inputs}.items()}
    summary, output = tmp / "summary.md", tmp / "output.txt"
    env = {"PATH": f"{bin_folder}:/usr/bin:/bin", "HOME": str(tmp), "GITHUB_ACTION_PATH": str(REPO),
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
           "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTIONS": "true", "CI": "true",
           "RUNNER_TEMP": str(tmp), **event}
    stdout, status, comments = "", 0, []
    for step in ACTION["runs"]["steps"]:
        lines = output.read_text().splitlines() if output.exists() else []
        outputs = dict(line.split("=", 1) for line in lines)
        if not condition(step.get("if"), status, {**contexts, **{f"steps.check.outputs.{k}": v
                                                                 for k, v in outputs.items()}, **{
                "github.event_name": event.get("GITHUB_EVENT_NAME", "")}}):
            continue
        if step.get("uses", "").startswith("marocchino/sticky-pull-request-comment@v"):
            assert step["continue-on-error"] is True  # a fork's read-only token must not hide the verdict
            comments.append(Path(evaluate(step["with"]["path"], {"steps.check.outputs.comment":
                                                                  outputs["comment"]})).read_text())
            continue
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@v")
            continue
        step_env = {**env, **{k: evaluate(str(v), contexts) for k, v in step.get("env", {}).items()}}
        cwd = workspace / evaluate(step.get("working-directory", "."), contexts)
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                cwd=cwd, env=step_env, capture_output=True, text=True, timeout=600)
        stdout += result.stdout
        assert "Traceback" not in result.stderr, result.stderr
        status = result.returncode
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return status, stdout, {"summary": summary.read_text() if summary.exists() else "",
                            "comments": comments, **outputs}


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """main: a1 <- b1; the pull request adds c1, which drops a column, and origin/main is fetched."""
    repo = tmp_path / "repo"
    write(repo, "a1", None, 'op.execute("SELECT 1")')
    write(repo, "b1", "a1", 'op.execute("SELECT 1")')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "history")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "c1", "b1", 'op.drop_column("users", "bio")')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "drop bio")
    return repo


def test_the_action_annotates_summarises_and_fails_a_risky_pull_request(pull_request, runner_python,
                                                                       tmp_path):
    sarif = tmp_path / "out" / "results.sarif"
    status, stdout, outputs = run_steps(
        {"sarif-file": str(sarif), "dialect": "postgresql"}, pull_request, runner_python, tmp_path,
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "feature"})
    assert status == 1 and outputs["exit-code"] == "1"
    annotations = [line for line in stdout.splitlines() if line.startswith("::")]
    assert annotations == [line for line in annotations if "file=migrations/versions/c1.py" in line]
    assert len(annotations) == 1 and annotations[0].startswith("::warning ") and "ML201" in annotations[0]
    assert "| 🟠 | `ML201` drop-column | `migrations/versions/c1.py:7` |" in outputs["summary"]
    document = json.loads(sarif.read_text())
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["ML201"]


def test_the_action_passes_a_safe_pull_request_and_checks_everything_on_push(
        pull_request, runner_python, tmp_path):
    write(pull_request, "c1", "b1", 'op.execute("SELECT 1")')
    git(pull_request, "commit", "-qam", "a safe change")
    status, stdout, outputs = run_steps({}, pull_request, runner_python, tmp_path,
                                        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"})
    assert (status, outputs["exit-code"], stdout) == (0, "0", "")
    assert "No findings in 1 files" in outputs["summary"]
    status, _, outputs = run_steps({"fail-on": "error"}, pull_request, runner_python, tmp_path,
                                   {"GITHUB_EVENT_NAME": "push"})
    assert status == 0 and "in 3 files" in outputs["summary"]


def test_the_action_renders_the_example_as_the_checkout_does(runner_python, tmp_path):
    """The package the action installs renders every revision (no ML904 not-rendered, and the findings
    only rendering gives are there), and reports what this checkout reports on the same project."""
    project = copy_example(tmp_path / "blog")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "the example")
    sarif = tmp_path / "out" / "results.sarif"
    status, stdout, outputs = run_steps({"sarif-file": str(sarif), "extra-args": "--select ML --no-cache"},
                                        project, runner_python, tmp_path, {"GITHUB_EVENT_NAME": "push"})
    assert (status, outputs["exit-code"]) == (1, "1")
    annotated = set(re.findall(r"^::\w+ .*?,title=(ML\d+) ", stdout, re.MULTILINE))
    assert "ML904" not in annotated and "ML114" in annotated  # ML114 (SERIAL keys) needs the rendered SQL
    for fmt, written in (("github", stdout), ("markdown", outputs["summary"]), ("sarif", sarif.read_text())):
        reference = run([*editable(), "check", "--select", "ML", "--no-cache", "--format", fmt], project,
                        tmp_path / "cache")
        assert reference.returncode == 1 and written == reference.stdout, fmt


def test_a_bad_input_is_exit_code_2(pull_request, runner_python, tmp_path):
    status, _, outputs = run_steps({"extra-args": "--select NOPE"}, pull_request, runner_python, tmp_path,
                                   {"GITHUB_EVENT_NAME": "push"})
    assert status == 2 and outputs["exit-code"] == "2"


def test_execute_false_runs_no_code_of_the_project(pull_request, runner_python, tmp_path):
    marker = tmp_path / "imported"
    write(pull_request, "c1", "b1", 'op.drop_column("users", "bio")')
    source = (pull_request / "migrations" / "versions" / "c1.py").read_text()
    (pull_request / "migrations" / "versions" / "c1.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n" + source)
    git(pull_request, "commit", "-qam", "a revision that runs code when imported")
    event = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    status, stdout, outputs = run_steps({"execute": "false"}, pull_request, runner_python, tmp_path, event)
    assert (status, outputs["exit-code"], marker.exists()) == (1, "1", False)
    assert "ML201" in stdout
    status, _, outputs = run_steps({"execute": "maybe"}, pull_request, runner_python, tmp_path, event)
    assert (status, outputs["exit-code"], marker.exists()) == (2, "2", False)
    status, _, outputs = run_steps({}, pull_request, runner_python, tmp_path, event)
    assert (status, marker.exists()) == (1, True)  # the default renders: the revision was imported


@pytest.mark.parametrize(("schema", "files"), [
    ("vendor.github-actions", ["action.yml"]),
    ("vendor.github-workflows", [p.relative_to(REPO).as_posix()
                                 for p in (REPO / ".github" / "workflows").glob("*.yml")]),
])
def test_action_and_workflows_match_githubs_schemas(schema, files):
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *files],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_recipe_is_a_valid_workflow_using_this_action(tmp_path):
    readme = (REPO / "README.md").read_text()
    snippet = re.search(r"<!-- action-recipe -->\n```yaml\n(.*?)```", readme, re.DOTALL)
    assert snippet, "the README's GitHub Action recipe is marked <!-- action-recipe -->"
    workflow = tmp_path / "recipe.yml"
    workflow.write_text(snippet.group(1))
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.github-workflows", str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = yaml.safe_load(snippet.group(1))["jobs"]["migrations"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    used = next(s for s in steps if "migrate-lint" in s.get("uses", ""))
    assert set(used.get("with", {})) <= set(ACTION["inputs"])


def test_the_pull_request_comment_carries_the_report_and_only_on_pull_requests(
        pull_request, runner_python, tmp_path):
    event = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    status, _, outputs = run_steps({}, pull_request, runner_python, tmp_path, event)
    [comment] = outputs["comments"]
    assert status == 1 and "| 🟠 | `ML201` drop-column | `migrations/versions/c1.py:7` |" in comment
    assert run_steps({"comment": "false"}, pull_request, runner_python, tmp_path, event)[2]["comments"] == []
    assert run_steps({}, pull_request, runner_python, tmp_path,
                     {"GITHUB_EVENT_NAME": "push"})[2]["comments"] == []


def test_paths_are_relative_to_the_repository_root_with_a_working_directory(tmp_path, runner_python):
    """GitHub places annotations and SARIF results by their path from the repository root."""
    repo = tmp_path / "repo"
    write(repo / "backend", "a1", None, 'op.execute("SELECT 1")')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "history")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    write(repo / "backend", "b1", "a1", 'op.drop_column("users", "bio")')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "drop bio")
    sarif = tmp_path / "results.sarif"
    status, stdout, _ = run_steps(
        {"working-directory": "backend", "sarif-file": str(sarif)}, repo, runner_python, tmp_path,
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"})
    assert status == 1
    [annotation] = [line for line in stdout.splitlines() if line.startswith("::")]
    assert "file=backend/migrations/versions/b1.py," in annotation
    [result] = json.loads(sarif.read_text())["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "backend/migrations/versions/b1.py"
    status, _, _ = run_steps({"working-directory": "backend", "paths": "migrations"}, repo, runner_python,
                             tmp_path, {"GITHUB_EVENT_NAME": "push"})
    assert status == 1
