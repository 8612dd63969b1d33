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

def _plant(path: Path, value: object) -> None:
    store.write(path.parent, path.name, value)


def test_nothing_in_the_cache_folder_changes_the_catalogue(tmp_path):
    """The catalogue is never cached in the user's cache folder: a planted file named like the old
    catalogue cache is never read, with or without --no-cache."""
    project = tmp_path / "project"
    versions = project / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1.py").write_text(HEAD.format(rev="a1") + 'def upgrade():\n    op.drop_column("t", "c")\n')
    folder = tmp_path / "cache"
    assert check(project, folder, "--no-execute")[:2] == (1, [("a1.py", "ML201")])
    assert not list(folder.glob("catalog*"))
    for name in ("catalog.bin", "catalog-0.bin"):
        _plant(folder / name, store.encode(catalog_module.Catalog(())))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for flags in ((), ("--no-cache",)):
        status, found, err = check(project, folder, "--no-execute", *flags)
        assert (status, found) == (1, [("a1.py", "ML201")]), err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("catalog")} == {
        name: data for name, data in before.items() if name.startswith("catalog")}


def test_the_compiled_catalogue_is_current():
    """rules/catalog.json is what `python -m migrate_lint.catalog` compiles from rules/*.yml now."""
    compiled = catalog_module.rules_dir() / catalog_module.COMPILED
    assert compiled.read_text(encoding="utf-8") == catalog_module.compile_catalog(), (
        "rules/*.yml changed: run `python -m migrate_lint.catalog` to compile rules/catalog.json")


def test_a_compiled_catalogue_that_does_not_fit_the_yaml_is_not_used(tmp_path):
    """Edited YAML, or a compiled file that is corrupt or of another catalogue: the YAML decides."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for path in catalog_module.rules_dir().glob("ML20*.yml"):
        (folder / path.name).write_text(path.read_text())
    (folder / "catalog.json").write_text(catalog_module.compile_catalog(folder))
    catalog_module.load_catalog.cache_clear()
    fresh = catalog_module.load_catalog(folder)
    edited = (folder / "ML201.yml").read_text().replace("severity: warning", "severity: error", 1)
    (folder / "ML201.yml").write_text(edited)
    catalog_module.load_catalog.cache_clear()
    assert catalog_module.load_catalog(folder).get("ML201").severity.label == "error"
    for planted in ("{not json", json.dumps({"digest": "x", "rules": {}}), "[]"):
        (folder / "catalog.json").write_text(planted)
        catalog_module.load_catalog.cache_clear()
        assert len(catalog_module.load_catalog(folder).rules) == len(fresh.rules)
    catalog_module.load_catalog.cache_clear()


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
