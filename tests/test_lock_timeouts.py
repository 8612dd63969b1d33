"""Where a lock_timeout is set (revision, env.py, alembic.ini) and what the rules claim about it,
proven on the real PostgreSQL server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from migrate_lint.revisions.discover import History
from migrate_lint.revisions.timeouts import env_lock_timeout
from migrate_lint.sql.timeouts import from_options, from_statement, milliseconds
from tests.rulecases import write_project
from tests.servers import scratch_database


@pytest.mark.parametrize(("text", "ms"), [("2s", 2000), ("'2s'", 2000), ("500", 500), ("1min", 60_000),
                                          ("1.5s", 1500), ("0", 0), ("soon", None)])
def test_values_read_as_postgresql_reads_them(text, ms):
    assert milliseconds(text) == ms


@pytest.mark.parametrize(("sql", "ms", "local"), [
    ("SET lock_timeout = '2s'", 2000, False),
    ("set local lock_timeout to 5000", 5000, True),
    ("SET SESSION lock_timeout = DEFAULT", 0, False),
    ("RESET lock_timeout", 0, False),
    ("SELECT set_config('lock_timeout', '3s', true)", 3000, True),
    ("SET statement_timeout = '2s'", None, None),
])
def test_statements_that_set_it(sql, ms, local):
    found = from_statement(sql, "here")
    assert (found.ms, found.local) == (ms, local) if ms is not None else found is None


ENV = '''"""Alembic env; a comment that says SET lock_timeout = '9s' is not a setting."""
from alembic import context
from sqlalchemy import engine_from_config, pool, text


def run_migrations_online():
    connectable = engine_from_config(context.config.get_section("alembic"), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool{connect})
    with connectable.connect() as connection:
        {execute}
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
'''


@pytest.mark.parametrize(("connect", "execute", "expected"), [
    ("", 'connection.execute(text("SET lock_timeout = \'2s\'"))', ("'2s'", "env.py:10")),
    ("", "connection.exec_driver_sql(\"SET lock_timeout TO '4s'\")", ("'4s'", "env.py:10")),
    ("", "context.execute(\"SET lock_timeout = '1s'\")", ("'1s'", "env.py:10")),
    (', connect_args={"options": "-c lock_timeout=3s"}', "pass", ("3s", "env.py:8")),
    ("", "pass", None),  # only the docstring mentions it
    ("", 'connection.execute(text("SET lock_timeout = 0"))', ("0", "env.py:10")),  # found, but no timeout
])
def test_env_py_is_read_not_run(connect, execute, expected, tmp_path):
    (tmp_path / "env.py").write_text(ENV.format(connect=connect, execute=execute))
    found = env_lock_timeout(History(tmp_path, (tmp_path,), ()))
    assert (None if found is None else (found.text, found.where)) == expected


def test_alembic_ini_url_options(tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n"
                                          "sqlalchemy.url = postgresql://app@db/app?options=-c%%20lock_timeout%%3D2s\n")
    found = env_lock_timeout(History(tmp_path / "migrations", (tmp_path / "migrations",), ()))
    assert found is not None and (found.ms, found.where) == (2000, "alembic.ini sqlalchemy.url")


def test_the_url_option_the_rules_count_sets_it_on_the_server():
    with scratch_database("postgresql") as engine:
        url = engine.url.update_query_dict({"options": "-c lock_timeout=2s"})
        assert from_options(url.render_as_string(), "url").ms == 2000
        probe = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with probe.connect() as connection:
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "2s"
        probe.dispose()


def test_a_concurrent_build_under_a_short_lock_timeout_fails_on_an_unrelated_transaction():
    """What concurrently-under-lock-timeout (ML120) claims, on the real server."""
    with scratch_database("postgresql") as engine:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE posts (title TEXT)")
            connection.exec_driver_sql("CREATE TABLE reports (n INTEGER)")
        other = engine.connect()  # a report on another table, in a REPEATABLE READ transaction
        other.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        other.exec_driver_sql("SELECT count(*) FROM reports")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SET lock_timeout = '300ms'")
                started = time.monotonic()
                with pytest.raises(sa.exc.OperationalError, match="canceling statement due to lock timeout"):
                    connection.exec_driver_sql("CREATE INDEX CONCURRENTLY ix_posts_title ON posts (title)")
                assert time.monotonic() - started < 10
                valid = connection.exec_driver_sql(
                    "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_posts_title'::regclass").scalar()
                assert valid is False  # left behind, INVALID
        finally:
            other.exec_driver_sql("ROLLBACK")
            other.close()


def test_missing_lock_timeout_keeps_identifiers_as_written(tmp_path, check_dir):
    body = 'op.add_column("Posts", sa.Column("bodyText", sa.Text(), nullable=True))'
    source = (f'from alembic import op\nimport sqlalchemy as sa\nrevision = "r1"\ndown_revision = None\n\n'
              f'def upgrade():\n    {body}\n')
    root = write_project(tmp_path, [("r1.py", source)], {"extend-select": ["missing-lock-timeout"]})
    for execute in (False, True):
        [finding] = [f for f in check_dir(root, execute=execute).findings if f.code == "ML115"]
        # both layers quote the mixed-case names as Alembic renders them: never upper-cased, never bare
        assert finding.message.startswith('ALTER TABLE "Posts" ADD COLUMN "bodyText" TEXT waits'), \
            finding.message


def test_env_py_timeout_silences_missing_lock_timeout(tmp_path, check_dir):
    source = ('from alembic import op\nimport sqlalchemy as sa\nrevision = "r1"\ndown_revision = None\n\n'
              'def upgrade():\n    op.add_column("posts", sa.Column("summary", sa.Text(), nullable=True))\n')
    root = write_project(tmp_path, [("r1.py", source)], {"extend-select": ["missing-lock-timeout"]})
    assert [f.code for f in check_dir(root).findings] == ["ML115"]
    (Path(root) / "migrations" / "env.py").write_text(ENV.format(connect="", execute=(
        'connection.execute(text("SET lock_timeout = \'2s\'"))')))
    assert [f.code for f in check_dir(root).findings] == []
