"""The command line end to end, in a subprocess: exit codes, bad input, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migrate_lint import cli
from migrate_lint.config import PARSERS
from tests.conftest import REPO
from tests.test_discover import revision


def ml(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "migrate_lint", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr + result.stdout
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    versions = tmp_path / "migrations" / "versions"
    revision(versions, "a1")
    (versions / "b1.py").write_text(
        'revision = "b1"\ndown_revision = "a1"\nfrom alembic import op\n\n'
        'def upgrade():\n    op.drop_column("users", "legacy")\n')
    return tmp_path


def test_example_exits_1_with_pinned_findings():
    result = ml("check", "examples/blog", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert sorted((Path(f["path"]).name[:4], f["line"], f["code"]) for f in report["findings"]) == [
        ("3c4d", 22, "ML301"), ("3c4d", 23, "ML303"), ("3c4d", 28, "ML411"),
        ("6f7a", 20, "ML302"), ("6f7a", 21, "ML202")]
    assert report["summary"] == {
        "files": 6, "findings": 5, "suppressed": 1, "baselined": 0, "errors": 0, "dialect": "postgresql",
        "dialect_source": "[tool.migrate-lint] dialect", "dialects": [{
            "path": "examples/blog/migrations/versions", "dialect": "postgresql",
            "source": "[tool.migrate-lint] dialect"}], "not_reported": 0, "not_reported_reasons": []}


def test_clean_project_exits_0(tmp_path):
    revision(tmp_path / "versions", "a1")
    result = ml("check", str(tmp_path / "versions"))
    assert result.returncode == 0 and "No findings in 1 file." in result.stdout


def test_fail_on_and_exit_zero(project):
    assert ml("check", cwd=project).returncode == 1
    assert ml("check", "--fail-on", "error", cwd=project).returncode == 0
    assert ml("check", "--exit-zero", cwd=project).returncode == 0
    assert ml("check", "--ignore", "drop-column", cwd=project).returncode == 0


def test_syntax_error_is_a_finding_and_the_rest_is_checked(project):
    (project / "migrations" / "versions" / "c1.py").write_text('revision = "c1"\ndef upgrade(:\n')
    result = ml("check", "--format", "json", cwd=project)
    findings = json.loads(result.stdout)["findings"]
    codes = {(f["path"].rsplit("/", 1)[-1], f["line"], f["code"]) for f in findings}
    assert codes == {("c1.py", 2, "ML901"), ("b1.py", 6, "ML201")}
    assert result.returncode == 1


NEWER_FSTRING = ('revision = "c1"\ndown_revision = "b1"\ndef quoted(name):\n'
                 '    return f"{name.replace(\'"\', \'""\')}"\n')


@pytest.mark.parametrize("declared", [
    ('pyproject.toml', '[project]\nname = "app"\nrequires-python = ">=3.99"\n',
     "requires-python >=3.99 in pyproject.toml"),
    ('.python-version', '3.99.1\n', ".python-version pins 3.99"),
])
def test_a_file_this_python_cannot_parse_in_a_project_on_a_newer_python_is_unread_not_broken(
        project, declared):
    name, text, source = declared
    (project / name).write_text(text)
    (project / "migrations" / "versions" / "c1.py").write_text(NEWER_FSTRING)
    result = ml("check", "--format", "json", cwd=project)
    unread = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "ML901"]
    # Python 3.12 reads the f-string itself (PEP 701): there is then nothing to report
    expected = [("info", 4)] if sys.version_info < (3, 12) else []
    assert [(f["severity"], f["line"]) for f in unread] == expected
    if unread:
        assert f"the project needs Python 3.99 ({source})" in unread[0]["message"]
        assert "Run migrate-lint on Python 3.99" in unread[0]["help"]


def test_a_file_no_python_parses_stays_an_error_in_a_project_on_this_python(project):
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (project / "pyproject.toml").write_text(f'[project]\nname = "app"\nrequires-python = ">={here}"\n')
    (project / "migrations" / "versions" / "c1.py").write_text('revision = "c1"\ndef upgrade(:\n')
    findings = json.loads(ml("check", "--format", "json", cwd=project).stdout)["findings"]
    assert [(f["severity"], f["line"]) for f in findings if f["code"] == "ML901"] == [("error", 2)]


def test_undecodable_file_is_an_error_line_and_the_rest_is_checked(project):
    (project / "migrations" / "versions" / "bad.py").write_bytes(b'revision = "x"\n# \xff\xfe\n')
    result = ml("check", cwd=project)
    assert result.returncode == 2
    assert "error: migrations/versions/bad.py:2: cannot decode as UTF-8" in result.stdout
    assert "b1.py:6:5: ML201" in result.stdout


def test_missing_path_and_path_without_revisions(tmp_path):
    result = ml("check", "nowhere", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "error: nowhere: no such file or folder" in result.stdout
    assert "no Alembic revisions found" in result.stdout


def test_bad_config_is_one_line_with_file_and_line(project):
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\nfail_on = "x"\n')
    result = ml("check", cwd=project)
    assert result.returncode == 2 and result.stdout == ""
    known = ", ".join(sorted(PARSERS))
    assert result.stderr.strip().splitlines() == [
        f"migrate-lint: pyproject.toml:3: unknown key `fail_on` in [tool.migrate-lint] "
        "(did you mean fail-on?) "
        f"(known keys: {known})"]


def test_broken_alembic_ini_is_reported_with_its_line(tmp_path):
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = db\nnot a pair\n")
    result = ml("check", cwd=tmp_path)
    assert result.returncode == 2 and "error: alembic.ini:3: cannot read alembic.ini" in result.stdout


def test_output_file_and_github_format(project):
    result = ml("check", "--format", "github", "--output", "out/report.txt", cwd=project)
    assert result.returncode == 1 and result.stdout == ""
    text = (project / "out" / "report.txt").read_text()
    assert text.startswith("::warning file=migrations/versions/b1.py,line=6,endLine=6,col=5,"
                           "title=ML201 drop-column::Dropping column users.legacy")


def test_rule_and_rules_commands():
    doc = ml("rule", "ML201")
    assert doc.returncode == 0 and doc.stdout.startswith("# ML201 drop-column: A column is dropped")
    assert "## Not flagged" in doc.stdout and ml("rule", "drop-column").stdout == doc.stdout
    listing = ml("rules", "--format", "json")
    assert {r["name"] for r in json.loads(listing.stdout)} >= {"multiple-heads", "unnamed-constraint"}
    unknown = ml("rule", "nope")
    assert unknown.returncode == 2 and "no rule named 'nope'" in unknown.stderr


def test_usage_errors_exit_2():
    assert ml("check", "--format", "xml").returncode == 2
    assert ml().returncode == 2


def test_internal_errors_are_one_line_unless_debug(monkeypatch, capsys, project):
    from migrate_lint.lint import run

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(run, "check", broken)
    assert cli.main(["check", str(project)]) == 2
    err = capsys.readouterr().err
    assert err == "migrate-lint: internal error: RuntimeError: boom (rerun with --debug for the traceback)\n"
    assert cli.main(["check", str(project), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_config_controls_what_is_reported(project, check_dir):
    versions = project / "migrations" / "versions"
    (versions / "c1.py").write_text('revision = "c1"\ndown_revision = "b1"\nfrom alembic import op\n\n'
                                    'def upgrade():\n    op.drop_table("old")\n')
    (versions / "d1.py").write_text('revision = "d1"\ndown_revision = "c1"\nfrom alembic import op\n\n'
                                    'def upgrade():\n    op.drop_table("older")\n')
    (project / "pyproject.toml").write_text(
        '[tool.migrate-lint]\nper-file-ignores = { "migrations/versions/b1.py" = ["drop-column"] }\n'
        'severity = { drop-table = "error" }\nexclude = ["migrations/versions/d1.py"]\n')
    report = check_dir(project)
    assert [(f.location.path.name, f.code, f.severity.label) for f in report.findings] == [
        ("c1.py", "ML202", "error")]
    assert report.files_checked == 3
    assert check_dir(project, select=("drop-column",)).findings == ()
    unignored = check_dir(project, select=("drop-column",), per_file_ignores=())
    assert [(f.location.path.name, f.code) for f in unignored.findings] == [("b1.py", "ML201")]


def test_every_command_takes_debug_and_shares_one_declaration_of_each_option(project):
    for command in cli.COMMANDS:
        assert "debug" in cli.COMMANDS[command][1]
    assert ml("lock", "--debug", cwd=project).returncode == 0
    assert ml("baseline", "--debug", "--no-execute", cwd=project).returncode == 0
    assert ml("rule", "--debug", "drop-column").returncode == 0
    parser = cli._parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    helps = {a.option_strings[0]: a.choices for a in commands["check"]._actions if a.option_strings}
    drift_helps = {a.option_strings[0]: a.choices for a in commands["drift"]._actions if a.option_strings}
    assert helps["--dialect"] == drift_helps["--dialect"] == cli.DIALECTS


def test_colour_follows_the_terminal_and_no_color_force_color(project, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    plain = ml("check", "--no-execute", cwd=project).stdout
    assert "\x1b[" not in plain  # a pipe: no colour
    forced = subprocess.run([sys.executable, "-m", "migrate_lint", "check", "--no-execute"], cwd=project,
                            capture_output=True, text=True, env={**os.environ, "FORCE_COLOR": "1"})
    assert "\x1b[1;33mML201 drop-column\x1b[0m" in forced.stdout
    both = subprocess.run([sys.executable, "-m", "migrate_lint", "check", "--no-execute"], cwd=project,
                          capture_output=True, text=True,
                          env={**os.environ, "FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in both.stdout


def test_statistics_quiet_and_did_you_mean(project):
    stats = ml("check", "--no-execute", "--statistics", cwd=project)
    assert stats.returncode == 1 and stats.stdout.splitlines()[0] == "1  ML201  drop-column [warning]"
    quiet = ml("check", "--no-execute", "--quiet", cwd=project).stdout
    assert "ML201 drop-column" in quiet and "Found" not in quiet
    typo = ml("check", "--formt", "json", cwd=project)
    assert typo.returncode == 2 and "(did you mean --format?)" in typo.stderr
    assert "(did you mean check?)" in ml("chek", cwd=project).stderr
    assert "(did you mean drop-column?)" in ml("rule", "drop-colum").stderr
    assert ml("rule", "ml201").stdout.startswith("# ML201 drop-column")
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nselct = ["ML"]\n')
    typo_key = ml("check", cwd=project).stderr
    assert "unknown key `selct` in [tool.migrate-lint] (did you mean select?)" in typo_key
    (project / "pyproject.toml").write_text('[tool.migrate-lint]\nignore = ["drop-colum"]\n')
    assert "(did you mean drop-column?)" in ml("check", cwd=project).stderr
