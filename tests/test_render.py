"""Rendering revisions offline in worker processes: faithful lines, hostile revisions contained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate_lint.rendering.render import render_many, statements_of
from migrate_lint.revisions.facts import analyse

HEAD = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "{rev}"\ndown_revision = None\n\n'


def write(folder: Path, rev: str, body: str) -> Path:
    path = folder / f"{rev}.py"
    path.write_text(HEAD.format(rev=rev) + textwrap.dedent(body))
    return path


def test_hostile_revisions_are_contained_and_the_rest_render(tmp_path):
    paths = [
        write(tmp_path, "hang", "while True:\n    pass\n"),
        write(tmp_path, "dies", "import os\nos._exit(3)\n"),
        write(tmp_path, "exits", "import sys\nsys.exit(0)\n"),
        write(tmp_path, "noisy", 'print("hello")\n\ndef upgrade():\n    print("{not json")\n'
                                 '    op.drop_table("t")\n'),
        write(tmp_path, "ok", 'def upgrade():\n    op.add_column("t", sa.Column("c", sa.Integer(), '
                              'server_default="0"))\n'),
    ]
    results = render_many(paths, "postgresql", timeout=3, workers=2)
    by_name = {p.stem: r for p, r in results.items()}
    assert by_name["hang"].error == "rendering took longer than 3 s"
    assert by_name["dies"].error == "the rendering process died while importing or running this revision"
    assert by_name["exits"].error == "SystemExit: 0"
    assert [s[:3] for s in by_name["noisy"].statements] == [(10, "upgrade", "DROP TABLE t")]
    [(line, _, sql, facts)] = by_name["ok"].statements
    assert (line, sql) == (7, "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT '0'")
    assert facts.added_columns == (("t", "c", False, "'0'"),)  # computed in the worker


def test_batch_statements_go_back_to_their_calls_and_autocommit_is_tracked(tmp_path):
    path = write(tmp_path, "b", '''
        def upgrade():
            with op.batch_alter_table("posts") as batch_op:
                batch_op.add_column(sa.Column("slug", sa.String(20), nullable=True))
                batch_op.create_unique_constraint("uq_posts_slug", ["slug"])
            with op.get_context().autocommit_block():
                op.create_index("ix_posts_slug", "posts", ["slug"], postgresql_concurrently=True)
            op.drop_index("ix_old", table_name="posts")
    ''')
    [rendered] = render_many([path], "postgresql").values()
    statements = statements_of(rendered, analyse(path, path.read_text()).operations, "postgresql")
    assert [(s.line, s.sql.split(" (")[0], s.autocommit) for s in statements] == [
        (9, "ALTER TABLE posts ADD COLUMN slug VARCHAR(20)", False),
        (10, "ALTER TABLE posts ADD CONSTRAINT uq_posts_slug UNIQUE", False),
        (11, "COMMIT", True),
        (12, "CREATE INDEX CONCURRENTLY ix_posts_slug ON posts", True),
        (11, "BEGIN", True),
        (13, "DROP INDEX ix_old", False),
    ]
    assert type(statements[3].expression).__name__ == "Create"


def test_dialects_render_their_own_sql(tmp_path):
    path = write(tmp_path, "d", 'def upgrade():\n    op.alter_column("t", "c", new_column_name="d", '
                                'existing_type=sa.Integer())\n')
    assert render_many([path], "postgresql")[path].statements[0][2] == "ALTER TABLE t RENAME c TO d"
    assert render_many([path], "mysql")[path].statements[0][2] == "ALTER TABLE t CHANGE c d INTEGER NULL"


def _cold_command_line(project: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """`migrate-lint check` as a fresh CI runner runs it: no cache folder yet, so the command starts
    a render worker before it imports the tool (migrate_lint.__main__)."""
    env = {**os.environ, "MIGRATE_LINT_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "migrate_lint", "check", ".", "--format", "json"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_a_cold_command_line_renders_with_the_worker_it_started_first(tmp_path):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    write(versions, "a1", "import module_that_is_not_installed\n\ndef upgrade():\n    pass\n")
    result = _cold_command_line(tmp_path, tmp_path / "no-cache-yet")
    findings = json.loads(result.stdout)["findings"]
    # only importing the file can tell (ML904); with no project root here, the import is not judged (ML907)
    assert {(f["code"], f["line"]) for f in findings} == {("ML904", 6), ("ML907", 6)}
    [finding] = [f for f in findings if f["code"] == "ML904"]
    assert "ModuleNotFoundError" in finding["message"]


def test_the_worker_started_on_a_guess_is_dropped_when_rendering_is_off(tmp_path):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    write(versions, "a1", "import module_that_is_not_installed\n\ndef upgrade():\n    pass\n")
    (tmp_path / "pyproject.toml").write_text("[tool.migrate-lint]\nrender = false\n")
    result = _cold_command_line(tmp_path, tmp_path / "no-cache-yet")
    assert (result.returncode, json.loads(result.stdout)["findings"]) == (0, [])


def _processes_in(folder: Path) -> list[str]:
    """Processes working in `folder` (workers inherit the check's working folder; they no longer
    inherit its environment, so a marker variable would not find them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cwd").resolve() == folder.resolve():
                    found.append(entry.name)
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="finds processes through /proc")
@pytest.mark.parametrize("args", [["check", "--help"], ["check", "--format", "nope"], ["check", "."],
                                  ["check", ".", "--base", "no-such-ref"]],
                         ids=["help", "usage error", "a check", "a failing check"])
def test_the_command_leaves_no_worker_behind(tmp_path, args):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    write(versions, "a1", 'def upgrade():\n    op.drop_table("t")\n')
    env = {**os.environ, "MIGRATE_LINT_CACHE_DIR": str(tmp_path / "no-cache-yet")}
    subprocess.run([sys.executable, "-m", "migrate_lint", *args], cwd=tmp_path, env=env,
                   capture_output=True, text=True, timeout=120)
    assert _processes_in(tmp_path) == []  # a worker would still be importing Alembic now


def test_alembic_context_is_established_offline_so_dialect_branches_render(tmp_path):
    path = write(tmp_path, "branches", '''
        from alembic import context

        def upgrade():
            if context.get_impl().bind.dialect.name == "sqlite":
                op.execute("ALTER TABLE t RENAME TO t_old")
            if op.get_bind().engine.name == "postgresql":
                op.drop_index("ix_t_a", table_name="t")
            if not context.is_offline_mode():
                op.get_bind().execute(sa.text("SELECT 1")).fetchall()
            if context.get_context().dialect.name != "postgresql":
                return
            op.drop_column("t", "b")
    ''')
    for dialect, expected in (("postgresql", ["DROP INDEX ix_t_a", "ALTER TABLE t DROP COLUMN b"]),
                              ("sqlite", ["ALTER TABLE t RENAME TO t_old"])):
        result = render_many([path], dialect)[path]
        assert result.error is None and [sql for _, _, sql, _ in result.statements] == expected


def test_a_render_that_stops_part_way_keeps_what_it_emitted_and_says_where(tmp_path):
    """Names built in a loop are known only to the render: the index created before `.fetchone()`
    on the offline connection is checked under its rendered name, the one after it from the AST."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    write(versions, "p1", '''
        def upgrade():
            for name in ("email",):
                op.create_index("ix_users_" + name, "users", [name])
            op.get_bind().execute(sa.text("SELECT 1")).fetchone()
            op.create_index("ix_users_login", "users", ["login"])
    ''')
    [rendered] = render_many([versions / "p1.py"], "postgresql").values()
    assert rendered.error is not None and rendered.error.startswith("AttributeError")
    assert rendered.error_line == 10
    assert [s[2] for s in rendered.statements] == ["CREATE INDEX ix_users_email ON users (email)", "SELECT 1"]
    result = _cold_command_line(tmp_path, tmp_path / "cache")
    findings = json.loads(result.stdout)["findings"]
    # one finding for the two indexes on users (per table), naming the one made after the stop
    assert sorted((f["code"], f["line"]) for f in findings) == [("ML101", 9), ("ML904", 10)]
    [index] = [f for f in findings if f["code"] == "ML101"]
    assert "ix_users_email" in index["message"]  # the rendered name, not an expression
    assert "ix_users_login (line 11)" in index["message"]
    [stopped] = [f for f in findings if f["code"] == "ML904"]
    assert "stopped at line 10" in stopped["message"] and "2 statement(s)" in stopped["message"]
    again = json.loads(_cold_command_line(tmp_path, tmp_path / "cache").stdout)["findings"]
    assert again == findings  # a failed render is not cached, and renders the same again


def test_an_update_rendered_before_the_render_stopped_is_reported_once(tmp_path, check_dir):
    """The UPDATE the render emitted is not read a second time from the code that ran it."""
    from tests.rulecases import write_project

    project = write_project(tmp_path, [("r1.py", textwrap.dedent('''
        from alembic import op
        import sqlalchemy as sa

        revision = "r1"
        down_revision = None


        def upgrade():
            conn = op.get_bind()
            conn.execute(sa.text("UPDATE users SET locale = 'en'"))
            conn.execute(sa.text("SELECT 1")).fetchone()
            conn.execute(sa.text("UPDATE users SET theme = 'dark'"))
    '''))], {})
    report = check_dir(project, execute=True)
    found = [f for f in report.findings if f.code == "ML304"]  # one table: one finding, each UPDATE once
    assert len(found) == 1 and sorted(part.location.line for part in found[0].parts) == [11, 13]


def test_a_value_for_an_untyped_column_renders_as_the_driver_sends_it(tmp_path):
    """szurubooru fills `sa.table(name, sa.column("version"))` with `.values(version=1)`: the column
    has no type, which stopped offline rendering ("No literal value renderer ... datatype NULL")."""
    path = write(tmp_path, "u", '''
        def upgrade():
            op.execute(sa.table("posts", sa.column("version"), sa.column("title"))
                       .update().values(version=1, title="it's"))
            op.alter_column("posts", "version", nullable=False)
        ''')
    result = render_many([path], "postgresql")[path]
    assert result.error is None
    assert [row[2] for row in result.statements] == [
        "UPDATE posts SET version=1, title='it''s'", "ALTER TABLE posts ALTER COLUMN version SET NOT NULL"]


def test_a_loop_whose_render_stopped_in_its_first_pass_is_checked_as_the_syntax_tree_reads_it(
        tmp_path, check_dir):
    """A loop's calls share their lines: the render that stopped in the first pass covers only that
    pass's first call, not every call on its line (which left the other tables' ADD COLUMN and
    UPDATE out of the written SQL, and the two layers disagreed)."""
    from tests.rulecases import write_project

    project = write_project(tmp_path, [("r1.py", textwrap.dedent('''
        from alembic import op
        import sqlalchemy as sa

        revision = "r1"
        down_revision = None

        TABLES = ["tags", "posts", "users"]


        def upgrade():
            for name in TABLES:
                op.add_column(name, sa.Column("version", sa.Integer(), nullable=True))
                one = op.get_bind().execute(sa.text("SELECT 1")).scalar()
                op.execute(sa.table(name, sa.column("version")).update().values(version=one))
                op.alter_column(name, "version", nullable=False)
    '''))], {})

    def found(execute: bool) -> list[tuple[str, str]]:
        report = check_dir(project, execute=execute)
        return sorted((f.code, f.message) for f in report.findings if f.code != "ML904")

    rendered = found(True)
    assert rendered == found(False)
    assert any(code == "ML309" and "posts.version" in message for code, message in rendered)
