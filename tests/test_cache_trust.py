"""The cache never lies (issue 13 §4): a render is cached with every project file it read, and what
is read back from the cache folder is validated, replaced when it does not fit, and not read at all
under --no-cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAD = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "{rev}"\ndown_revision = None\n\n'


def check(project: Path, cache: Path, *args: str) -> tuple[int, list[tuple[str, str]], str]:
    env = {**os.environ, "MIGRATE_LINT_CACHE_DIR": str(cache)}
    result = subprocess.run([sys.executable, "-m", "migrate_lint", "check", ".", "--format", "json", *args],
                            cwd=project, env=env, capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout) if result.stdout.strip() else {"findings": []}
    return result.returncode, sorted((Path(f["path"]).name, f["code"]) for f in report["findings"]), \
        result.stderr


HELPER = '''\
from alembic import op


def build_index():
    with op.get_context().autocommit_block():
        op.create_index("ix_t_c", "t", ["c"]{concurrently})
'''

SQL_FILE_REVISION = '''\
import os

def upgrade():
    with open(os.path.join(os.path.dirname(__file__), "..", "sql", "index.sql")) as sql:
        op.execute(sql.read())
'''

HELPER_REVISION = '''\
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from migration_helpers import build_index

def upgrade():
    build_index()
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    (versions / "a1.py").write_text(HEAD.format(rev="a1") + HELPER_REVISION)
    (root / "migrations" / "migration_helpers.py").write_text(
        HELPER.format(concurrently=", postgresql_concurrently=True"))
    return root


def test_a_helper_the_render_imported_keys_the_render_cache(project, tmp_path):
    cache = tmp_path / "cache"
    assert check(project, cache)[:2] == (0, [])  # the helper builds the index concurrently
    (project / "migrations" / "migration_helpers.py").write_text(HELPER.format(concurrently=""))
    warm = check(project, cache)
    assert warm[:2] == check(project, tmp_path / "cold", "--no-cache")[:2] == (1, [("a1.py", "ML101")])


def test_a_file_the_render_read_keys_the_render_cache(tmp_path):
    root = tmp_path / "project"
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "sql").mkdir()
    (root / "migrations" / "versions" / "a1.py").write_text(HEAD.format(rev="a1") + SQL_FILE_REVISION)
    (root / "migrations" / "sql").mkdir()
    index_sql = root / "migrations" / "sql" / "index.sql"
    index_sql.write_text("CREATE INDEX CONCURRENTLY ix_t_c ON t (c)")
    cache = tmp_path / "cache"
    assert ("a1.py", "ML101") not in check(root, cache)[1]
    index_sql.write_text("CREATE INDEX ix_t_c ON t (c)")
    assert ("a1.py", "ML101") in check(root, cache)[1]


def test_each_revision_reports_a_helper_even_when_the_worker_imported_it_before(project, tmp_path):
    versions = project / "migrations" / "versions"
    (versions / "b2.py").write_text(HEAD.format(rev="b2").replace("None", '"a1"') + HELPER_REVISION)
    cache = tmp_path / "cache"
    assert check(project, cache)[:2] == (0, [])  # one worker renders a1 then b2
    (project / "migrations" / "migration_helpers.py").write_text(HELPER.format(concurrently=""))
    assert check(project, cache)[:2] == (1, [("a1.py", "ML101"), ("b2.py", "ML101")])
