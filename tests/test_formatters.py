"""Formatters against golden files, and the escaping rules of GitHub workflow commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from migrate_lint import __version__
from migrate_lint.finding import Finding, InputError, Location, Report, Severity
from migrate_lint.formatters import FORMATS, get
from migrate_lint.formatters.github_format import escape_data, escape_property
from tests.conftest import REPO

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def example_report(check_dir):
    report = check_dir(REPO, "examples/blog")
    extra = InputError(REPO / "examples" / "blog" / "broken.py", 3, "cannot decode as UTF-8")
    return Report(report.findings, report.suppressed, (), report.files_checked, (extra,), report.dialects)


@pytest.mark.parametrize("name", FORMATS)
def test_golden(name, example_report, monkeypatch):
    monkeypatch.chdir(REPO)
    rendered = get(name)(example_report)
    golden = GOLDEN / f"example.{name}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered.replace(__version__, "{version}"), encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8").replace("{version}", __version__)


def test_json_contract_fields(example_report, monkeypatch):
    monkeypatch.chdir(REPO)
    document = json.loads(get("json")(example_report))
    assert list(document) == ["version", "tool", "summary", "findings", "errors"]
    assert list(document["findings"][0]) == ["code", "name", "severity", "message", "path", "line",
                                             "end_line", "column", "revision", "subject", "help", "fix"]
    assert document["errors"] == [{"path": "examples/blog/broken.py", "line": 3,
                                   "message": "cannot decode as UTF-8"}]


def test_github_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    finding = Finding("ML201", "drop-column", Severity.INFO, "50%: a, b\nc",
                      Location(Path("we:ird,name.py"), 3, 2, 4), "r1", "s", "")
    line = get("github")(Report((finding,)))
    assert line == ("::notice file=we%3Aird%2Cname.py,line=3,endLine=4,col=2,"
                    "title=ML201 drop-column::50%25: a, b%0Ac\n")


def test_sarif_validates_against_the_official_schema(example_report, monkeypatch):
    import jsonschema

    monkeypatch.chdir(REPO)
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    document = json.loads(get("sarif")(example_report))
    jsonschema.validate(document, schema)  # raises with the path of the first violation
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["invocations"][0]["executionSuccessful"] is False  # the report carries an input error


def test_sarif_fingerprints_survive_moved_lines(example_report, monkeypatch):
    from dataclasses import replace

    monkeypatch.chdir(REPO)
    moved = Report(tuple(replace(f, location=replace(f.location, line=f.location.line + 7))
                         for f in example_report.findings))
    def prints_of(report):
        return [r["partialFingerprints"] for r in json.loads(get("sarif")(report))["runs"][0]["results"]]

    prints, again = prints_of(example_report), prints_of(moved)
    assert prints == again and len({p["migrateLint/v1"] for p in prints}) == len(prints)


def test_gitlab_code_quality_follows_gitlabs_rules(example_report, monkeypatch):
    monkeypatch.chdir(REPO)
    issues = json.loads(get("gitlab")(example_report))
    assert len(issues) == len(example_report.findings)
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["lines"]["begin"], int)
        assert not issue["location"]["path"].startswith("/")
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_junit_is_well_formed_and_counts_add_up(example_report, monkeypatch):
    from xml.etree import ElementTree

    monkeypatch.chdir(REPO)
    root = ElementTree.fromstring(get("junit")(example_report))
    suite = root.find("testsuite")
    assert root.tag == "testsuites" and suite is not None
    failures = len(suite.findall("testcase/failure"))
    assert failures == int(suite.get("failures")) == len(example_report.findings)
    assert len(suite.findall("testcase/error")) == int(suite.get("errors")) == 1
    assert int(suite.get("tests")) == len(suite.findall("testcase"))
    clean = ElementTree.fromstring(get("junit")(Report(files_checked=3)))
    assert [c.get("name") for c in clean.iter("testcase")] == ["revisions"]


def test_markdown_keeps_one_row_per_finding_whatever_the_message():
    finding = Finding("ML201", "drop-column", Severity.WARNING, "a | b\nc", Location(Path("r.py"), 3))
    text = get("markdown")(Report((finding,), files_checked=1))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "ML201" in line]
    assert rows == ["| 🟠 | `ML201` drop-column | `r.py:3` | a \\| b c |"]
    assert "No findings in 2 files" in get("markdown")(Report(files_checked=2))


@pytest.mark.parametrize(("variant", "options"), [
    ("colour", {"colour": True}), ("statistics", {"statistics": True}), ("quiet", {"quiet": True}),
    ("per-rule", {"per_rule": 1})])
def test_text_variants_golden(variant, options, example_report, monkeypatch):
    from migrate_lint.formatters.text_format import TextOptions, render

    monkeypatch.chdir(REPO)
    report = example_report
    if variant == "per-rule":  # the same rule three times in one revision: one shown, "and 2 more"
        first = report.findings[0]
        report = Report(tuple([first] * 3) + report.findings[1:], report.suppressed, (), report.files_checked)
    rendered = render(report, TextOptions(**options))
    golden = GOLDEN / f"example.text-{variant}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("data", [
    b"a = 1\r\nb = 2\r\n", b"a = 1\rb = 2\r", b"\xef\xbb\xbfa = 1\nb = 2", b"a = 1\n\x0cb = 2\n",
    "# -*- coding: latin-1 -*-\nb = 'é'\n".encode("latin-1"), b"a = '\xff'\n", b"",
    "a = 1\n\nb = '\u2028'\n".encode()],
    ids=["crlf", "cr", "bom", "form feed", "cookie", "not utf-8", "empty", "line separator"])
def test_the_source_lines_shown_are_those_python_reads(data, tmp_path):
    """Each file is read once for its findings, line for line as linecache reads it."""
    import linecache

    from migrate_lint.formatters.text_format import _lines

    path = tmp_path / "r.py"
    path.write_bytes(data)
    lines = _lines(path)
    for number in range(-1, 6):
        shown = lines[number - 1] if 0 < number <= len(lines) else ""
        assert shown == linecache.getline(str(path), number).rstrip("\r\n"), number
    linecache.clearcache()
