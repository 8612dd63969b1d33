"""Hostile revisions and apps against `drift` on the real servers (issue 13 §1, §2): each attack is
answered by a finding or a one-line reason, and nothing outside the scratch database changes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from migrate_lint.database import lifecycle
from tests.servers import SERVERS, server_engine
from tests.test_cli import ml
from tests.test_drift import plain_project, used_database

QUOTE = {"postgresql": '"', "mariadb": "`"}


@contextmanager
def sentinel(server: str) -> Iterator[str]:
    """A database that is not drift's, with a table of rows every test checks afterwards."""
    name = f"ml_sentinel_{uuid.uuid4().hex[:10]}"
    q = QUOTE[server]
    admin = server_engine(server)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {q}{name}{q}")
    engine = sa.create_engine(sa.make_url(SERVERS[server]).set(database=name), isolation_level="AUTOCOMMIT",
                              poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE legacy_stats (id INTEGER PRIMARY KEY, hits INTEGER)")
        connection.exec_driver_sql("INSERT INTO legacy_stats VALUES (1, 10), (2, 20)")
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {q}{name}{q}")
        admin.dispose()


def rows(server: str, database: str, table: str = "legacy_stats") -> list[tuple[int, ...]]:
    engine = sa.create_engine(sa.make_url(SERVERS[server]).set(database=database), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1")]
    finally:
        engine.dispose()


def tables(server: str, database: str) -> list[str]:
    engine = sa.create_engine(sa.make_url(SERVERS[server]).set(database=database), poolclass=sa.pool.NullPool)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def revision(project: Path, body: str, imports: str = "") -> None:
    """A second revision b1 on top of the project's a1, whose upgrade() is `body`."""
    code = "\n".join("    " + line for line in body.strip().splitlines())
    (project / "migrations" / "versions" / "b1.py").write_text(
        f"{imports}from alembic import op\nimport sqlalchemy as sa\n\n"
        f"revision = \"b1\"\ndown_revision = \"a1\"\n\n"
        f"def upgrade():\n{code}\n\n\ndef downgrade():\n    pass\n")


def drift_json(project: Path, *args: str,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "migrate_lint", "drift", "--format", "json", *args],
                            cwd=project, capture_output=True, text=True, timeout=180,
                            env={**os.environ, **(env or {})})
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def codes(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    return [(f["code"], f["revision"], f["message"]) for f in json.loads(result.stdout)["findings"]]


def server_url(server: str, database: str | None = None) -> str:
    url = sa.make_url(SERVERS[server])
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


def leftovers(server: str) -> set[str]:
    engine = server_engine(server)
    try:
        found = lifecycle.prefixed(engine)
    finally:
        engine.dispose()
    return {name for name, _ in found}


# §1: least privilege


@pytest.mark.parametrize("own", [False, True], ids=["another-database", "the-urls-own-database"])
def test_mariadb_a_revision_cannot_drop_a_table_in_another_database(tmp_path, own):
    project = plain_project(tmp_path)
    with sentinel("mariadb") as other:
        revision(project, f'op.drop_table("legacy_stats", schema="{other}")')
        result = drift_json(project, "--runner", "builtin", "--database-url",
                            server_url("mariadb", other if own else None))
        assert result.returncode == 1, result.stderr
        [(code, rev, message)] = codes(result)
        assert (code, rev) == ("ML520", "b1") and "DROP command denied" in message
        assert rows("mariadb", other) == [(1, 10), (2, 20)]
    assert used_database(result) not in leftovers("mariadb")


def test_postgresql_a_revision_cannot_drop_another_database(tmp_path):
    project = plain_project(tmp_path)
    with sentinel("postgresql") as other:
        revision(project, "with op.get_context().autocommit_block():\n"
                          f'    op.execute("DROP DATABASE {other}")')
        result = drift_json(project, "--runner", "builtin", "--database-url", server_url("postgresql"))
        assert result.returncode == 1, result.stderr
        [(code, rev, message)] = codes(result)
        assert (code, rev) == ("ML520", "b1") and "must be owner of database" in message
        assert rows("postgresql", other) == [(1, 10), (2, 20)]


def test_postgresql_objects_left_in_another_database_are_reported_and_dropped(tmp_path):
    """Where a schema lets PUBLIC create (`public` before PostgreSQL 15), a revision that goes around
    the engine guard (the driver itself) can leave a table in another database: said, and dropped."""
    project = plain_project(tmp_path)
    with sentinel("postgresql") as other:
        engine = sa.create_engine(sa.make_url(SERVERS["postgresql"]).set(database=other),
                                  isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            connection.exec_driver_sql("GRANT CREATE ON SCHEMA public TO PUBLIC")
        revision(project, "url = op.get_bind().engine.url\n"
                          "with psycopg.connect(host=url.host, port=url.port, user=url.username,\n"
                          f"    password=url.password, dbname='{other}', autocommit=True) as c:\n"
                          "    c.execute('CREATE TABLE planted (id integer)')", imports="import psycopg\n")
        result = drift_json(project, "--runner", "builtin", "--database-url", server_url("postgresql"))
        assert result.returncode == 1, result.stderr
        [(code, _, message)] = codes(result)
        assert code == "ML520" and f"outside the scratch database ({other}: 1 object(s))" in message
        assert tables("postgresql", other) == ["legacy_stats"]
        engine.dispose()


@pytest.mark.parametrize(("server", "statement", "said"), [
    ("postgresql", "CREATE ROLE ml_intruder LOGIN", "permission denied to create role"),
    ("postgresql", "ALTER ROLE postgres PASSWORD 'x'", "must be superuser"),
    ("mariadb", "CREATE USER 'ml_intruder'@'%'", "denied"),
    ("mariadb", "CREATE DATABASE ml_intruder_db", "denied"),
])
def test_server_wide_objects_cannot_be_created(tmp_path, server, statement, said):
    project = plain_project(tmp_path)
    revision(project, f'op.execute("{statement}")')
    result = drift_json(project, "--runner", "builtin", "--database-url", server_url(server))
    assert result.returncode == 1, result.stderr
    [(code, rev, message)] = codes(result)
    assert (code, rev) == ("ML520", "b1") and said in message, message


@pytest.mark.parametrize("mode", [["--runner", "builtin"], ["--roundtrip"]])
def test_a_revision_building_its_own_engine_is_refused(tmp_path, mode):
    project = plain_project(tmp_path)
    revision(project, 'engine = sa.create_engine(os.environ["LEGACY_DATABASE_URL"])\n'
                      'with engine.begin() as connection:\n'
                      '    connection.exec_driver_sql("INSERT INTO legacy_stats VALUES (3, 30)")',
             imports="import os\n")
    with sentinel("postgresql") as other:
        result = drift_json(project, *mode, "--database-url", server_url("postgresql"),
                            env={"LEGACY_DATABASE_URL": server_url("postgresql", other)})
        assert result.returncode == 1, result.stderr
        [(code, rev, message)] = codes(result)
        assert (code, rev) == ("ML520", "b1") and "another database" in message
        assert rows("postgresql", other) == [(1, 10), (2, 20)]


APP = '''import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = {url!r}
db = SQLAlchemy(app)
Migrate(app, db)


class Thing(db.Model):
    id = db.Column(db.Integer, primary_key=True)


with app.app_context():
    db.create_all()
'''

MODELS = '''import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
metadata.create_all(sa.create_engine({url!r}))
'''


@pytest.mark.parametrize("how", ["--app", "--metadata"])
def test_importing_the_app_cannot_touch_its_database(tmp_path, how):
    project = plain_project(tmp_path)
    with sentinel("postgresql") as real:
        url = server_url("postgresql", real)
        if how == "--app":
            (project / "hostile_app.py").write_text(APP.format(url=url))
            args = ["--app", "hostile_app"]
        else:
            (project / "hostile_models.py").write_text(MODELS.format(url=url))
            args = ["--metadata", "hostile_models:metadata"]
        result = drift_json(project, *args, "--database-url", server_url("postgresql"))
        assert result.returncode == 2, result.stderr
        assert "another database" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert tables("postgresql", real) == ["legacy_stats"]


def test_a_login_that_cannot_create_roles_stops_unless_told(tmp_path):
    project = plain_project(tmp_path)
    login = f"ml_test_login_{uuid.uuid4().hex[:8]}"
    admin = server_engine("postgresql")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {login} LOGIN CREATEDB NOCREATEROLE")
    try:
        url = sa.make_url(SERVERS["postgresql"]).set(username=login).render_as_string(hide_password=False)
        refused = drift_json(project, "--database-url", url)
        assert refused.returncode == 2
        assert "cannot create roles" in refused.stderr and "--allow-url-rights" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        allowed = drift_json(project, "--database-url", url, "--allow-url-rights")
        assert allowed.returncode == 0, allowed.stderr
        assert f"warning: revisions ran with the rights of {login}" in allowed.stderr
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
        admin.dispose()


def test_a_login_that_may_create_roles_without_being_superuser_confines_too(tmp_path):
    project = plain_project(tmp_path)
    revision(project, 'op.execute("CREATE ROLE ml_intruder LOGIN")')
    login = f"ml_test_login_{uuid.uuid4().hex[:8]}"
    admin = server_engine("postgresql")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {login} LOGIN CREATEDB CREATEROLE")
    try:
        url = sa.make_url(SERVERS["postgresql"]).set(username=login).render_as_string(hide_password=False)
        result = drift_json(project, "--database-url", url)
        assert result.returncode == 1, result.stderr
        [(code, rev, message)] = codes(result)
        assert (code, rev) == ("ML520", "b1") and "permission denied to create role" in message
        assert used_database(result) not in leftovers("postgresql")
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
        admin.dispose()


# §2: cleanup that survives crashes, exit codes that hold


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
@pytest.mark.parametrize(("crash", "said"), [
    ("os._exit(3)", "exit code 3"),
    ("ctypes.string_at(0)", "SIGSEGV"),
])
def test_a_crashing_revision_leaves_nothing_behind(tmp_path, server, crash, said):
    project = plain_project(tmp_path)
    revision(project, crash, imports="import ctypes\nimport os\n")
    result = drift_json(project, "--runner", "builtin", "--database-url", server_url(server))
    assert result.returncode == 1, result.stderr
    [(code, rev, message)] = codes(result)
    assert (code, rev) == ("ML520", "b1") and said in message, message
    assert used_database(result) not in leftovers(server)


def test_what_a_revision_forks_ends_with_the_run(tmp_path):
    project = plain_project(tmp_path)
    marker = tmp_path / "grandchild.pid"
    revision(project, f'child = subprocess.Popen(["sleep", "300"], start_new_session=False)\n'
                      f'open({str(marker)!r}, "w").write(str(child.pid))', imports="import subprocess\n")
    result = drift_json(project, "--runner", "builtin", "--database-url", server_url("mariadb"))
    assert result.returncode == 0, result.stderr
    pid = int(marker.read_text())
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.mark.parametrize(("where", "expected"), [
    ("revision-7", (1, "SystemExit: 7")), ("revision-0", (1, "SystemExit: 0")),
    ("app-7", (2, "SystemExit: 7"))])
def test_sys_exit_never_becomes_the_exit_code(blog_copy, where, expected):
    project = blog_copy
    code = where.rsplit("-", 1)[1]
    if where.startswith("app"):
        app = project / "app.py"
        app.write_text(app.read_text() + f"\nimport sys\nsys.exit({code})\n")
    else:
        versions = sorted((project / "migrations" / "versions").glob("*.py"))
        text = versions[0].read_text()
        exiting = f"def upgrade():\n    import sys\n    sys.exit({code})\n"
        versions[0].write_text(text.replace("def upgrade():\n", exiting, 1))
    result = drift_json(project, "--app", "app", "--database-url", server_url("postgresql"))
    assert result.returncode == expected[0], result.stderr
    if expected[0] == 1:
        assert [c for c, _, m in codes(result) if expected[1] in m] == ["ML520"]
    else:
        assert expected[1] in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def blog_copy(tmp_path: Path) -> Path:
    import shutil

    from tests.test_drift import EXAMPLE

    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.db"))
    return target


def test_sigint_then_sigterm_during_cleanup_leaves_nothing_on_mariadb(tmp_path):
    project = plain_project(tmp_path)
    revision(project, "time.sleep(60)", imports="import time\n")
    for delay in (0.0, 0.02, 0.1):
        process = subprocess.Popen([sys.executable, "-m", "migrate_lint", "drift", "--runner", "builtin",
                                    "--database-url", server_url("mariadb")], cwd=project,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        mine = wait_for_scratch("mariadb", process.pid)
        time.sleep(1.0)  # inside the sleeping revision by now
        process.send_signal(signal.SIGINT)
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 2 and "interrupted" in stderr and "Traceback" not in stderr, stderr
        assert mine not in leftovers("mariadb")


def wait_for_scratch(server: str, pid: int) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for name in leftovers(server):
            owner = lifecycle.parse(name)
            if owner is not None and owner[0] == pid and name.startswith(lifecycle.PREFIX):
                return name
        time.sleep(0.1)
    raise AssertionError("the run never created its scratch database")


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_clean_stale_drops_only_old_and_unowned(tmp_path, server):
    dead = subprocess.Popen(["true"])
    dead.wait()
    old = int(time.time()) - 2 * 3600
    stale = lifecycle.names(dead.pid, old)
    fresh = lifecycle.names(dead.pid, int(time.time()))
    alive = lifecycle.names(os.getpid(), old)
    admin = server_engine(server)
    try:
        for database, role in (stale, fresh, alive):
            lifecycle.create(admin, database, role, "pw-" + uuid.uuid4().hex)
        result = ml("drift", "--clean-stale", "--database-url", server_url(server), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"dropped {stale[0]}" in result.stdout
        now = leftovers(server)
        assert not set(stale) & now and set(fresh) <= now and set(alive) <= now
    finally:
        for database, role in (stale, fresh, alive):
            lifecycle.drop(admin, database, role)
        admin.dispose()
