"""Help that the project's env.py would make fail: autocommit_block() inside env.py's own transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.revisions.discover import History
from migrate_lint.revisions.project import env_outer_transaction
from tests.test_pins import noted_and_left_alone

TEMPLATE = '''from alembic import context


def run_migrations_online():
    with connectable.connect() as connection:
{before}        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
'''


@pytest.mark.parametrize(("before", "line"), [
    ("", None),  # Alembic's own template: Alembic opens the transaction
    ("        connection.begin()\n", 6),  # funnel's multi-database env.py
    ("        connection.execute(text('SET search_path TO tenant'))\n", 6),  # SQLAlchemy 2 begins one
    ("        connection.execute(text('SET search_path TO core'))\n        connection.commit()\n", None),
    ("        context.execute('SELECT 1')\n", None),  # Alembic's own execute, inside its transaction
])
def test_a_transaction_env_py_enters_before_alembic_s(tmp_path, before, line):
    (tmp_path / "env.py").write_text(TEMPLATE.format(before=before))
    history = History(tmp_path, (tmp_path / "versions",), ())
    assert env_outer_transaction(history) == line


def test_a_statement_after_configure_begins_the_transaction_alembic_adopts(tmp_path):
    """koschei probes for BDR between context.configure() and begin_transaction(): Alembic was
    configured on a connection in no transaction, so begin_transaction() takes the one the probe
    began as its own and autocommit_block() commits it (alembic/runtime/migration.py); the offline
    function's configure() above it does not count."""
    (tmp_path / "env.py").write_text(
        'from alembic import context\n\n\n'
        'def run_migrations_offline():\n'
        '    context.configure(url="postgresql://")\n\n\n'
        'def run_migrations_online():\n'
        '    connection = engine.connect()\n'
        '    context.configure(connection=connection, target_metadata=None)\n'
        '    try:\n'
        '        connection.execute(text("SHOW bdr.permit_ddl_locking"))\n'
        '    except Exception:\n'
        '        pass\n'
        '    with context.begin_transaction():\n'
        '        context.run_migrations()\n')
    history = History(tmp_path, (tmp_path / "versions",), ())
    assert env_outer_transaction(history) is None


PHOENIX_SHAPED = '''from alembic import context


def run_migrations_offline():
    context.configure(url="postgresql://", literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(connection):
    connection.execute(text("SET search_path TO app"))
    if connection.in_transaction():
        connection.commit()
    transaction = connection.begin()
    try:
        context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
        context.run_migrations()
        transaction.commit()
    except Exception:
        transaction.rollback()
        raise
'''


def test_the_online_function_is_read_apart_from_the_offline_one_that_begins_alembic_s(tmp_path):
    """Phoenix: the offline function calls begin_transaction(); the online one begins the
    connection's own transaction and runs the revisions in it, where autocommit_block() fails."""
    (tmp_path / "env.py").write_text(PHOENIX_SHAPED)
    history = History(tmp_path, (tmp_path / "versions",), ())
    assert env_outer_transaction(history) == 14


def test_a_fix_that_would_write_an_autocommit_block_leaves_the_revision_alone(tmp_path, check_dir):
    project = _project_beginning_in_env_py(
        tmp_path, '    op.create_index("ix_posts_title", "posts", ["title"])\n')
    (project / "migrations" / "env.py").write_text(PHOENIX_SHAPED)
    noted_and_left_alone(project, check_dir,
                         "or run this step outside the revision, on an AUTOCOMMIT connection.")


def test_an_execute_in_a_custom_operation_defined_above_is_alembic_s(tmp_path):
    """open-event-server's env.py registers stored-procedure operations whose implementations call
    `operations.execute(...)`: they run inside Alembic's transaction, not before it."""
    helper = ('from alembic.operations import Operations\n\n\n'
              '@Operations.implementation_for(CreateSPOp)\n'
              'def create_or_replace_sp(operations, operation):\n'
              '    operations.execute("CREATE OR REPLACE FUNCTION %s" % operation.target.name)\n\n\n')
    (tmp_path / "env.py").write_text(helper + TEMPLATE.format(before=""))
    history = History(tmp_path, (tmp_path / "versions",), ())
    assert env_outer_transaction(history) is None


def _project_beginning_in_env_py(root: Path, upgrade: str) -> Path:
    """A PostgreSQL project whose env.py begins a transaction before Alembic's, with one revision
    whose upgrade() body is `upgrade`."""
    migrations = root / "migrations"
    (migrations / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\ndialect = "postgresql"\n')
    (migrations / "env.py").write_text(TEMPLATE.format(before="        connection.begin()\n"))
    (migrations / "versions" / "a1.py").write_text(
        'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "a1"\ndown_revision = None\n\n\n'
        'def upgrade():\n' + upgrade)
    return root


def test_help_asking_for_an_autocommit_block_says_what_to_do_instead(tmp_path, check_dir):
    project = _project_beginning_in_env_py(
        tmp_path, '    op.create_index("ix_posts_title", "posts", ["title"])\n')
    [finding] = [f for f in check_dir(project).findings if f.code == "ML101"]
    assert "autocommit_block()" in finding.help
    assert finding.help.endswith(
        "But this project's env.py enters a transaction of its own before Alembic's (migrations/env.py:6), "
        "and inside it autocommit_block() fails an assertion: let Alembic open the transaction "
        "(context.begin_transaction() on a connection with none), or run this step outside the revision, "
        "on an AUTOCOMMIT connection.")


def test_help_asking_for_an_autocommit_block_in_words_gets_the_note_too(tmp_path, check_dir):
    """set-not-null-scans-table says 'VALIDATE CONSTRAINT in an autocommit block' (onyx's ML121)."""
    project = _project_beginning_in_env_py(
        tmp_path, '    op.add_column("posts", sa.Column("kind", sa.String(20), nullable=True))\n'
        '    op.execute("UPDATE posts SET kind = \'text\'")\n'
        '    op.alter_column("posts", "kind", nullable=False)\n')
    [finding] = [f for f in check_dir(project).findings if f.code == "ML121"]
    assert "in an autocommit block" in finding.help
    assert "inside it autocommit_block() fails an assertion" in finding.help


SCHEMA_MAPPED = '''from alembic import context


def run_migrations_online():
    with connectable.connect() as connection:
        connection = connection.execution_options(schema_translate_map={None: "dev"})
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
'''


@pytest.mark.parametrize(("env", "noted"), [(SCHEMA_MAPPED, True), (TEMPLATE.format(before=""), False)])
def test_sql_a_help_writes_is_told_to_name_the_schema_env_py_maps(tmp_path, check_dir, env, noted):
    """rucio maps its tables into a named schema: op.* calls follow the map, op.execute() SQL does not."""
    project = _project_beginning_in_env_py(
        tmp_path, '    op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"])\n'
        '    op.create_index("ix_posts_title", "posts", ["title"])\n')
    (project / "migrations" / "env.py").write_text(env)
    found = {f.code: f.help for f in check_dir(project).findings}
    assert "VALIDATE CONSTRAINT" in found["ML104"]  # raw SQL: noted
    assert ("SQL in op.execute() does not: qualify the table with that schema" in found["ML104"]) is noted
    assert "schema_translate_map" not in found["ML101"]  # op.create_index follows the map itself
