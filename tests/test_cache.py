"""The content-hash cache: reused when content is unchanged, ignored when stale or corrupt."""

from __future__ import annotations

import marshal

import pytest

from migrate_lint.cache import store as cache
from migrate_lint.lint import run
from migrate_lint.lint.engine import Engine
from migrate_lint.revisions import facts
from tests.test_discover import revision

DROP = ('revision = "b1"\ndown_revision = "a1"\nfrom alembic import op\n\n'
        'def upgrade():\n    op.drop_column("u", "c")\n')


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("MIGRATE_LINT_CACHE_DIR", str(tmp_path / "cache"))
    versions = tmp_path / "p" / "versions"
    revision(versions, "a1")
    (versions / "b1.py").write_text(DROP)
    return tmp_path


def codes(root):
    report = run.check([root / "p"], None, {}, execute=False).report
    return sorted((f.location.path.name, f.location.line, f.code) for f in report.findings)


def test_unchanged_files_come_from_the_cache(project, monkeypatch):
    first = codes(project)
    assert first == [("b1.py", 6, "ML201")]
    assert list((project / "cache").glob("facts-*.bin"))

    def no_analysis(*_args):
        raise AssertionError("a cached file was analysed again")

    monkeypatch.setattr("migrate_lint.revisions.facts.analyse", no_analysis)
    assert codes(project) == first


def test_an_edited_file_is_analysed_again(project):
    codes(project)
    edited = DROP.replace('drop_column("u", "c")', 'drop_table("u")')
    (project / "p" / "versions" / "b1.py").write_text(edited)
    assert codes(project) == [("b1.py", 6, "ML202")]


@pytest.mark.parametrize("garbage", [b"", b"not marshal", marshal.dumps(("other-version", {})),
                                     marshal.dumps((cache.STAMP, {"x": ("d", ["Evil", 1])}))])
def test_a_corrupt_or_foreign_cache_is_ignored(project, garbage):
    codes(project)
    for path in (project / "cache").glob("facts-*.bin"):
        path.write_bytes(garbage)
    assert codes(project) == [("b1.py", 6, "ML201")]


def test_unknown_classes_never_decode():
    with pytest.raises(cache.CacheError):
        cache.decode(["os.system", "echo"], facts.CLASSES)


def test_round_trip_of_real_facts(tmp_path):
    source = (tmp_path / "x.py")
    source.write_text(DROP + '    op.execute("UPDATE u SET c = 1")  # migrate-lint: ignore[ML201]\n')
    original = facts.analyse(source, source.read_text())
    assert cache.decode(marshal.loads(marshal.dumps(cache.encode(original))), facts.CLASSES) == original


def test_one_field_decodes_alone(tmp_path):
    source = (tmp_path / "x.py")
    source.write_text(DROP)
    original = facts.analyse(source, source.read_text())
    store = cache.FactsCache(tmp_path / "cache", "key", facts.CLASSES)
    store.put("x.py", "digest", original)
    assert store.get_field("x.py", "digest", "header") == original.header
    assert store.get_field("x.py", "another digest", "header") is None
    assert store.get_field("x.py", "digest", "no such field") is None


def test_no_cache_writes_nothing(project, catalog):
    from migrate_lint.config import Config, select_rules
    from migrate_lint.revisions.discover import discover_dir

    config = Config(root=project)
    Engine(catalog, select_rules(config, catalog), config, None).run(discover_dir(project / "p"))
    assert not list((project / "cache").glob("facts-*.bin"))


def test_a_partial_run_keeps_what_other_runs_cached(project, catalog):
    from migrate_lint.config import Config, select_rules
    from migrate_lint.revisions.discover import discover_dir, discover_files

    config = Config(root=project)
    selection = select_rules(config, catalog)
    folder = project / "cache"
    Engine(catalog, selection, config, folder, execute=True).run(discover_dir(project / "p"))
    rendered = next(folder.glob("facts-*.bin"), None)
    stores = {p.name: p.stat().st_size for p in folder.glob("facts-*.bin")}
    Engine(catalog, selection, config, folder, execute=True).run(
        discover_files([project / "p" / "versions" / "b1.py"]))
    assert rendered is not None
    assert {p.name: p.stat().st_size for p in folder.glob("facts-*.bin")} == stores
