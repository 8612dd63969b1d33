"""Help the project's libraries cannot run: postgresql_not_valid came in SQLAlchemy 1.4.32 and
autocommit_block() in Alembic 1.2, so a project that pins an older release gets a note on what works
instead, and no fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.lint.pins import AUTOCOMMIT, NOT_VALID, pinned_below
from tests.test_fix_cases import fix


@pytest.mark.parametrize(("name", "text", "pinned"), [
    ("pyproject.toml", '[tool.poetry.dependencies]\nSQLAlchemy-Utils = "0.41.1"\nSQLAlchemy = "1.3.23"\n',
     ("1.3.23", "pyproject.toml")),  # open-event-server
    ("requirements.txt", "sqlalchemy==1.4.31\n", ("1.4.31", "requirements.txt")),
    ("requirements.txt", "SQLAlchemy<1.4\n", ("1.4", "requirements.txt")),
    ("requirements.txt", "SQLAlchemy~=1.3.0\n", ("1.3.0", "requirements.txt")),
    ("requirements.txt", "SQLAlchemy==1.4.32\n", None),
    ("requirements.txt", "SQLAlchemy>=1.3\n", None),  # admits the newer releases
    ("pyproject.toml", '[tool.poetry.dependencies]\nSQLAlchemy = "^1.3"\n', None),
    ("requirements.txt", "SQLAlchemy-Utils==0.38.0\nflask-sqlalchemy==2.5.1\n", None),
])
def test_a_pin_below_1_4_32(tmp_path, name, text, pinned):
    (tmp_path / name).write_text(text)
    pinned_below.cache_clear()
    assert pinned_below(str(tmp_path), NOT_VALID.package, NOT_VALID.since) == pinned


@pytest.mark.parametrize(("text", "pinned"), [
    ("alembic==0.8.3\n", ("0.8.3", "requirements.txt")),  # deed-api
    ("Alembic<1.2\n", ("1.2", "requirements.txt")),
    ("alembic==1.2.0\n", None),
    ("alembic-utils==0.2.0\nalembic>=1.0\n", None),
])
def test_an_alembic_pin_below_1_2(tmp_path, text, pinned):
    (tmp_path / "requirements.txt").write_text(text)
    pinned_below.cache_clear()
    assert pinned_below(str(tmp_path), AUTOCOMMIT.package, AUTOCOMMIT.since) == pinned


REVISION = '''from alembic import op

revision = "a1"
down_revision = "a0"


def upgrade():
    op.create_foreign_key("fk_posts_author_id_users", "posts", "users", ["author_id"], ["id"])
'''


def project(root: Path, requirement: str, revision: str = REVISION, rule: str = "ML104") -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "versions" / "a1.py").write_text(revision)
    (root / "pyproject.toml").write_text(f'[tool.migrate-lint]\nscript-location = "migrations"\n'
                                         f'dialect = "postgresql"\nselect = ["{rule}"]\n')
    (root / "requirements.txt").write_text(requirement)
    pinned_below.cache_clear()
    return root


def noted_and_left_alone(root: Path, check_dir, note: str) -> str:
    """The finding's help ends with the note, and --fix leaves the revision as it is; the help."""
    [finding] = check_dir(root).findings
    assert finding.help.endswith(note)
    before = (root / "migrations" / "versions" / "a1.py").read_text()
    fix(root, "--fix", "--no-execute")
    assert (root / "migrations" / "versions" / "a1.py").read_text() == before
    return finding.help


def test_the_help_says_to_write_the_sql_and_the_fix_leaves_the_call(tmp_path, check_dir):
    noted_and_left_alone(project(tmp_path, "SQLAlchemy==1.3.23\n"), check_dir,
                         "But this project pins SQLAlchemy 1.3.23 (requirements.txt), which has no "
                         "postgresql_not_valid (it came in 1.4.32): write the constraint as SQL instead, "
                         "op.execute('ALTER TABLE ... ADD CONSTRAINT ... NOT VALID'), or upgrade SQLAlchemy.")


def test_a_recent_sqlalchemy_gets_the_call(tmp_path, check_dir):
    [finding] = check_dir(project(tmp_path, "SQLAlchemy==2.0.30\n")).findings
    assert "postgresql_not_valid=True" in finding.help and "pins SQLAlchemy" not in finding.help


def test_an_old_alembic_gets_no_autocommit_block_and_no_fix(tmp_path, check_dir):
    root = project(tmp_path, "alembic==0.8.3\n", REVISION.replace(
        'op.create_foreign_key("fk_posts_author_id_users", "posts", "users", ["author_id"], ["id"])',
        'op.create_index("ix_posts_author_id", "posts", ["author_id"])'), "ML101")
    help_text = noted_and_left_alone(root, check_dir,
                                     "But this project pins Alembic 0.8.3 (requirements.txt), which has no "
                                     "autocommit_block (it came in 1.2): upgrade Alembic; on this release "
                                     "only op.execute('COMMIT') ends the revision's transaction, so the "
                                     "statement belongs in a revision of its own.")
    assert "autocommit_block()" in help_text
