"""The dialect a history is checked for, inferred without importing anything, in a stated order:
per-path-dialect, a version folder named after a dialect, --dialect, [tool.migrate-lint] dialect,
alembic.ini's sqlalchemy.url, a literal URL in the Flask config, the one database whose drivers the
dependency files declare, then PostgreSQL, said to be the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.config import ConfigError, load, parse
from migrate_lint.lint import run
from migrate_lint.revisions.database_url import url_dialect
from migrate_lint.revisions.dialect import flask_config
from migrate_lint.revisions.discover import find_histories
from migrate_lint.revisions.drivers import declared_dialect
from migrate_lint.revisions.readme_dialect import readme_dialect
from migrate_lint.revisions.written_for import written_for

REVISION = 'revision = "a1"\ndown_revision = None\n\ndef upgrade():\n    pass\n'


def project(root: Path, ini_url: str | None = None, config: str | None = None,
            flask: str | None = None) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "versions" / "a1.py").write_text(REVISION)
    ini = "[alembic]\nscript_location = migrations\n"
    if ini_url is not None:
        ini += f"sqlalchemy.url = {ini_url}\n"
    (root / "alembic.ini").write_text(ini)
    if config is not None:
        (root / "pyproject.toml").write_text(f"[tool.migrate-lint]\n{config}\n")
    if flask is not None:
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("")
        (root / "app" / "config.py").write_text(flask)
    flask_config.cache_clear()
    declared_dialect.cache_clear()
    written_for.cache_clear()
    readme_dialect.cache_clear()
    return root


def inferred(root: Path, **overrides: object) -> tuple[str, str]:
    config = run.given_dialect(load(None, root).override(**overrides), overrides)
    [history], errors = find_histories([root], config)
    assert not errors
    return history.dialect or "", history.dialect_source


FLASK_SQLITE = 'class Config:\n    SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"\n'


def test_dialect_flag_comes_first(tmp_path):
    root = project(tmp_path, "sqlite:///x.db", 'dialect = "mariadb"', FLASK_SQLITE)
    assert inferred(root, dialect="mysql") == ("mysql", "--dialect")


def test_config_dialect_before_alembic_ini(tmp_path):
    root = project(tmp_path, "sqlite:///x.db", 'dialect = "mariadb"', FLASK_SQLITE)
    assert inferred(root) == ("mariadb", "[tool.migrate-lint] dialect")


def test_alembic_ini_url_before_the_flask_config(tmp_path):
    root = project(tmp_path, "mysql+pymysql://u@h/db", flask=FLASK_SQLITE)
    assert inferred(root) == ("mysql", "alembic.ini sqlalchemy.url")


def test_flask_config_literal_url(tmp_path):
    root = project(tmp_path, "driver://user:pass@localhost/dbname", flask=FLASK_SQLITE)  # alembic init's
    assert inferred(root) == ("sqlite", "SQLALCHEMY_DATABASE_URI in app/config.py")


@pytest.mark.parametrize("url", ["sqlite:////var/tmp/app-dev.sqlite", "sqlite:///test.db",
                                 "sqlite:////tmp/app.db", "sqlite:///dev/app.db"])
def test_a_sqlite_file_named_for_development_is_not_production_s_dialect(tmp_path, url):
    root = project(tmp_path, flask=f'class Config:\n    SQLALCHEMY_DATABASE_URI = "{url}"\n')
    assert inferred(root)[1] != "SQLALCHEMY_DATABASE_URI in app/config.py"


def test_nothing_found_is_the_stated_default(tmp_path):
    assert inferred(project(tmp_path)) == (
        "postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")


@pytest.mark.parametrize(("files", "found"), [
    ({"requirements.txt": "oslo.db[mysql]>=8.4  # Apache-2.0\nalembic\n"},
     ("mysql", "requirements.txt declares oslo.db[mysql], a MySQL driver, and no driver of another "
               "database")),
    ({"pyproject.toml": '[project]\ndependencies = ["psycopg[binary]>=3", "SQLAlchemy"]\n'},
     ("postgresql", "pyproject.toml declares psycopg, a PostgreSQL driver, and no driver of another "
                    "database")),
    ({"environment.yml": "name: app\ndependencies:\n    - python=3.9\n    - mysql=8.0\n    - pymysql\n"},
     ("mysql", "environment.yml declares pymysql, a MySQL driver, and no driver of another database")),
    ({"test-requirements.txt": "PyMySQL>=0.7\n"},
     ("mysql", "test-requirements.txt declares pymysql, a MySQL driver, and no driver of another database")),
    ({"setup.cfg": "[options]\ninstall_requires =\n    psycopg2-binary\n    mysqlclient\n"},
     ("postgresql", "default: the dependencies declare drivers of several databases (setup.cfg declares "
                    "psycopg2-binary, setup.cfg declares mysqlclient)")),
    ({"requirements.txt": "oslo.db>=10.0.0 # Apache-2.0\n",  # nova: tested on both, deployed on MySQL
      "test-requirements.txt": "psycopg2-binary>=2.8\nPyMySQL>=0.8.0\n"},
     ("mysql", "requirements.txt declares oslo.db, OpenStack's database layer, whose services run on MySQL "
               "or MariaDB (drivers of both databases are declared: test-requirements.txt declares "
               "psycopg2-binary, test-requirements.txt declares pymysql)")),
    ({"requirements.txt": "oslo.db>=8.2.0 # Apache-2.0\n"},  # magnum: the driver is the deployment's
     ("mysql", "requirements.txt declares oslo.db, OpenStack's database layer, whose services run on MySQL "
               "or MariaDB, and no database driver")),
    ({"requirements.txt": "pbr>=5.5.0\nneutron>=16.0.0.0b1  # Apache-2.0\nneutron-lib>=2.11.0\n",
      "test-requirements.txt": "psycopg2\nPyMySQL>=0.7.6\n"},  # tap-as-a-service: built on neutron
     ("mysql", "requirements.txt declares neutron, which uses oslo.db, OpenStack's database layer, whose "
               "services run on MySQL or MariaDB (drivers of both databases are declared: "
               "test-requirements.txt declares psycopg2, test-requirements.txt declares pymysql)")),
    ({"test-requirements.txt": "-e git+https://opendev.org/openstack/neutron.git@stable/queens#egg=neutron\n"
                               "psycopg2\nPyMySQL\n"},  # group-based-policy
     ("mysql", "test-requirements.txt declares neutron, which uses oslo.db, OpenStack's database layer, "
               "whose services run on MySQL or MariaDB (drivers of both databases are declared: "
               "test-requirements.txt declares psycopg2, test-requirements.txt declares pymysql)")),
    ({"pyproject.toml": "[tool.setuptools.data-files]\n\"etc/neutron/rootwrap.d\" = []\n",
      "requirements.txt": "flask\n"},  # a word, not a requirement
     ("postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")),
    ({"pyproject.toml": '[project]\ndependencies = ["SQLAlchemy[mariadb-connector,mysql-connector]"]\n'},
     ("mysql", "pyproject.toml declares sqlalchemy[mariadb-connector], a MySQL driver, and no driver of "
               "another database")),  # SQLAlchemy's extras of each driver (romm's)
    ({"requirements.txt": "flask-sqlalchemy\nmysqlclient-stubs-not-a-driver\n"},
     ("postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")),
])
def test_the_one_database_whose_drivers_the_dependencies_declare(tmp_path, files, found):
    root = project(tmp_path)
    for name, text in files.items():
        (root / name).write_text(text)
    assert inferred(root) == found


INNODB = ('revision = "{rev}"\ndown_revision = None\n\ndef upgrade():\n'
          '    op.create_table("t{rev}", sa.Column("id", sa.Integer), mysql_engine="InnoDB")\n')


@pytest.mark.parametrize(("extra", "found"), [
    ("", ("mysql", "3 files of migrations/ write MySQL's table options or types (b1.py, ...) and none "
                   "PostgreSQL's; the dependencies declare drivers of several databases "
                   "(requirements.txt declares psycopg2, requirements.txt declares pymysql)")),
    # one revision written for PostgreSQL: the history is not MySQL's alone
    ('    op.create_index("ix", "t", ["a"], postgresql_concurrently=True)\n', (
        "postgresql", "default: the dependencies declare drivers of several databases "
                      "(requirements.txt declares psycopg2, requirements.txt declares pymysql)")),
    # a type with a variant for each database: written for PostgreSQL too (consdb's)
    ('    op.add_column("t", sa.Column("b", sa.String().with_variant(sa.VARCHAR(64), "postgresql")))\n', (
        "postgresql", "default: the dependencies declare drivers of several databases "
                      "(requirements.txt declares psycopg2, requirements.txt declares pymysql)")),
])
def test_when_the_drivers_do_not_tell_the_revisions_mysql_options_do(tmp_path, extra, found):
    root = project(tmp_path)
    (root / "requirements.txt").write_text("psycopg2\nPyMySQL\n")
    for rev in ("b1", "b2", "b3"):
        (root / "migrations" / "versions" / f"{rev}.py").write_text(INNODB.format(rev=rev) + extra)
    assert inferred(root) == found


def test_mysql_table_options_in_capitals_say_mysql(tmp_path):
    root = project(tmp_path)  # magnum writes mysql_ENGINE='InnoDB', which SQLAlchemy accepts
    for rev in ("b1", "b2", "b3"):
        (root / "migrations" / "versions" / f"{rev}.py").write_text(
            INNODB.format(rev=rev).replace('mysql_engine="InnoDB"', "mysql_ENGINE='InnoDB'"))
    assert inferred(root)[0] == "mysql"


def test_two_files_with_mysql_options_are_not_enough(tmp_path):
    root = project(tmp_path)
    for rev in ("b1", "b2"):
        (root / "migrations" / "versions" / f"{rev}.py").write_text(INNODB.format(rev=rev))
    assert inferred(root)[0] == "postgresql"


def test_a_flask_config_url_before_the_declared_drivers(tmp_path):
    root = project(tmp_path, flask=FLASK_SQLITE)
    (root / "requirements.txt").write_text("psycopg2\n")
    assert inferred(root) == ("sqlite", "SQLALCHEMY_DATABASE_URI in app/config.py")


@pytest.mark.parametrize("value", [
    'os.environ["DATABASE_URL"]',
    'os.environ.get("DATABASE_URL", "sqlite:///dev.db")',  # a developer's fallback is not production's
    'os.getenv("DATABASE_URL") or "sqlite:///dev.db"',
])
def test_an_environment_variable_is_not_a_dialect(tmp_path, value):
    root = project(tmp_path, flask=f"import os\n\nclass Config:\n    SQLALCHEMY_DATABASE_URI = {value}\n")
    assert inferred(root) == ("postgresql", "default: SQLALCHEMY_DATABASE_URI in app/config.py reads the "
                                            "environment variable DATABASE_URL, which is not a dialect")


def test_an_ini_url_from_the_environment_says_so(tmp_path):
    root = project(tmp_path, "${DATABASE_URL}")
    assert inferred(root) == ("postgresql", "default: alembic.ini sqlalchemy.url reads the environment "
                                            "variable DATABASE_URL, which is not a dialect")


def test_production_class_wins_and_tests_are_left_out(tmp_path):
    root = project(tmp_path, flask=(
        'class Config:\n    SQLALCHEMY_DATABASE_URI = "sqlite:///dev.db"\n\n'
        'class TestingConfig(Config):\n    SQLALCHEMY_DATABASE_URI = "sqlite://"\n\n'
        'class ProductionConfig(Config):\n    SQLALCHEMY_DATABASE_URI = f"mysql://app@{HOST}/app"\n'))
    assert inferred(root) == ("mysql", "SQLALCHEMY_DATABASE_URI in app/config.py")


def test_app_config_assignment_in_the_package(tmp_path):
    root = project(tmp_path)
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text(
        'from flask import Flask\napp = Flask(__name__)\napp.config["SQLALCHEMY_DATABASE_URI"] = '
        '"postgresql+psycopg2://app@db/app"\n')
    flask_config.cache_clear()
    assert inferred(root) == ("postgresql", "SQLALCHEMY_DATABASE_URI in app/__init__.py")


@pytest.mark.parametrize(("url", "dialect"), [
    ("postgres://x", "postgresql"), ("postgresql+asyncpg://x", "postgresql"), ("mysql+mysqldb://x", "mysql"),
    ("mariadb+pymysql://x", "mariadb"), ("sqlite://", "sqlite"), ("oracle://x", None), ("driver://x", None),
    ("", None)])
def test_url_schemes(url, dialect):
    assert url_dialect(url) == dialect


def test_per_path_dialect_is_validated(tmp_path):
    path = tmp_path / "pyproject.toml"
    config = parse('[tool.migrate-lint]\nper-path-dialect = { "db/lite" = "sqlite" }\n', path)
    assert config.per_path_dialect == (("db/lite", "sqlite"),)
    with pytest.raises(ConfigError, match=r'`per-path-dialect.db/lite` must be one of .*not \'oracle\''):
        parse('[tool.migrate-lint]\nper-path-dialect = { "db/lite" = "oracle" }\n', path)
    with pytest.raises(ConfigError, match="`per-path-dialect` must be a table"):
        parse('[tool.migrate-lint]\nper-path-dialect = "sqlite"\n', path)


def test_the_text_summary_says_which_dialect_and_why(tmp_path):
    from tests.test_cli import ml

    root = project(tmp_path, "sqlite:///%(here)s/app.db")
    result = ml("check", "--no-execute", cwd=root)
    assert result.stdout.splitlines()[-1] == "dialect: sqlite (alembic.ini sqlalchemy.url)"


def test_drift_never_claims_production_is_the_default(tmp_path):
    from tests.test_cli import ml
    from tests.test_drift import plain_project

    root = plain_project(tmp_path)  # no dialect anywhere: sqlalchemy.url is alembic init's placeholder
    result = ml("drift", "--format", "json", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ML529" not in result.stdout and "production is" not in result.stdout
    assert "production's dialect is not known (default: no dialect found" in result.stderr
    stated = ml("drift", "--dialect", "postgresql", "--format", "json", cwd=root)
    assert "production is postgresql" in stated.stdout


def test_an_ini_url_that_env_py_replaces_is_not_the_dialect(tmp_path):
    root = project(tmp_path, "sqlite:///will/be/overridden", flask=FLASK_SQLITE.replace("sqlite", "mysql"))
    (root / "migrations" / "env.py").write_text(
        "from alembic import context\nfrom myapp import app\nconfig = context.config\n"
        'config.set_main_option("sqlalchemy.url", app.config["DB_URI"])\n')
    assert inferred(root) == ("mysql", "SQLALCHEMY_DATABASE_URI in app/config.py")
    (root / "app" / "config.py").unlink()
    flask_config.cache_clear()
    assert inferred(root) == ("postgresql", "default: env.py replaces alembic.ini sqlalchemy.url")
    (root / "migrations" / "env.py").write_text(  # Alembic's generic template reads the ini's URL
        "from alembic import context\nfrom sqlalchemy import engine_from_config\nconfig = context.config\n"
        "connectable = engine_from_config(config.get_section(config.config_ini_section, {}))\n")
    assert inferred(root) == ("sqlite", "alembic.ini sqlalchemy.url")


def test_a_sqlite_ini_url_beside_the_applications_shared_connection_is_the_command_lines(tmp_path):
    """OpenStack's heat and nova: env.py runs on the connection the service hands it through
    `config.attributes`, and alembic.ini's `sqlite:///heat.db` serves only `alembic` typed by hand."""
    root = project(tmp_path, "sqlite:///heat.db")
    (root / "requirements.txt").write_text("PyMySQL>=0.7.6\n")
    (root / "migrations" / "env.py").write_text(
        "from alembic import context\nfrom sqlalchemy import engine_from_config\nconfig = context.config\n"
        "connectable = config.attributes.get('connection', None)\n"
        "if connectable is None:\n"
        "    connectable = engine_from_config(config.get_section(config.config_ini_section, {}))\n")
    dialect, source = inferred(root)
    assert dialect == "mysql" and "pymysql" in source
    (root / "alembic.ini").write_text(  # a server URL beside the recipe is the database it runs on
        "[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql://localhost/heat\n")
    assert inferred(root) == ("postgresql", "alembic.ini sqlalchemy.url")


MARIADB_AND_LOGIN_DB = ("services:\n  db:\n    image: mariadb:11.3\n"
                        "  auth-db:\n    image: postgres:16-alpine\n")


@pytest.mark.parametrize(("composes", "found"), [
    ({"docker-compose.yml": "services:\n  mysql:\n    image: mysql:8.0\n  redis:\n    image: redis:5\n"},
     ("mysql", "docker-compose.yml runs MySQL; the dependencies declare drivers of several databases "
               "(requirements.txt declares psycopg2, requirements.txt declares pymysql)")),
    # romm's: its development file runs PostgreSQL beside MariaDB for a login service; its example
    # and test files run MariaDB alone
    ({"docker-compose.yml": MARIADB_AND_LOGIN_DB,
      "examples/docker-compose.example.yml": "services:\n  db:\n    image: 'mariadb:latest'\n",
      "backend/docker-compose.test.yml": "services:\n  db:\n    image: docker.io/library/mariadb:10.11\n"},
     ("mariadb", "docker-compose.yml, backend/docker-compose.test.yml, examples/docker-compose.example.yml "
                 "run MariaDB; the dependencies declare drivers of several databases (requirements.txt "
                 "declares psycopg2, requirements.txt declares pymysql)")),
    ({"docker-compose.yml": MARIADB_AND_LOGIN_DB},  # one file, one of each: a tie tells nothing
     ("postgresql", "default: the dependencies declare drivers of several databases "
                    "(requirements.txt declares psycopg2, requirements.txt declares pymysql)")),
    ({"compose.yaml": "services:\n  db:\n    image: bitnami/postgresql:16  # the store\n"},
     ("postgresql", "compose.yaml runs PostgreSQL; the dependencies declare drivers of several databases "
                    "(requirements.txt declares psycopg2, requirements.txt declares pymysql)")),
])
def test_when_the_drivers_do_not_tell_the_compose_files_database_does(tmp_path, composes, found):
    from migrate_lint.revisions.compose_database import compose_dialect

    root = project(tmp_path)
    (root / "requirements.txt").write_text("psycopg2\nPyMySQL\n")
    for name, text in composes.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    compose_dialect.cache_clear()
    assert inferred(root) == found


def test_a_named_revision_file_is_checked_for_its_projects_dialect(tmp_path, monkeypatch):
    """pre-commit names the changed files: the dialect is still the one the project's dependencies
    declare, not the default of a folder that has none."""
    root = project(tmp_path)
    (root / "pyproject.toml").write_text('[project]\ndependencies = ["mysqlclient"]\n')
    monkeypatch.chdir(root)
    named = Path("migrations/versions/a1.py")
    config = load(None, named)
    assert config.root == root.resolve()
    [history], errors = find_histories([named], config)
    assert not errors
    assert (history.dialect, history.dialect_source) == (
        "mysql", "pyproject.toml declares mysqlclient, a MySQL driver, and no driver of another database")


@pytest.mark.parametrize(("env", "found"), [
    ('@event.listens_for(Engine, "connect")\ndef pragmas(dbapi_connection, record):\n'
     '    dbapi_connection.cursor().execute("PRAGMA foreign_keys=OFF")\n',
     ("sqlite", "env.py runs SQLite's PRAGMA on each connection")),  # arch-security-tracker's
    ('if url.startswith("sqlite"):\n    conn.execute("PRAGMA foreign_keys=ON")\n'
     'engine = create_engine("postgresql://")\n',  # a PRAGMA for one of the databases it runs on
     ("postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")),
])
def test_sqlite_pragmas_in_env_py_say_sqlite(tmp_path, env, found):
    root = project(tmp_path)
    (root / "migrations" / "env.py").write_text(env)
    assert inferred(root) == found


@pytest.mark.parametrize(("env", "found"), [
    ("from alembic import context\nfrom oslo_db.sqlalchemy import session\n"
     "from neutron_lib.db import model_base\n",
     ("mysql", "env.py imports oslo_db, OpenStack's database layer, whose services run on MySQL or MariaDB")),
    ("from alembic import context\n# runs beside neutron's own history\n",
     ("postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")),
])
def test_an_env_py_on_openstack_s_database_layer_says_mysql(tmp_path, env, found):
    root = project(tmp_path)
    (root / "migrations" / "env.py").write_text(env)
    assert inferred(root) == found


SAMPLE = """[alembic]
script_location = {location}
#sqlalchemy.url = postgresql://user:pass@localhost/app
sqlalchemy.url = {url}
"""


@pytest.mark.parametrize(("location", "url", "found"), [
    ("config", "mysql://user:pass@localhost/app",
     ("mysql", "config.ini.sample sqlalchemy.url, the sample ini to copy")),  # asterisk's ast-db-manage
    ("cdr", "mysql://user:pass@localhost/app",  # the sample of another history beside it
     ("postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")),
    ("config", "driver://user:pass@localhost/dbname",  # a placeholder names no database
     ("postgresql", "default: no dialect found; set --dialect or [tool.migrate-lint] dialect")),
])
def test_a_sample_ini_to_copy_names_the_database_where_no_alembic_ini_is_there(
        tmp_path, location, url, found):
    folder = tmp_path / "contrib" / "db-manage"
    (folder / "config" / "versions").mkdir(parents=True)
    (folder / "config" / "versions" / "a1.py").write_text(REVISION)
    (folder / "config" / "env.py").write_text("from alembic import context\n")
    (folder / "config.ini.sample").write_text(SAMPLE.format(location=location, url=url))
    declared_dialect.cache_clear()
    assert inferred(tmp_path) == found


def two_histories(root: Path, first_url: str, second_url: str | None = None) -> list[tuple[str, str, str]]:
    """A project of two histories, each with its alembic.ini, env.py and one revision."""
    for name, url in (("ticketing", first_url), ("extauth", second_url)):
        (root / name / "alembic" / "versions").mkdir(parents=True)
        (root / name / "alembic" / "env.py").write_text("from alembic import context\n")
        (root / name / "alembic" / "versions" / "a1.py").write_text(REVISION)
        (root / name / "alembic.ini").write_text(
            "[alembic]\nscript_location = alembic\n" + (f"sqlalchemy.url = {url}\n" if url else ""))
    for cached in (flask_config, declared_dialect, written_for):
        cached.cache_clear()
    histories, errors = find_histories([root], load(None, root))
    assert not errors
    return sorted((h.script_location.parent.name, h.dialect or "", h.dialect_source) for h in histories)


def test_a_history_nothing_names_takes_the_dialect_its_sibling_histories_show(tmp_path):
    # altair's extauth history beside its MySQL ticketing one: the same server
    (extauth, dialect, source), ticketing = two_histories(tmp_path, "mysql+pymysql://app@db/app")
    assert (extauth, dialect) == ("extauth", "mysql")
    assert source.startswith("the project's other histories (") and \
        source.endswith("ticketing/alembic) are mysql: alembic.ini sqlalchemy.url")
    assert ticketing == ("ticketing", "mysql", "alembic.ini sqlalchemy.url")


def test_sibling_histories_that_disagree_leave_the_default(tmp_path):
    (tmp_path / "third" / "alembic" / "versions").mkdir(parents=True)
    (tmp_path / "third" / "alembic" / "versions" / "a1.py").write_text(REVISION)
    (tmp_path / "third" / "alembic.ini").write_text("[alembic]\nscript_location = alembic\n"
                                                    "sqlalchemy.url = sqlite:///app.db\n")
    found = two_histories(tmp_path, "mysql+pymysql://app@db/app")
    assert [(name, dialect) for name, dialect, _ in found] == [
        ("extauth", "postgresql"), ("third", "sqlite"), ("ticketing", "mysql")]
    assert found[0][2].startswith("default: ")


@pytest.mark.parametrize(("readme", "found"), [
    # stand's configuration example, beside dependencies that declare both drivers
    ("Edit stand.yaml:\n\n    database_url: mysql+pymysql://user:password@server:3306/stand\n",
     ("mysql", "the README's setup: README.md:3 configures a mysql URL")),
    # tahiti's setup steps run the MySQL client
    ("Create the database:\n\n```\nmysql -u root -p secret -e \"CREATE DATABASE tahiti\"\n```\n",
     ("mysql", "the README's setup: README.md:4 runs the mysql client")),
    # a SQLite file to try it and PostgreSQL in production: no telling which
    ("Try it: sqlite:///demo.db\nIn production: postgresql://db/app\n", ("postgresql", "default: ")),
    ("A plain README that names no database.\n", ("postgresql", "default: ")),
])
def test_where_the_drivers_do_not_tell_the_readme_s_setup_does(tmp_path, readme, found):
    root = project(tmp_path)
    (root / "requirements.txt").write_text("psycopg2\nPyMySQL\n")
    (root / "README.md").write_text(readme)
    dialect, source = inferred(root)
    assert (dialect, source[:len(found[1])]) == found
