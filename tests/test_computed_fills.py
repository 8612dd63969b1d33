"""Fills whose SQL the code assembles: a table name added to the text in a helper, a value bound as
it runs. What the UPDATE fills is read from the code; a value computed as it runs is no constant
to offer as a server default (invenio-oauthclient's created/updated columns)."""

from __future__ import annotations

from pathlib import Path

import pytest

REVISION = '''from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "a1"
down_revision = None


def upgrade():
    now = datetime.utcnow()
    _stamp("accounts", now)
    _stamp("tokens", now)


def _stamp(table, date):
    op.add_column(table, sa.Column("created", sa.DateTime()))
    op.execute(text("UPDATE " + table + " SET created = {value}"){bind})
    op.alter_column(table, "created", existing_type=sa.DateTime, nullable=False)
'''


def project(root: Path, value: str, bind: str) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    (versions / "a1.py").write_text(REVISION.replace("{value}", value).replace("{bind}", bind))
    return root


@pytest.mark.parametrize("execute", [False, True])
def test_a_value_bound_as_it_runs_fills_the_column_but_is_no_default_to_offer(tmp_path, check_dir, execute):
    report = check_dir(project(tmp_path, ":date", ".bindparams(date=date)"), execute=execute)
    codes = {(f.code, f.subject) for f in report.findings}
    assert ("ML302", "accounts.created") not in codes  # the UPDATE fills it
    scans = [f for f in report.findings if f.code == "ML121"]
    [scan] = scans  # one helper line: one finding, naming the other call's table
    assert scan.subject == "accounts.created" and "tokens" in scan.message
    assert not any("server_default=sa.text" in (f.help or "") for f in scans), [f.help for f in scans]


def test_a_literal_the_code_writes_is_offered_as_the_default(tmp_path, check_dir):
    report = check_dir(project(tmp_path, "'2020-01-01'", ""), execute=True)
    scans = [f for f in report.findings if f.code == "ML121"]
    assert scans and all("server_default=sa.text(\"'2020-01-01'\")" in (f.help or "") for f in scans)
