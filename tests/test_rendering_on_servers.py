"""Rendering is faithful: the SQL migrate-lint renders runs on the real servers and builds the schema."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from migrate_lint.rendering.render import render_many, statements_of
from migrate_lint.revisions.facts import analyse
from tests.conftest import REPO
from tests.servers import scratch_database

EXAMPLE = sorted((REPO / "examples" / "blog" / "migrations" / "versions").glob("*.py"))


def run_revisions(engine: sa.Engine, paths: list[Path], dialect: str) -> None:
    """Run each revision's rendered SQL the way a SQL script would: in a transaction of its own
    on PostgreSQL, where the COMMIT/BEGIN of autocommit blocks really end and start transactions."""
    rendered = render_many(paths, dialect)
    with engine.connect() as connection:
        for path in paths:
            assert rendered[path].error is None, rendered[path].error
            statements = statements_of(rendered[path], analyse(path, path.read_text()).operations, dialect)
            transactional = dialect == "postgresql"
            if transactional:
                connection.exec_driver_sql("BEGIN")
            for statement in statements:
                connection.exec_driver_sql(statement.sql)
            if transactional:
                connection.exec_driver_sql("COMMIT")


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_the_example_history_builds_its_schema(dialect):
    with scratch_database(dialect) as engine:
        run_revisions(engine, EXAMPLE, dialect)
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {"users", "posts"}
        users = {c["name"]: c for c in inspector.get_columns("users")}
        assert set(users) == {"id", "username", "email", "bio", "locale"}
        assert users["locale"]["nullable"] is False
        posts = {c["name"]: c for c in inspector.get_columns("posts")}
        assert posts["views"]["nullable"] is False and posts["slug"]["nullable"] is False
        assert [u["column_names"] for u in inspector.get_unique_constraints("posts")] == [["slug"]]


def test_autocommit_blocks_run_concurrently_outside_the_transaction(tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    sources = {
        "a1": 'op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True), '
              'sa.Column("title", sa.Text))',
        "b1": 'with op.get_context().autocommit_block():\n'
              '    op.create_index("ix_posts_title", "posts", ["title"], postgresql_concurrently=True)\n'
              'op.add_column("posts", sa.Column("views", sa.Integer(), server_default="0", nullable=False))',
    }
    paths = []
    for rev, body in sources.items():
        path = versions / f"{rev}.py"
        path.write_text(f'from alembic import op\nimport sqlalchemy as sa\nrevision = "{rev}"\n'
                        f"down_revision = None\n\ndef upgrade():\n{textwrap.indent(body, '    ')}\n")
        paths.append(path)
    with scratch_database("postgresql") as engine:
        run_revisions(engine, paths, "postgresql")  # CONCURRENTLY inside BEGIN would raise here
        indexes = sa.inspect(engine).get_indexes("posts")
        assert [i["name"] for i in indexes] == ["ix_posts_title"]
