"""A build whose CONCURRENTLY the revision decides at run time, from a setting (Phoenix's
PHOENIX_MIGRATE_INDEX_CONCURRENTLY), is the author's documented choice: info, and no fix."""

from __future__ import annotations

from pathlib import Path

REVISION = '''import os

from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    concurrently = os.environ.get("MIGRATE_INDEX_CONCURRENTLY", "") == "true"
    op.execute(f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS ix_posts_title "
               "ON posts (title)")
'''


def _project(root: Path) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    (root / "migrations" / "env.py").write_text("from alembic import context\n")
    (root / "migrations" / "versions" / "a1.py").write_text(REVISION)
    return root


def test_sql_that_says_concurrently_in_an_f_string_conditional_is_the_setting_s(tmp_path, check_dir):
    """Rendered with the setting off, the statement has no CONCURRENTLY; the code says when it has."""
    [finding] = [f for f in check_dir(_project(tmp_path), execute=True).findings if f.code == "ML101"]
    assert finding.severity.name == "INFO"
    assert "is built concurrently only when concurrently is true as the revision runs" in finding.message


def test_the_same_sql_with_concurrently_always_off_is_an_error(tmp_path, check_dir):
    project = _project(tmp_path)
    revision = project / "migrations" / "versions" / "a1.py"
    revision.write_text(REVISION.replace("{'CONCURRENTLY ' if concurrently else ''}", ""))
    [finding] = [f for f in check_dir(project, execute=True).findings if f.code == "ML101"]
    assert finding.severity.name == "ERROR"
