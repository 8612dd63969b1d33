"""`migrate-lint stats` and `check --stats` on the real PostgreSQL and MariaDB servers: tables of
different sizes in a scratch database, analysed first, snapshotted read-only, and lock findings
weighed by what the snapshot says."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.servers import scratch_database
from tests.test_cli import ml

SMALL, LARGE = 20, 150_000  # rows of `lookup` and `posts`
FILL = {  # LARGE rows without a round trip per row
    "postgresql": "INSERT INTO posts (id, title) SELECT g, 'post ' || g FROM generate_series(1, {n}) AS g",
    "mariadb": "INSERT INTO posts (id, title) SELECT seq, CONCAT('post ', seq) FROM seq_1_to_{n}",
}
ANALYZE = {"postgresql": "ANALYZE", "mariadb": "ANALYZE TABLE lookup, posts"}

REVISION = '''from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}


def upgrade():
{body}
'''
HISTORY = {
    "a1": (None, '    op.create_table("lookup", sa.Column("id", sa.Integer, primary_key=True), '
                 'sa.Column("label", sa.String(200)))\n'
                 '    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True), '
                 'sa.Column("title", sa.String(200)))'),
    "b1": ("a1", '    op.create_index("ix_lookup_label", "lookup", ["label"])\n'
                 '    op.create_index("ix_posts_title", "posts", ["title"])\n'
                 '    op.drop_index("ix_posts_old", table_name="posts")\n'
                 '    op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True), '
                 'sa.Column("label", sa.String(30)))'),
    "c1": ("b1", '    op.create_index("ix_tags_label", "tags", ["label"])\n'
                 '    op.alter_column("lookup", "label", existing_type=sa.String(200), '
                 'type_=sa.String(20))\n'  # narrowed: a copy whatever the charset
                 '    op.alter_column("posts", "title", existing_type=sa.String(200), '
                 'type_=sa.String(20))'),
}


@pytest.fixture(params=["postgresql", "mariadb"])
def live(request: pytest.FixtureRequest) -> Iterator[tuple[str, sa.Engine]]:
    """A scratch database at revision a1 with a small and a large table, analysed."""
    server = request.param
    with scratch_database(server) as engine:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE lookup (id INTEGER PRIMARY KEY, label VARCHAR(200))")
            connection.exec_driver_sql("CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(200))")
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('a1')")
            connection.exec_driver_sql(
                "INSERT INTO lookup (id, label) VALUES " + ", ".join(f"({i}, 'l{i}')" for i in range(SMALL)))
            connection.exec_driver_sql(FILL[server].format(n=LARGE))
            connection.exec_driver_sql(ANALYZE[server])
        yield server, engine


def project(root: Path, dialect: str) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    for rev, (down, body) in HISTORY.items():
        (versions / f"{rev}.py").write_text(REVISION.format(rev=rev, down=repr(down), body=body))
    (root / "pyproject.toml").write_text(
        f'[tool.migrate-lint]\nscript-location = "migrations"\ndialect = "{dialect}"\n'
        'small-table-rows = 1000\nlarge-table-rows = 100000\n')
    return root


def test_stats_snapshots_sizes_read_only_and_check_weighs_lock_findings(live, tmp_path):
    server, engine = live
    root = project(tmp_path, server)
    url = engine.url.render_as_string(hide_password=False)
    before = sorted(sa.inspect(engine).get_table_names())

    result = ml("stats", "--live-url", url, "-o", "stats.json", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "wrote the sizes of 2 tables to stats.json" in result.stderr
    snapshot = json.loads((root / "stats.json").read_text())
    assert sorted(snapshot["tables"]) == ["lookup", "posts"]  # alembic_version is Alembic's, not the app's
    assert snapshot["dialect"] == server and snapshot["heads"] == ["a1"] and snapshot["server_version"]
    taken = datetime.datetime.fromisoformat(snapshot["taken_at"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(datetime.UTC) - taken).total_seconds()) < 120
    lookup, posts = snapshot["tables"]["lookup"], snapshot["tables"]["posts"]
    assert lookup["rows"] < 1000 and 0.8 * LARGE < posts["rows"] < 1.2 * LARGE  # estimates, not counts
    assert posts["bytes"] > 1_000_000 and lookup["bytes"] < posts["bytes"]
    if server == "postgresql":  # pg_stat_user_tables; MariaDB's performance_schema is off by default
        assert posts["inserts"] == LARGE and posts["writes"] == LARGE
    assert sorted(sa.inspect(engine).get_table_names()) == before  # read-only: nothing created

    result = ml("check", "--stats", "stats.json", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stderr
    found = {(f["code"], f["subject"]): (f["severity"], f["message"])
             for f in json.loads(result.stdout)["findings"]}
    if server == "postgresql":
        severity, message = found[("ML101", "lookup.ix_lookup_label")]  # an error on 20 rows: a warning
        assert severity == "warning" and "(lookup: about " in message and \
            "below small-table-rows (1,000): error lowered to warning)" in message
        severity, message = found[("ML101", "posts.ix_posts_title")]  # already an error: stays, says size
        assert severity == "error" and "(posts: about 1" in message and " MB)" in message
        severity, message = found[("ML102", "ix_posts_old")]  # a warning on a large table: an error
        assert severity == "error" and "above large-table-rows (100,000): warning raised to error)" in message
        severity, message = found[("ML101", "tags.ix_tags_label")]  # tags is created by b1, after a1
        assert severity == "warning" and "(tags: created by b1, after the stats snapshot" in message
    else:
        severity, message = found[("ML107", "lookup.label")]
        assert severity == "info" and "warning lowered to info" in message
        severity, message = found[("ML107", "posts.title")]
        assert severity == "error" and "warning raised to error" in message and " MB" in message

    plain = ml("check", "--format", "json", cwd=root)  # without the snapshot: the rules' own severities
    unweighed = {(f["code"], f["subject"]): f["severity"] for f in json.loads(plain.stdout)["findings"]}
    assert unweighed[("ML102", "ix_posts_old") if server == "postgresql" else ("ML107", "posts.title")] \
        == "warning"


def test_a_live_url_that_cannot_be_read_is_one_line_without_its_password(tmp_path):
    result = ml("stats", "--live-url", "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/app", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "cannot read postgresql+psycopg://postgres:***@127.0.0.1:1/app" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    for args, expected in ((["--live-url", "not a url"], "--live-url 'not a url' is not a database URL"),
                           (["--live-url", "sqlite:///x.db"], "stats reads PostgreSQL, MySQL or MariaDB"),
                           ([], "stats needs --live-url URL")):
        result = ml("stats", *args, cwd=tmp_path)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
