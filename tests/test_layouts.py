"""Zero-config discovery on layouts real projects use, each history checked for its own dialect:
a multi-section alembic.ini, Flask-Alembic's migrations folder, Flask-Migrate's multi-database
template and per-dialect version folders. Both layers (AST only, and rendered) on each."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from migrate_lint.finding import Report
from tests.test_cli import ml

INDEXED = '''"""{doc}"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down!r}


def upgrade():
    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", sa.Integer))
    op.create_index("ix_{table}_at", "{table}", ["at"])
    op.add_column("accounts", sa.Column("note", sa.Text))
    op.create_index("ix_accounts_note", "accounts", ["note"])


def downgrade():
    op.drop_table("{table}")
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def indexed(folder: Path, rev: str, table: str, down: str | None = None) -> Path:
    return write(folder / f"{rev}_{table}.py", INDEXED.format(doc=table, rev=rev, down=down, table=table))


def codes(report: Report) -> list[tuple[str, int, str]]:
    return sorted((f.location.path.parent.name, f.location.line, f.code) for f in report.findings)


def dialects(report: Report) -> list[tuple[str, str, str]]:
    return [(d.path.as_posix(), d.dialect, d.source) for d in report.dialects]


# ML101 create-index-not-concurrently is PostgreSQL's: it tells which dialect a history was checked for
# (line 13: the index on an existing table; the one on a table the revision creates is exempt)
PG_ONLY = "ML101"


@pytest.fixture
def multi_section(tmp_path: Path) -> Path:
    """`alembic -n core` / `-n tenant`: no [alembic] section, package:path locations, one per URL."""
    write(tmp_path / "alembic.ini",
          "[core]\nscript_location = myapp.db:core\nsqlalchemy.url = sqlite:///%(here)s/core.db\n\n"
          "[tenant]\nscript_location = myapp:tenant_migrations\n"
          "sqlalchemy.url = postgresql+psycopg://app@db/tenant\n\n[loggers]\nkeys = root\n")
    write(tmp_path / "src" / "myapp" / "__init__.py", "")
    indexed(tmp_path / "src" / "myapp" / "db" / "core" / "versions", "c1", "settings")
    indexed(tmp_path / "src" / "myapp" / "tenant_migrations" / "versions", "t1", "orders")
    return tmp_path


@pytest.mark.parametrize("execute", [False, True])
def test_every_section_is_a_history_with_the_dialect_of_its_url(multi_section, check_dir, execute):
    report = check_dir(multi_section, execute=execute)
    assert not report.errors
    assert dialects(report) == [
        ("src/myapp/db/core/versions", "sqlite", "alembic.ini [core] sqlalchemy.url"),
        ("src/myapp/tenant_migrations/versions", "postgresql", "alembic.ini [tenant] sqlalchemy.url")]
    assert [c for c in codes(report) if c[2] == PG_ONLY] == [("versions", 13, PG_ONLY)]
    assert {f.location.path.name for f in report.findings if f.code == PG_ONLY} == {"t1_orders.py"}
    assert not [f for f in report.findings if f.code == "ML904"]  # both rendered, each for its dialect


def test_name_picks_one_section_like_alembic_n(multi_section):
    result = ml("check", "--name", "core", "--format", "json", cwd=multi_section)
    document = json.loads(result.stdout)
    assert document["summary"]["dialects"] == [{"path": "src/myapp/db/core/versions", "dialect": "sqlite",
                                                 "source": "alembic.ini [core] sqlalchemy.url"}]
    assert document["summary"]["files"] == 1 and document["findings"] == []  # no ML101 on SQLite
    missing = ml("check", "-n", "billing", cwd=multi_section)
    assert missing.returncode == 2
    assert "error: alembic.ini: alembic.ini has no section [billing] (--name)" in missing.stdout


@pytest.fixture
def flask_alembic(tmp_path: Path) -> Path:
    """Flask-Alembic: revisions directly in app/migrations next to script.py.mako, no alembic.ini;
    the Flask config builds a SQLite URL from a literal prefix."""
    write(tmp_path / "app" / "__init__.py", "from flask import Flask\n")
    write(tmp_path / "app" / "config.py",
          "import os\nbasedir = os.path.dirname(__file__)\n\n\nclass DefaultConfig:\n"
          '    SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(basedir, "app.db")\n\n\n'
          'class TestingConfig(DefaultConfig):\n    SQLALCHEMY_DATABASE_URI = "postgresql://localhost/t"\n')
    write(tmp_path / "app" / "migrations" / "script.py.mako", "${upgrades}\n")
    indexed(tmp_path / "app" / "migrations", "f1", "topics")
    return tmp_path


@pytest.mark.parametrize("execute", [False, True])
def test_flask_alembic_migrations_folder_is_found_from_the_project_root(flask_alembic, check_dir, execute):
    report = check_dir(flask_alembic, execute=execute)
    assert not report.errors and report.files_checked == 1
    assert dialects(report) == [("app/migrations", "sqlite", "SQLALCHEMY_DATABASE_URI in app/config.py")]
    assert PG_ONLY not in {f.code for f in report.findings}
    assert "ML904" not in {f.code for f in report.findings}
    forced = check_dir(flask_alembic, execute=execute, dialect="postgresql")  # what the old default gave
    assert [c for c in codes(forced) if c[2] == PG_ONLY] == [("migrations", 13, PG_ONLY)]


MULTIDB = '''"""two binds"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_():
    {default}


def downgrade_():
    pass


def upgrade_analytics():
    {analytics}


def downgrade_analytics():
    pass
'''


@pytest.fixture
def multidb(tmp_path: Path) -> Path:
    """`flask db init --multidb`: revisions with upgrade(engine_name) and one upgrade_<bind>() per bind."""
    migrations = tmp_path / "migrations"
    write(migrations / "alembic.ini", "[alembic]\n\n[loggers]\nkeys = root\n")
    write(migrations / "script.py.mako", "${upgrades}\n")
    write(migrations / "versions" / "m1_init.py", MULTIDB.format(
        rev="m1", down=None,
        default='op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))',
        analytics='op.create_table("events", sa.Column("id", sa.Integer, primary_key=True), '
                  'sa.Column("at", sa.Integer))'))
    write(migrations / "versions" / "m2_index.py", MULTIDB.format(
        rev="m2", down="m1", default="pass", analytics='op.create_index("ix_events_at", "events", ["at"])'))
    write(tmp_path / "models.py",
          "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
          'sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))\n'
          'sa.Table("events", metadata, sa.Column("id", sa.Integer, primary_key=True),\n'
          '         sa.Column("at", sa.Integer), sa.Index("ix_events_at", "at"))\n')
    write(tmp_path / "pyproject.toml",
          '[tool.migrate-lint]\nmetadata = "models:metadata"\ndialect = "postgresql"\n')
    return tmp_path


@pytest.mark.parametrize("execute", [False, True])
def test_multidb_revisions_are_checked_per_bind(multidb, check_dir, execute):
    report = check_dir(multidb, execute=execute)
    assert not report.errors
    assert "ML904" not in {f.code for f in report.findings}  # rendered: upgrade(bind) for every bind
    index = [f for f in report.findings if f.code == PG_ONLY]
    assert [(f.location.path.name, f.location.line) for f in index] == [("m2_index.py", 28)]


def test_multidb_renders_each_bind_into_its_own_function(multidb):
    from migrate_lint.rendering.render import render_many

    path = multidb / "migrations" / "versions" / "m1_init.py"
    rendered = render_many([path], "postgresql")[path]
    assert rendered.error is None
    assert [(function, sql.split("(")[0].strip()) for _, function, sql, _ in rendered.statements] == [
        ("upgrade_", "CREATE TABLE users"), ("upgrade_analytics", "CREATE TABLE events")]


def test_multidb_drift_upgrades_every_bind(multidb):
    result = ml("drift", "--format", "json", cwd=multidb)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["ML529"]  # config says postgresql
    write(multidb / "models.py", (multidb / "models.py").read_text().replace(
        'sa.Column("at", sa.Integer),', 'sa.Column("at", sa.Integer), sa.Column("kind", sa.Text),'))
    drifted = ml("drift", "--format", "json", cwd=multidb)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert {f["subject"] for f in json.loads(drifted.stdout)["findings"]} >= {"events.kind"}


def test_multidb_drift_says_why_its_env_py_does_not_run(multidb):
    """Flask-Migrate's multi-database env.py (bind_names, one engine per bind) is named as such."""
    write(multidb / "migrations" / "env.py", textwrap.dedent('''
        from flask import current_app
        bind_names = list(current_app.config.get("SQLALCHEMY_BINDS", {}))
        target_db = current_app.extensions['migrate'].db
        engines = {"": {"engine": target_db.engine}}
    '''))
    result = ml("drift", "--format", "json", cwd=multidb)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Flask-Migrate's multi-database template; each bind is upgraded by our own runner" in result.stderr
    assert "older" not in result.stderr


@pytest.fixture
def per_dialect(tmp_path: Path) -> Path:
    """One script location, one version folder per dialect (env.py picks one), like prefect's."""
    location = tmp_path / "server" / "_migrations"
    write(location / "env.py", "# picks versions/<dialect> by the engine's dialect\n")
    indexed(location / "versions" / "postgresql", "p1", "flows")
    indexed(location / "versions" / "sqlite", "s1", "flows")
    write(location.parent / "alembic.ini", "[alembic]\nscript_location = %(here)s/_migrations\n")
    return tmp_path


@pytest.mark.parametrize("execute", [False, True])
def test_a_version_folder_named_after_a_dialect_is_checked_for_it(per_dialect, check_dir, execute):
    report = check_dir(per_dialect, execute=execute)
    assert not report.errors
    assert [(d, s) for _, d, s in dialects(report)] == [
        ("postgresql", "version folder versions/postgresql"), ("sqlite", "version folder versions/sqlite")]
    assert {f.location.path.name for f in report.findings if f.code == PG_ONLY} == {"p1_flows.py"}


def test_per_path_dialect_gives_any_folder_its_dialect(tmp_path, check_dir):
    location = tmp_path / "db"
    indexed(location / "versions" / "main", "p1", "flows")
    indexed(location / "versions" / "lite", "s1", "flows")
    write(tmp_path / "pyproject.toml", '[tool.migrate-lint]\nscript-location = "db"\ndialect = "postgresql"\n'
                                       'per-path-dialect = { "db/versions/lite" = "sqlite" }\n')
    report = check_dir(tmp_path)
    assert [(d, s) for _, d, s in dialects(report)] == [
        ("sqlite", '[tool.migrate-lint] per-path-dialect "db/versions/lite"'),
        ("postgresql", "[tool.migrate-lint] dialect")]
    assert {f.location.path.name for f in report.findings if f.code == PG_ONLY} == {"p1_flows.py"}


def test_the_render_cache_is_kept_per_dialect(per_dialect, check_dir):
    """The same folder rendered for another dialect never reuses the first dialect's SQL."""
    from migrate_lint.cache.store import cache_dir
    from migrate_lint.rendering.store import has_renders
    from migrate_lint.revisions.discover import discover_dir

    first = check_dir(per_dialect, execute=True)
    histories = {h.version_dirs[0].name: h for h in discover_dir(per_dialect)}
    assert has_renders(cache_dir(), histories["sqlite"], "sqlite")
    assert not has_renders(cache_dir(), histories["sqlite"], "postgresql")
    forced = check_dir(per_dialect, execute=True, dialect="postgresql")  # the folder name still wins
    assert codes(forced) == codes(first)


def test_multidb_operations_carry_their_bind_function(multidb):
    from migrate_lint.revisions.facts import analyse

    path = multidb / "migrations" / "versions" / "m1_init.py"
    facts = analyse(path, path.read_text())
    assert [(op.function, op.name, op.args[0]) for op in facts.operations] == [
        ("upgrade_", "create_table", "users"), ("upgrade_analytics", "create_table", "events")]


def test_flask_sqlalchemy_binds_are_compared_together(tmp_path):
    """drift upgrades every bind into one scratch database: the models of every bind are compared."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    from migrate_lint.database.models import from_app

    app = Flask("multidb_app")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SQLALCHEMY_BINDS={"analytics": "sqlite://"})
    db = SQLAlchemy(app)

    class User(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)

    class Event(db.Model):  # type: ignore[name-defined]
        __bind_key__ = "analytics"
        id = db.Column(db.Integer, primary_key=True)

    assert set(from_app(app, tmp_path).metadata.tables) == {"user", "event"}
