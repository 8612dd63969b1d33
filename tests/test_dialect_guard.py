"""PostgreSQL-only help in a history whose revisions branch on the dialect (conda-store runs on
SQLite by default): the help says to guard its steps, except where the call is already in the
PostgreSQL branch, and says nothing of it in a history that runs on PostgreSQL alone."""

from __future__ import annotations

from pathlib import Path

HEAD = '''from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}


def upgrade():
'''
BRANCHING = '''    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
'''
INDEX = '''    op.create_index("ix_posts_title", "posts", ["title"])
'''
INDEX_IN_BRANCH = '''    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_posts_title", "posts", ["title"])
'''
NOTE = ('This history runs on other databases too (a1.py branches on the dialect, line 10): put these '
        'steps under `if op.get_bind().dialect.name == "postgresql":`.')


def project(root: Path, first: str, second: str) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1.py").write_text(HEAD.format(rev="a1", down="None") + first)
    (versions / "a2.py").write_text(HEAD.format(rev="a2", down='"a1"') + second)
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n'
                                         'dialect = "postgresql"\nselect = ["ML101"]\n')
    return root


def test_a_history_that_branches_on_the_dialect_gets_the_note(tmp_path, check_dir):
    [finding] = check_dir(project(tmp_path, BRANCHING, INDEX)).findings
    assert finding.code == "ML101" and finding.help.endswith(NOTE)


def test_a_call_already_in_the_postgresql_branch_gets_none(tmp_path, check_dir):
    [finding] = check_dir(project(tmp_path, BRANCHING, INDEX_IN_BRANCH)).findings
    assert finding.code == "ML101" and "other databases" not in finding.help


def test_a_history_on_postgresql_alone_gets_none(tmp_path, check_dir):
    [finding] = check_dir(project(tmp_path, '    op.execute("SELECT 1")\n', INDEX)).findings
    assert finding.code == "ML101" and "other databases" not in finding.help


SWALLOWED = '''    try:
        op.add_column("posts", sa.Column("slug", sa.String(50)))
    except Exception:
        pass
'''


def test_a_help_every_database_can_follow_gets_none(tmp_path, check_dir):
    """swallowed-database-error's help (inspect first, or a savepoint) runs on SQLite and MySQL too:
    putting it under a PostgreSQL branch would skip the step there (mcp-context-forge)."""
    root = project(tmp_path, BRANCHING, SWALLOWED)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace("ML101", "ML313"))
    [finding] = check_dir(root).findings
    assert finding.code == "ML313" and "begin_nested" in finding.help
    assert "other databases" not in finding.help


def test_a_mysql_help_in_a_history_that_branches_through_the_projects_helper(tmp_path, check_dir):
    """spiff-arena's revisions, made on MySQL, run on PostgreSQL and SQLite too, and branch through
    `def is_mysql(): return dialect_name() == "mysql"`: the MySQL help's SET foreign_key_checks
    would break the others, so the help says to guard it, with MySQL's own test."""
    first = '''    if is_mysql():
        op.drop_index("guid", "task")
    op.create_table("task", sa.Column("guid", sa.String(36), primary_key=True))
    op.create_table("human_task", sa.Column("id", sa.Integer(), primary_key=True))
'''
    second = '''    op.add_column("human_task", sa.Column("task_guid", sa.String(36)))
    op.create_foreign_key("human_task_task_guid_fk", "human_task", "task", ["task_guid"], ["guid"])
'''
    root = project(tmp_path, first, second)
    versions = root / "migrations" / "versions"
    helper = ('from app.models.db import dialect_name\n\n\n'
              'def is_mysql():\n    return dialect_name() == "mysql"\n')
    text = (versions / "a1.py").read_text().replace("def upgrade():", helper + "\n\ndef upgrade():")
    (versions / "a1.py").write_text(text)
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n'
                                         'dialect = "mysql"\nselect = ["ML122"]\n')
    [finding] = check_dir(root).findings
    assert finding.code == "ML122" and "foreign_key_checks" in finding.help
    assert finding.help.endswith('This history runs on other databases too (a1.py branches on the dialect, '
                                 'line 17): put these steps under '
                                 '`if op.get_bind().dialect.name in ("mysql", "mariadb"):`.')
