"""The fix's guarantee on examples/blog: its history, with every revision made fixable (a lock file with
no entries), fixed with `--fix` (and `--unsafe-fixes`), builds the same schema on PostgreSQL as the
original, apart from the names the fix supplies, which are the naming convention's; and downgrades to
the same schema too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import CreateTable

from migrate_lint.database.models import Models
from migrate_lint.database.schema import SchemaShape, reflect
from migrate_lint.database.scratch import scratch
from migrate_lint.database.upgrade import connection_to, steps
from migrate_lint.fix.names import CONVENTION
from tests.servers import SERVERS, server_engine
from tests.test_fix_cases import fix, history, same

EXAMPLE = Path(__file__).parent.parent / "examples" / "blog"
# The original downgrade of this revision calls drop_constraint(None, ...) (ML411): it cannot run, so
# the two histories are compared downgraded to it, and only the fixed one is taken on to base.
UNNAMED_DROP = "3c4d5e6f7a03"


def copy(root: Path) -> Path:
    project = root / "blog"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    (project / "migrations" / "migrate-lint.lock").write_text('{"version":1,"revisions":[]}\n')
    return project


def constraint_names(connection: sa.Connection, tables: list[str]) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    return {t: {fk["name"] for fk in inspector.get_foreign_keys(t)}
            | {u["name"] for u in inspector.get_unique_constraints(t)}
            | {c["name"] for c in inspector.get_check_constraints(t)} for t in tables}


Built = tuple[SchemaShape, dict[str, set[str]], SchemaShape, SchemaShape | None]


def build(project: Path, to_base: bool) -> Built:
    """Upgraded (with its constraint names), downgraded to UNNAMED_DROP and, if asked, to base."""
    models = Models(sa.MetaData(), project / "pyproject.toml")
    keep = lambda name: name != "alembic_version"  # noqa: E731
    with scratch(SERVERS["postgresql"]) as made, connection_to(made.url) as connection:
        steps(history(project), models, connection, "heads")
        upgraded = reflect(connection, keep)
        names = constraint_names(connection, list(upgraded.tables))
        invalid = connection.exec_driver_sql(
            "SELECT (SELECT count(*) FROM pg_constraint WHERE NOT convalidated)"
            " + (SELECT count(*) FROM pg_index WHERE NOT indisvalid)")
        assert invalid.scalar() == 0  # nothing left NOT VALID or INVALID
        steps(history(project), models, connection, UNNAMED_DROP, downgrade=True)
        partway = reflect(connection, keep)
        base = None
        if to_base:
            steps(history(project), models, connection, "base", downgrade=True)
            base = reflect(connection, keep)
    return upgraded, names, partway, base


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_the_fixed_example_builds_the_same_schema(unsafe, tmp_path):
    server_engine("postgresql").dispose()  # skips (or fails in CI) when the server is down
    original, fixed = copy(tmp_path / "original"), copy(tmp_path / "fixed")
    code, out, err = fix(fixed, "--fix", "--no-execute", *(["--unsafe-fixes"] if unsafe else []))
    assert code == 1, err  # the findings without a fix remain (drop-column, drop-table, ...)
    versions = fixed / "migrations" / "versions"
    slug = (versions / "3c4d5e6f7a03_add_post_slug.py").read_text()
    assert 'create_unique_constraint("uq_posts_slug", ["slug"])' in slug, err
    assert 'drop_constraint("uq_posts_slug", type_="unique")' in slug
    views = (versions / "6f7a8b9c0d06_views_not_null.py").read_text()
    assert ("VALIDATE CONSTRAINT ck_posts_views_not_null" in views) == unsafe, err
    assert "ML303" not in out and ("ML302" in out) != unsafe, out

    before_up, before_names, before_partway, _ = build(original, to_base=False)
    after_up, after_names, after_partway, after_base = build(fixed, to_base=True)
    supplied = {n for t in after_names for n in after_names[t] - before_names.get(t, set())}
    same(before_up, after_up, supplied)
    same(before_partway, after_partway, supplied)  # 3c4d5e6f7a03 and its constraint are still there
    assert after_base is not None and after_base.tables == {}  # the fixed downgrade runs to the end

    # the names the fix supplies are what the naming convention gives
    metadata = sa.MetaData(naming_convention=CONVENTION)
    posts = sa.Table("posts", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("slug", sa.String(160)), sa.UniqueConstraint("slug"))
    CreateTable(posts).compile(dialect=sa.create_engine("postgresql://").dialect)  # names are set at DDL time
    expected = {c.name for c in posts.constraints if not isinstance(c, sa.PrimaryKeyConstraint)}
    assert supplied == expected == {"uq_posts_slug"}
