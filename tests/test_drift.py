"""`migrate-lint drift` end to end: the example app, both env.py templates, the scratch database's
lifecycle on the real servers, the live read-only mode, and the errors users meet."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from migrate_lint.database import lifecycle
from migrate_lint.database.scratch import PREFIX
from tests.servers import SERVERS, scratch_database, server_engine
from tests.test_cli import REPO, ml

EXAMPLE = REPO / "examples" / "blog"


def used_database(result: subprocess.CompletedProcess[str]) -> str:
    """The scratch database a run says it used (other runs may use the same server meanwhile)."""
    match = re.search(r"scratch database (migrate_lint_scratch_\w+) on", result.stderr)
    assert match, result.stderr
    return match.group(1)


def scratch_databases(server: str) -> set[str]:
    engine = server_engine(server)
    query = ("SELECT datname FROM pg_database" if server == "postgresql" else "SHOW DATABASES")
    with engine.connect() as connection:
        names = {row[0] for row in connection.exec_driver_sql(query)}
    engine.dispose()
    return {n for n in names if n.startswith(PREFIX)}


def databases_of(process: subprocess.Popen[str], server: str = "postgresql") -> set[str]:
    """The scratch databases a run of ours created (their names carry its pid): other tests, run
    side by side, create their own."""
    return {n for n in scratch_databases(server) if (owner := lifecycle.parse(n)) and owner[0] == process.pid}


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    target = tmp_path / "blog"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "instance", "*.db"))
    return target


def findings(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return sorted((f["code"], f["subject"]) for f in json.loads(result.stdout)["findings"])


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_the_example_drifts_on_each_server_and_leaves_nothing_behind(blog, server):
    result = ml("drift", "--app", "app", "--database-url", SERVERS[server], "--format", "json", cwd=blog)
    assert result.returncode == 1, result.stderr
    assert findings(result) == [("ML506", "users.ix_users_email"), ("ML508", "posts.(author_id)")]
    payload = json.loads(result.stdout)["findings"]
    assert {(Path(f["path"]).name, f["line"]) for f in payload} == {("app.py", 11), ("app.py", 21)}
    assert "upgraded with env.py: Flask-Migrate's env.py" in result.stderr
    assert used_database(result) not in scratch_databases(server)


def test_sqlite_stands_in_and_says_so(blog):
    result = ml("drift", "--app", "app", "--format", "json", cwd=blog)
    found = findings(result)
    assert ("ML529", "sqlite") in found  # production is PostgreSQL (the example's config)
    # the unnamed unique constraint of 3c4d5e6f7a03 cannot be built on SQLite at all
    assert ("ML520", "3c4d5e6f7a03") in found and result.returncode == 1


def test_flask_app_from_the_environment_and_exit_zero(blog):
    env = {**os.environ, "FLASK_APP": "app"}
    result = subprocess.run([sys.executable, "-m", "migrate_lint", "drift", "--database-url",
                             SERVERS["postgresql"], "--exit-zero", "--ignore", "drift-index"],
                            cwd=blog, capture_output=True, text=True, env=env, timeout=120)
    server_engine("postgresql").dispose()
    assert result.returncode == 0 and "ML508" in result.stdout and "ML506" not in result.stdout


def plain_project(root: Path, env_py: str | None = None) -> Path:
    """An `alembic init` project (the real generic template) with one revision and its models."""
    from alembic import command
    from alembic.config import Config

    command.init(Config(str(root / "alembic.ini")), str(root / "migrations"))
    if env_py is not None:
        (root / "migrations" / "env.py").write_text(env_py)
    (root / "migrations" / "versions" / "a1.py").write_text(
        'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "a1"\ndown_revision = None\n\n'
        'def upgrade():\n    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                    sa.Column("name", sa.String(50)))\n\n'
        'def downgrade():\n    op.drop_table("users")\n')
    module = f"plain_models_{uuid.uuid4().hex[:8]}"
    (root / f"{module}.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        'sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),\n'
        '         sa.Column("name", sa.String(50)))\n')
    (root / "pyproject.toml").write_text(f'[tool.migrate-lint]\nmetadata = "{module}:metadata"\n')
    return root


def test_the_plain_alembic_template_runs_bound_to_the_scratch_database(tmp_path):
    project = plain_project(tmp_path)
    result = ml("drift", "--database-url", SERVERS["postgresql"], cwd=project)
    server_engine("postgresql").dispose()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "upgraded with env.py: env.py, with sqlalchemy.url set to the scratch database" in result.stderr


def test_a_custom_env_py_is_never_run(tmp_path):
    marker = tmp_path / "env-ran"
    env_py = f'import os\nopen({str(marker)!r}, "w").write(os.environ.get("X", ""))\n'
    project = plain_project(tmp_path, env_py)
    result = ml("drift", "--database-url", SERVERS["postgresql"], cwd=project)
    server_engine("postgresql").dispose()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "own runner (no env.py): env.py builds its own engine or reads the environment" in result.stderr
    assert not marker.exists()
    assert ml("drift", "--runner", "env", cwd=project).returncode == 2


def test_the_database_the_url_names_is_never_migrated(tmp_path):
    project = plain_project(tmp_path)
    with scratch_database("postgresql") as named:
        url = named.url.render_as_string(hide_password=False)
        result = ml("drift", "--database-url", url, cwd=project)
        assert result.returncode == 0, result.stdout + result.stderr
        assert sa.inspect(named).get_table_names() == []
        assert used_database(result) not in scratch_databases("postgresql")


def test_a_failing_revision_is_reported_and_its_scratch_database_dropped(tmp_path):
    project = plain_project(tmp_path)
    (project / "migrations" / "versions" / "b1.py").write_text(
        'from alembic import op\n\nrevision = "b1"\ndown_revision = "a1"\n\n'
        'def upgrade():\n    op.drop_column("users", "missing")\n')
    result = ml("drift", "--database-url", SERVERS["postgresql"], "--format", "json", cwd=project)
    found = json.loads(result.stdout)["findings"]
    assert result.returncode == 1
    assert [(f["code"], f["revision"], Path(f["path"]).name, f["line"]) for f in found] == [
        ("ML520", "b1", "b1.py", 7)]
    assert 'column "missing" of relation "users" does not exist' in found[0]["message"]
    assert used_database(result) not in scratch_databases("postgresql")


def test_an_interrupted_run_still_drops_its_scratch_database(tmp_path):
    project = plain_project(tmp_path)
    (project / "migrations" / "versions" / "b1.py").write_text(
        'import time\nfrom alembic import op\n\nrevision = "b1"\ndown_revision = "a1"\n\n'
        'def upgrade():\n    time.sleep(60)\n')
    process = subprocess.Popen([sys.executable, "-m", "migrate_lint", "drift", "--runner", "builtin",
                                "--database-url", SERVERS["postgresql"]], cwd=project,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not databases_of(process) and time.monotonic() < deadline:
        time.sleep(0.1)
    ours = databases_of(process)
    assert ours, "the run never created its database"
    time.sleep(0.5)  # inside the sleeping revision by now
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    # under load the signal can land before the child reaches the revision: said as "terminated"
    assert process.returncode == 2 and ("interrupted" in stderr or "terminated" in stderr), stderr
    assert "Traceback" not in stderr
    assert not ours & scratch_databases("postgresql")


def test_a_signal_while_the_database_is_created_stops_before_any_revision_runs(tmp_path):
    """SIGTERM held while CREATE DATABASE waits is acted on before the upgrade, not after it: the
    test holds a SHARE lock on pg_database (new connections still read it), so the run's CREATE
    DATABASE waits while the signal lands; the revision would sleep for a minute."""
    project = plain_project(tmp_path)
    (project / "migrations" / "versions" / "b1.py").write_text(
        'import time\nfrom alembic import op\n\nrevision = "b1"\ndown_revision = "a1"\n\n'
        'def upgrade():\n    time.sleep(60)\n')
    blocker = server_engine("postgresql").connect()
    try:
        blocker.exec_driver_sql("BEGIN")
        blocker.exec_driver_sql("LOCK TABLE pg_catalog.pg_database IN SHARE MODE")
        process = subprocess.Popen([sys.executable, "-m", "migrate_lint", "drift", "--runner", "builtin",
                                    "--database-url", SERVERS["postgresql"]], cwd=project,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        waiting = ("SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE 'CREATE DATABASE %%'")
        ours = f"{PREFIX}{lifecycle.names(process.pid)[0][len(PREFIX):].split('_')[0]}_"
        deadline = time.monotonic() + 30
        with server_engine("postgresql").connect() as watcher:
            while not any(ours in query for query in watcher.exec_driver_sql(waiting).scalars()) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
        assert time.monotonic() < deadline, "the run's CREATE DATABASE never waited"
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
    finally:
        blocker.exec_driver_sql("ROLLBACK")
        blocker.close()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2 and "interrupted" in stderr, stderr
    assert not databases_of(process)


def test_live_mode_is_read_only_and_finds_hot_fixes(tmp_path):
    project = plain_project(tmp_path)
    with scratch_database("postgresql") as live:
        with live.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50), "
                                       "hotfix TEXT)")
        url = live.url.render_as_string(hide_password=False)
        result = ml("drift", "--live-url", url, "--format", "json", cwd=project)
        assert result.returncode == 1
        assert findings(result) == [("ML502", "users.hotfix")]
        assert sorted(sa.inspect(live).get_table_names()) == ["users"]  # no alembic_version, nothing


def test_live_sessions_refuse_writes():
    from migrate_lint.database.live import read_only as _read_only

    for server in ("postgresql", "mariadb"):
        with scratch_database(server) as database:
            engine = sa.create_engine(database.url)
            with engine.connect() as connection:
                _read_only(connection)
                with pytest.raises(sa.exc.DBAPIError):
                    connection.exec_driver_sql("CREATE TABLE t (id INTEGER)")
            engine.dispose()


def test_tables_owned_by_others_can_be_left_out(tmp_path):
    project = plain_project(tmp_path)
    (project / "migrations" / "versions" / "b1.py").write_text(
        'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "b1"\ndown_revision = "a1"\n\n'
        'def upgrade():\n    op.create_table("celery_taskmeta", sa.Column("id", sa.Integer))\n')
    result = ml("drift", "--format", "json", "--dialect", "sqlite", cwd=project)
    assert findings(result) == [("ML501", "celery_taskmeta")]
    [extra] = json.loads(result.stdout)["findings"]  # no model to point at: the call that created it
    assert (Path(extra["path"]).name, extra["line"], extra["revision"]) == ("b1.py", 8, "b1")
    assert ml("drift", "--exclude-tables", "celery_*", "--dialect", "sqlite", cwd=project).returncode == 0


@pytest.mark.parametrize(("args", "expected"), [
    (["--app", "no_such_app"], "cannot load the Flask app 'no_such_app'"),
    (["--metadata", "no_such_module:metadata"], "ModuleNotFoundError: No module named 'no_such_module'"),
    (["--metadata", "nocolon"], "expected module:attribute"),
    (["--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/postgres"],
     "cannot create a scratch database"),
    (["--database-url", "oracle://x@y/z"], "oracle is not supported"),
    (["nowhere"], "nowhere: no such file or folder"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, expected):
    project = plain_project(tmp_path)
    result = ml("drift", *args, cwd=project)
    assert result.returncode == 2
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("runner", ["builtin", "env"])
def test_progress_shows_in_a_terminal_and_never_in_ci(tmp_path, runner):
    import pty

    project = plain_project(tmp_path)
    command = [sys.executable, "-m", "migrate_lint", "drift", "--runner", runner, "--dialect", "sqlite"]
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    process = subprocess.run(command, cwd=project, stderr=follower, stdout=subprocess.PIPE, env=env,
                             timeout=120)
    os.close(follower)
    shown = os.read(leader, 65536).decode()
    os.close(leader)
    assert process.returncode == 0 and "upgrading [" in shown and "1/1" in shown, shown
    if runner == "env":  # env.py's logging writes "Running upgrade" lines while the bar is up
        assert "Running upgrade" in shown, shown
    for line in shown.split("\n"):  # each log line first clears the bar, which is drawn again after it
        visible = line.split("\r\x1b[K")[-1]
        mixed = "Running upgrade" in visible or "migrate-lint:" in visible
        assert not ("upgrading [" in visible and mixed), repr(shown)
    in_ci = subprocess.run(command, cwd=project, capture_output=True, env={**env, "CI": "true"}, timeout=120)
    assert in_ci.returncode == 0 and b"upgrading [" not in in_ci.stderr
    assert "upgrading [" not in ml("drift", "--dialect", "sqlite", cwd=project).stderr  # not a terminal


OLD_FLASK_ENV = '''from alembic import context
from flask import current_app
from sqlalchemy import engine_from_config, pool

config = context.config
# the Flask-Migrate template of 2017: the URL comes from the app's configuration
config.set_main_option("sqlalchemy.url", current_app.config.get("SQLALCHEMY_DATABASE_URI"))
target_metadata = current_app.extensions["migrate"].db.metadata

connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                                 poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
'''


def test_an_old_flask_template_never_touches_the_apps_database(blog):
    (blog / "migrations" / "env.py").write_text(OLD_FLASK_ENV)
    result = ml("drift", "--app", "app", "--database-url", SERVERS["postgresql"], cwd=blog)
    assert "upgraded with migrate-lint's own runner (no env.py)" in result.stderr
    assert result.returncode == 1 and "ML506" in result.stdout  # the real drift, found on the scratch db
    assert not list(blog.rglob("blog.db"))  # the app's own SQLite database was never created


def test_a_template_look_alike_reaching_elsewhere_is_refused_before_connecting(tmp_path):
    project = plain_project(tmp_path)
    env = project / "migrations" / "env.py"
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    env.write_text(env.read_text() + '\nfrom sqlalchemy import engine_from_config as _again\n'
                   f'_again({{"sqlalchemy.url": "{elsewhere}"}}, prefix="sqlalchemy.")\n')
    result = ml("drift", "--runner", "env", "--database-url", SERVERS["postgresql"], cwd=project)
    assert result.returncode == 2
    assert "asked for another database (sqlite:///" in result.stderr and "refused" in result.stderr
    assert not (tmp_path / "elsewhere.db").exists()


def test_live_sqlite_is_opened_read_only_and_a_missing_file_is_one_line(tmp_path):
    import sqlite3

    project = plain_project(tmp_path)
    live = tmp_path / "live.db"
    connection = sqlite3.connect(live)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50), hotfix TEXT)")
    connection.commit()
    connection.close()
    result = ml("drift", "--live-url", f"sqlite:///{live}", "--format", "json", cwd=project)
    assert (result.returncode, findings(result)) == (1, [("ML502", "users.hotfix")])
    missing = ml("drift", "--live-url", f"sqlite:///{tmp_path / 'nope.db'}", cwd=project)
    assert missing.returncode == 2 and "nope.db: unable to open database file" in missing.stderr
    assert not (tmp_path / "nope.db").exists()  # read-only: SQLite may not even create it
