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

from migrate_lint import catalog as catalog_module
from migrate_lint.cache import store

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


# -- what is read back --------------------------------------------------------------------------------

def _catalog_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("catalog-*.bin"))


@pytest.fixture
def cached_catalog(tmp_path, monkeypatch):
    """A cache folder holding the catalogue, as the first run leaves it; load_catalog forgets what it
    loaded in this process before and after."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MIGRATE_LINT_CACHE_DIR", str(folder))
    catalog_module.load_catalog.cache_clear()
    full = catalog_module.load_catalog()
    catalog_module.load_catalog.cache_clear()
    [path] = _catalog_files(folder)
    yield folder, path, full
    catalog_module.load_catalog.cache_clear()


def _plant(path: Path, value: object) -> None:
    store.write(path.parent, path.name, value)


def _planted_values(full) -> dict[str, object]:
    encoded = store.encode(full)
    first_rule = list(encoded[1][0])
    wrong_severity = [encoded[0], (["RuleSpec", *first_rule[1:4], "warning", *first_rule[5:]],
                                   *encoded[1][1:])]
    return {
        "no rules": store.encode(catalog_module.Catalog(())),
        "one rule missing": [encoded[0], encoded[1][1:]],
        "a severity that is a string": wrong_severity,
        "not a catalogue": ["Path", "/etc"],
        "a foreign shape": {"rules": 5},
    }


@pytest.mark.parametrize("kind", ["no rules", "one rule missing", "a severity that is a string",
                                  "not a catalogue", "a foreign shape"])
def test_a_planted_catalogue_is_ignored_and_replaced(cached_catalog, kind):
    folder, path, full = cached_catalog
    _plant(path, _planted_values(full)[kind])
    assert catalog_module.load_catalog() == full
    catalog_module.load_catalog.cache_clear()
    assert store.read(folder, path.name) == store.encode(full)  # replaced by the fresh compile


def test_a_corrupt_catalogue_is_ignored_and_replaced(cached_catalog):
    folder, path, full = cached_catalog
    data = bytearray(path.read_bytes())
    at = data.index(b"ML101") + 4
    data[at] = ord("9")  # a flipped byte inside a string: still a valid marshal stream
    path.write_bytes(bytes(data))
    assert catalog_module.load_catalog() == full
    assert store.read(folder, path.name) == store.encode(full)


def test_no_cache_reads_no_cache_at_all(cached_catalog, tmp_path):
    folder, path, full = cached_catalog
    project = tmp_path / "project"
    versions = project / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1.py").write_text(HEAD.format(rev="a1") + 'def upgrade():\n    op.drop_column("t", "c")\n')
    _plant(path, _planted_values(full)["no rules"])  # well-formed: only not reading it keeps rules on
    planted = path.read_bytes()
    before = sorted(p.name for p in folder.iterdir())
    status, found, err = check(project, folder, "--no-cache", "--no-execute")
    assert (status, found) == (1, [("a1.py", "ML201")]), err
    assert path.read_bytes() == planted and sorted(p.name for p in folder.iterdir()) == before


def test_a_planted_facts_cache_of_the_wrong_shape_is_ignored(tmp_path):
    project = tmp_path / "project"
    versions = project / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1.py").write_text(HEAD.format(rev="a1") + 'def upgrade():\n    op.drop_column("t", "c")\n')
    cache = tmp_path / "cache"
    assert check(project, cache, "--no-execute")[:2] == (1, [("a1.py", "ML201")])
    for path in cache.glob("facts-*.bin"):
        _plant(path, {str(versions / "a1.py"): "not an entry", 5: ("x", None)})
    for _ in range(2):
        assert check(project, cache, "--no-execute")[:2] == (1, [("a1.py", "ML201")])
