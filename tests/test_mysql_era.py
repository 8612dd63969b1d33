"""A history checked as PostgreSQL whose early revisions quote names with backquotes ran on MySQL
there: the PostgreSQL-bound findings of those revisions are info (lint.mysql_era)."""

from __future__ import annotations

from pathlib import Path

from migrate_lint.finding import Severity

REVISION = '''"""{doc}

Revision ID: {rev}
Revises: {down}
Create Date: 2024-0{month}-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down!r}


def upgrade():
{body}
'''
NOT_NULL = '    op.add_column("posts", sa.Column("rank_{rev}", sa.Integer(), nullable=False))'
DROP = '    op.drop_column("posts", "old_{rev}")'


def history(root: Path, bodies: list[str]) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    down = None
    for number, body in enumerate(bodies, 1):
        rev = f"r{number}"
        text = REVISION.format(doc=rev, rev=rev, down=down, month=number, body=body.format(rev=rev))
        (versions / f"{rev}.py").write_text(text)
        down = rev
    return root


def severities(report, code: str) -> dict[str, Severity]:
    return {f.revision: f.severity for f in report.findings if f.code == code}


def test_revisions_up_to_the_last_backquoted_sql_ran_on_mysql(tmp_path, check_dir):
    backquoted = '    op.execute("ALTER TABLE `posts` DROP PRIMARY KEY, ADD PRIMARY KEY (`id`, `rank_r1`)")'
    root = history(tmp_path, [NOT_NULL + "\n" + DROP, backquoted + "\n" + NOT_NULL, NOT_NULL + "\n" + DROP])
    report = check_dir(root)
    assert severities(report, "ML301") == {"r1": Severity.INFO, "r2": Severity.INFO, "r3": Severity.ERROR}
    [note] = {f.message for f in report.findings if f.code == "ML301" and f.revision == "r1"}
    assert note.endswith("(revision r2, at or after this one, quotes names with backquotes, which only MySQL "
                         "takes: this revision ran on MySQL, not on the PostgreSQL this history is checked "
                         "for now: error lowered to info)")
    # what every database shares keeps its severity
    assert severities(report, "ML201") == {"r1": Severity.WARNING, "r3": Severity.WARNING}


def test_backquotes_in_prose_are_no_mysql(tmp_path, check_dir):
    prose = '    """Adds `rank` to posts, as the table `posts` needs."""\n' + NOT_NULL
    report = check_dir(history(tmp_path, [prose, NOT_NULL]))
    assert severities(report, "ML301") == {"r1": Severity.ERROR, "r2": Severity.ERROR}


def test_an_f_string_that_backquotes_a_computed_table_is_mysql(tmp_path, check_dir):
    formatted = ('    for table in ("posts",):\n'
                 '        op.execute(f"UPDATE `{{table}}` SET rank_r1 = 0")')
    report = check_dir(history(tmp_path, [NOT_NULL, formatted, NOT_NULL]))
    assert severities(report, "ML301") == {"r1": Severity.INFO, "r3": Severity.ERROR}
