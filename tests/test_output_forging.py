"""Output that cannot be forged (issue 13 §6): what comes from the checked files (names, quoted
source) cannot inject workflow commands, Markdown, invalid XML or terminal escapes, and passwords in
database URLs never appear in messages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from migrate_lint.errors import printable, redact
from migrate_lint.finding import Finding, InputError, Location, Report, Severity
from migrate_lint.formatters import FORMATS, get

FORGED_NAME = "b1\n::stop-commands::pwned\n\x1b[2J.py"
FORGED_SOURCE = ('revision = "b1"\ndown_revision = None\nfrom alembic import op\n\n'
                 'def upgrade():\n    op.drop_column("users", "c\\n::error::forged\\x1b[31m")\n')
OUR_COMMAND = re.compile(r"^::(error|warning|notice) [^:]*::")


def ml(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "migrate_lint", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def forged(tmp_path: Path) -> Path:
    """A revision whose file name and quoted source carry workflow commands and terminal escapes,
    and an undecodable file with such a name (an input error that names it)."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / FORGED_NAME).write_text(FORGED_SOURCE)
    (versions / "bad\n::stop-commands::token\n.py").write_bytes(b'revision = "x"\n# \xff\n')
    return tmp_path


@pytest.mark.parametrize("output", ["github", "text"])
def test_no_line_a_ci_runner_reads_is_forged(forged, output):
    result = ml("check", "--no-execute", "--format", output, cwd=forged)
    assert result.returncode == 2
    everything = result.stdout + result.stderr
    assert "\x1b" not in everything
    for line in everything.splitlines():
        assert not line.startswith("::") or OUR_COMMAND.match(line), line
        assert "::stop-commands" not in line or not line.startswith("::stop"), line
    if output == "github":  # and what was escaped is all there, as one command each
        commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
        assert len(commands) == 2 and all(OUR_COMMAND.match(line) for line in commands)
        assert "b1\\n%3A%3Astop-commands%3A%3Apwned\\n.py" in result.stdout


def test_markdown_escapes_paths_and_messages():
    finding = Finding("ML201", "drop-column", Severity.WARNING,
                      "Dropping c\n## injected <img src=x onerror=alert(1)> | `x` [link](http://e.vil)",
                      Location(Path("a`b|c\n# Heading.py"), 3), help="fix\n---\n<b>it</b>")
    error = InputError(Path("bad\n### forged.py"), 2, "cannot decode\n- [x] done")
    text = get("markdown")(Report((finding,), (), (), 1, (error,)))
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("#")] == ["## migrate-lint", "### Input errors"]
    ours = {"<details><summary>How to fix each</summary>", "</details>"}
    theirs = "\n".join(line for line in lines if line not in ours)
    assert not re.search(r"(?<!\\)[<>]|(?<!\\)\]\(", theirs)  # no HTML, no link: each is escaped
    [row] = [line for line in lines if "ML201" in line and line.startswith("|")]
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four cells: no pipe from the input splits them
    assert "``a`b\\|c\\n# Heading.py:3``" in row  # the path stays one code span
    assert not any(line.startswith(("---", "- [x]")) for line in lines)


def test_junit_is_valid_xml_whatever_the_messages_hold():
    finding = Finding("ML201", "drop-column", Severity.WARNING, "quoted \x01\x08\x0b\x1b[31m\ufffe source",
                      Location(Path("r\x1f.py"), 3), help="help \x00")
    error = InputError(Path("bad\udcff.py"), 1, "cannot decode \x02")
    text = get("junit")(Report((finding,), (), (), 1, (error,)))
    root = ElementTree.fromstring(text.encode("utf-8"))
    failure = root.find(".//failure")
    assert failure is not None
    assert failure.get("message") == "ML201 quoted \\x01\\x08\\x0b\\x1b[31m\\ufffe source"


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_writes_a_name_that_is_not_utf_8(name):
    """A file name with bytes that are not UTF-8 reaches us as lone surrogates, which no UTF-8
    writer accepts: every format still writes."""
    finding = Finding("ML201", "drop-column", Severity.WARNING, "m", Location(Path("caf\udce9.py"), 3))
    text = get(name)(Report((finding,), (), (), 1, (InputError(Path("x\udcff.py"), 1, "e"),)))
    text.encode("utf-8")


def test_printable_strips_terminal_escapes_and_shows_control_characters():
    assert printable("a\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07\tb\nc\x07\u202ed") == \
        "ared link\tb\\nc\\x07\\u202ed"
    assert printable("one\r\ntwo", newlines=True) == "one\r\ntwo"


@pytest.mark.parametrize(("text", "shown"), [
    ("postgresql://u:secret@db:5432/app", "postgresql://u:***@db:5432/app"),
    ("postgresql+psycopg://u:p@ss@w0rd@db/app", "postgresql+psycopg://u:***@db/app"),
    ("mysql+pymysql://root@db/app?password=secret&charset=utf8",
     "mysql+pymysql://root@db/app?password=***&charset=utf8"),
    ("cannot reach 'postgresql://db/app?sslmode=require&PASSWORD=secret'",
     "cannot reach 'postgresql://db/app?sslmode=require&PASSWORD=***'"),
    ("postgresql://db/app", "postgresql://db/app"),
])
def test_redact_hides_every_password_a_url_carries(text, shown):
    assert redact(text) == shown


@pytest.mark.parametrize("flag", ["--database-url", "--live-url"])
def test_passwords_never_appear_in_drift_messages(tmp_path, flag):
    (tmp_path / "models.py").write_text("import sqlalchemy as sa\nmetadata = sa.MetaData()\n")
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1.py").write_text('revision = "a1"\ndown_revision = None\n\ndef upgrade():\n    pass\n')
    url = "postgresql+psycopg://u:hunter2@127.0.0.1:1/app?password=hunter3&connect_timeout=2"
    result = ml("drift", "--metadata", "models:metadata", flag, url, "--format", "json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "127.0.0.1:1" in result.stderr  # the URL is named, as far as it is safe to
    assert "hunter" not in result.stdout + result.stderr


def test_json_stays_the_contract_for_forged_names(forged):
    result = ml("check", "--no-execute", "--format", "json", cwd=forged)
    document = json.loads(result.stdout)
    assert {f["path"] for f in document["findings"]} == {f"migrations/versions/{FORGED_NAME}"}
