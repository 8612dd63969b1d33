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
    return Report(report.findings, report.suppressed, (), report.files_checked, (extra,))


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
                                             "end_line", "column", "revision", "subject", "help"]
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
