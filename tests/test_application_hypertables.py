"""Hypertables the application's own code makes (datanommer's models run create_hypertable when
the database is created, then stamp the history at head): an index help says what a hypertable
takes. Only where the project's CI or compose files name TimescaleDB, and only SQL that calls the
function outside the tests: a mention in a docstring runs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

REVISION = '''from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_index("ix_messages_agent", "messages", ["agent"])
'''
MAKES = ('from sqlalchemy import DDL\n\n'
         'HYPERTABLE = DDL("SELECT create_hypertable(\'messages\', \'timestamp\')")\n')
MENTIONS = '"""Tables here could be made hypertables with create_hypertable(\'t\', ...) one day."""\n'
CI = "jobs:\n  test:\n    steps:\n      - run: dnf install -y timescaledb postgresql-server\n"


def _project(root: Path, where: str, text: str, ci: str | None = CI) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    (root / "migrations" / "env.py").write_text("from alembic import context\n")
    (root / "migrations" / "versions" / "a1.py").write_text(REVISION)
    (root / where).parent.mkdir(parents=True, exist_ok=True)
    (root / where).write_text(text)
    if ci is not None:
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / ".github" / "workflows" / "tests.yml").write_text(ci)
    return root


@pytest.mark.parametrize(("where", "text", "ci", "noted"), [
    ("app/models.py", MAKES, CI, "But messages is a TimescaleDB hypertable"),
    ("app/models.py", MAKES, None, None),  # nothing says the project runs TimescaleDB: its code is not read
    ("app/models.py", MENTIONS, CI, None),  # a docstring that names the function runs nothing
    ("tests/test_models.py", MAKES, CI, None),  # the tests' own database
])
def test_an_index_help_on_a_table_the_application_makes_a_hypertable(tmp_path, check_dir, where, text, ci,
                                                                       noted):
    [finding] = [f for f in check_dir(_project(tmp_path, where, text, ci)).findings if f.code == "ML101"]
    if noted:
        assert noted in finding.help
    else:
        assert "TimescaleDB" not in finding.help
