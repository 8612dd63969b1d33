"""`migrate-lint trace` on the real PostgreSQL: what the server did, statement by statement."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from migrate_lint.trace import mariadb
from tests.servers import server_engine
from tests.test_drift_safety import leftovers, server_url, wait_for_scratch

HEADER = '''from alembic import op
import sqlalchemy as sa
revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
'''
ENV = "from alembic import context\ncontext.configure(transaction_per_migration=True)\n"


def project(tmp_path: Path, bodies: list[str], per_migration: bool = True) -> Path:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV if per_migration else "from alembic import context\n")
    down = None
    for number, body in enumerate(bodies, 1):
        rev = f"r{number:03d}"
        (versions / f"{rev}_step.py").write_text(HEADER.format(rev=rev, down=down) + body)
        down = rev
    return tmp_path


def trace(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate_lint", "trace", "--database-url",
                           server_url("postgresql"), "--format", "json", *extra], cwd=folder,
                          capture_output=True, text=True, timeout=300)


CREATE = ('    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
          '                    sa.Column("title", sa.String(50)))\n'
          '    op.execute("INSERT INTO posts (title) SELECT \'t\' || g FROM generate_series(1, 100) g")\n')


def test_locks_rewrites_and_invalid_state_are_recorded_per_statement(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        CREATE,
        '    op.create_index("ix_posts_title", "posts", ["title"])\n'
        '    op.add_column("posts", sa.Column("at", sa.DateTime, server_default=sa.text("now()")))\n'
        '    op.alter_column("posts", "title", type_=sa.Text)\n'
        '    op.alter_column("posts", "id", type_=sa.BigInteger)\n'
        '    op.execute("ALTER TABLE posts ADD CONSTRAINT ck_t CHECK (id > 0) NOT VALID")\n',
    ])
    done = trace(folder)
    assert done.returncode == 0, done.stderr  # what blocked is what check says, or brief (a warning)
    data = json.loads(done.stdout)
    statements = [s for s in data["trace"]["statements"] if s["revision"] == "r002"]
    by_line = {s["line"]: s for s in statements}
    assert by_line[10]["new_locks"] == {"posts": "ShareLock"}  # CREATE INDEX: writes blocked
    assert by_line[11]["rewritten"] == [] and by_line[11]["new_locks"] == {"posts": "AccessExclusiveLock"}
    assert by_line[12]["rewritten"] == []  # varchar -> text: binary-compatible, no rewrite
    assert by_line[13]["rewritten"] == ["posts"] and by_line[13]["rows"] == {"posts": True}
    assert by_line[14]["unvalidated"] == ["ck_t on posts"]
    windows = [w for w in data["windows"] if w["revision"] == "r002"]
    shown = [(w["table"], w["reads"], w["line"]) for w in windows]
    assert shown == [("posts", False, 10), ("posts", True, 11)]
    assert "to the end of the transaction" in windows[0]["text"]
    verdicts = {(v["kind"], v["severity"], v["code"], v["line"]) for v in data["verdicts"]}
    assert verdicts == {("confirmed", "error", "ML101", 10), ("confirmed", "warning", "ML107", 13),
                        ("confirmed", "warning", "ML312", 13),  # the key's type: a rewrite, as it says
                        ("trace-only", "warning", None, 11)}  # ADD COLUMN ... DEFAULT now(): brief
    assert not {name for name in leftovers("postgresql") if name in done.stdout}


def test_a_merged_finding_gets_a_verdict_per_call(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        CREATE,
        '    op.create_index("ix_posts_title", "posts", ["title"])\n'
        '    op.create_index("ix_posts_id_title", "posts", ["id", "title"])\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_posts_upper", "posts", [sa.text("upper(title)")])\n',
    ])
    data = json.loads(trace(folder).stdout)
    built = [s for s in data["trace"]["statements"] if s["revision"] == "r002" and s["line"]]
    assert [(s["line"], s["new_locks"], s["autocommit"]) for s in built] == [
        (10, {"posts": "ShareLock"}, False), (11, {}, False), (13, {}, True)]
    # check reports the three builds on posts as one finding, at the first; each call is held to
    # the rule: the first took SHARE, the second ran under it (taken at line 10, held to the
    # commit), the third committed as it ended, so its lock was never seen; nothing is trace-only
    [verdict] = data["verdicts"]
    assert (verdict["kind"], verdict["code"], verdict["line"]) == ("confirmed", "ML101", 10)
    assert [(p["kind"], p["line"], p["subject"]) for p in verdict["parts"]] == [
        ("confirmed", 10, "posts.ix_posts_title"), ("confirmed", 11, "posts.ix_posts_id_title"),
        ("not observed", 13, "posts.ix_posts_upper")]
    assert verdict["parts"][1]["text"] == "ran under SHARE on posts, held since line 10"
    shown = trace(folder, "--format", "text").stdout
    assert "\n    line 11 (posts.ix_posts_id_title): confirmed: the server ran under SHARE on posts, " \
           "held since line 10\n" in shown, shown


def test_a_merged_finding_one_of_whose_calls_the_server_does_not_bear_out_is_contradicted_naming_it(
        tmp_path):
    # users is made by a query, so check cannot tell the columns' old types: both changes "may
    # rewrite", one finding for the table; varchar -> text rewrites nothing, integer -> bigint does
    server_engine("postgresql")
    folder = project(tmp_path, [
        '    op.execute("CREATE TABLE users AS SELECT g AS id, (\'u\' || g)::varchar(120) AS email "\n'
        '               "FROM generate_series(1, 50) g")\n',
        '    op.alter_column("users", "email", type_=sa.Text())\n'
        '    op.alter_column("users", "id", type_=sa.BigInteger())\n',
    ])
    data = json.loads(trace(folder).stdout)
    [verdict] = [v for v in data["verdicts"] if v["code"] == "ML107"]
    assert (verdict["kind"], verdict["line"]) == ("contradicted", 10)
    assert [(p["kind"], p["line"]) for p in verdict["parts"]] == [("contradicted", 10), ("confirmed", 11)]
    assert verdict["text"] == ("ML107 alter-column-type: at line 10 (users.email) the server took "
                               "ACCESS EXCLUSIVE on users")
    shown = trace(folder, "--format", "markdown").stdout
    assert "\n  - line 11 (users.id): confirmed: the server ran under ACCESS EXCLUSIVE on users, held " \
           "since line 10, rewrote users" in shown, shown


def test_statements_in_an_autocommit_block_are_observed_outside_the_transaction(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        CREATE,
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_posts_title", "posts", ["title"], postgresql_concurrently=True)\n'
        '        op.execute("ALTER TABLE posts ALTER COLUMN id TYPE bigint")\n'
        '        op.create_index("ix_posts_id", "posts", ["id"])\n',
    ])
    done = trace(folder)
    data = json.loads(done.stdout)
    by_line = {s["line"]: s for s in data["trace"]["statements"] if s["revision"] == "r002"}
    assert [by_line[n]["autocommit"] for n in (11, 12, 13)] == [True] * 3
    # the concurrent build: its locks ended as it committed; it rewrote nothing, left its index valid
    built = by_line[11]
    assert (built["new_locks"], built["rewritten"], built["invalid_indexes"]) == ({}, [], [])
    assert built["duration"] > 0 and built["error"] is None
    # a rewrite is seen after the commit (every relation's file asked again), and it blocked posts
    # for reads and writes while it ran
    assert by_line[12]["rewritten"] == ["posts"] and by_line[12]["rows"] == {"posts": True}
    [window] = [w for w in data["windows"] if w["revision"] == "r002"]
    assert (window["table"], window["reads"], window["line"]) == ("posts", True, 12) and window["autocommit"]
    assert abs(window["seconds"] - by_line[12]["duration"]) < 1e-5
    # check flags the plain build in the block (ML101) and the type change (ML107); the concurrent
    # build (ML101's pass case) is neither a finding nor trace-only
    verdicts = {(v["kind"], v["code"], v["line"]) for v in data["verdicts"]}
    assert verdicts == {("confirmed", "ML107", 12), ("not observed", "ML101", 13)}
    assert done.returncode == 0
    shown = trace(folder, "--format", "text").stdout
    assert re.search(r"r002_step.py:11: ran outside the migration's transaction \(autocommit\), [\d.]+ s\n",
                     shown), shown


def test_a_failed_concurrent_build_is_reported_with_the_invalid_index_it_leaves(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        CREATE,
        '    with op.get_context().autocommit_block():\n'
        '        op.execute("CREATE UNIQUE INDEX CONCURRENTLY ix_posts_parity ON posts ((id % 2))")\n',
    ])
    done = trace(folder)
    assert done.returncode == 1
    data = json.loads(done.stdout)
    [failed] = [s for s in data["trace"]["statements"] if s["revision"] == "r002" and s["line"] == 11]
    assert failed["autocommit"] and failed["error"].startswith("could not create unique index")
    assert failed["invalid_indexes"] == ["ix_posts_parity"]
    used = re.search(r"migrate_lint_scratch_\w+", " ".join(data["notes"])).group(0)
    assert used not in leftovers("postgresql")


def test_one_transaction_by_default_and_tables_made_in_it_block_no_one(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [CREATE, '    op.create_index("ix_posts_title", "posts", ["title"])\n'],
                     per_migration=False)
    done = trace(folder)
    data = json.loads(done.stdout)
    assert {s["transaction"] for s in data["trace"]["statements"]} == {0}
    assert data["windows"] == []  # posts was created in the same transaction: nobody else saw it
    # ML101 says the index blocks writes; traced from empty in one transaction, the table was new:
    # the server can show nothing either way (--from traces it against an existing table)
    assert [(v["kind"], v["code"]) for v in data["verdicts"]] == [("not observed", "ML101")]
    assert done.returncode == 0


def test_from_traces_only_the_later_revisions(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [CREATE, '    op.create_index("ix_posts_title", "posts", ["title"])\n'],
                     per_migration=False)
    data = json.loads(trace(folder, "--from", "r001").stdout)
    assert {s["revision"] for s in data["trace"]["statements"]} == {None, "r002"}
    assert [(w["table"], w["mode"]) for w in data["windows"]] == [("posts", "SHARE")]


def test_a_failing_revision_is_reported_and_nothing_is_left(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [CREATE, '    op.execute("ALTER TABLE nowhere ADD COLUMN x int")\n'])
    done = trace(folder, "--format", "text")
    assert "the upgrade stopped: r002_step.py:10" in done.stdout, done.stdout + done.stderr
    assert done.returncode == 1
    used = re.search(r"migrate_lint_scratch_\w+", done.stdout).group(0)
    assert used not in leftovers("postgresql")


def test_sigint_drops_the_scratch_database(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [CREATE, '    op.execute("SELECT pg_sleep(30)")\n'])
    process = subprocess.Popen([sys.executable, "-m", "migrate_lint", "trace", "--database-url",
                                server_url("postgresql")], cwd=folder, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    mine = wait_for_scratch("postgresql", process.pid)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2 and "interrupted" in stderr and "Traceback" not in stderr, stderr
    assert mine not in leftovers("postgresql")


def test_mariadb_names_each_alters_algorithm_and_never_pretends_to_see_metadata_locks(tmp_path):
    server_engine("mariadb")
    folder = project(tmp_path, [
        '    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                    sa.Column("n", sa.Integer))\n',
        '    op.add_column("posts", sa.Column("title", sa.String(50)))\n'
        '    op.alter_column("posts", "n", type_=sa.String(20), existing_type=sa.Integer)\n',
    ])
    done = subprocess.run([sys.executable, "-m", "migrate_lint", "trace", "--database-url",
                           server_url("mariadb"), "--format", "json"], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    data = json.loads(done.stdout)
    by_line = {s["line"]: s for s in data["trace"]["statements"] if s["revision"] == "r002"}
    assert by_line[10]["algorithm"] == "INSTANT" and by_line[10]["blocked"] == {}
    assert by_line[11]["algorithm"].startswith("COPY") and by_line[11]["blocked"] == {"posts": "writes"}
    assert [(w["table"], w["reads"]) for w in data["windows"]] == [("posts", False)]
    assert any("performance_schema is off" in note for note in data["notes"])
    assert all(s["metadata_locks"] == {} for s in data["trace"]["statements"])  # never read, never made up
    used = re.search(r"migrate_lint_scratch_\w+", " ".join(data["notes"])).group(0)
    assert used not in leftovers("mariadb")  # others' runs on the server are not ours to judge


def test_rows_fills_existing_tables_parents_first_and_makes_rewrites_count(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        '    op.create_table("users", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                    sa.Column("email", sa.String(40), nullable=False, unique=True))\n'
        '    op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True),\n'
        '                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),\n'
        '                    sa.Column("at", sa.DateTime, nullable=False))\n',
        '    op.execute("ALTER TABLE posts ALTER COLUMN id TYPE bigint")\n',
    ])
    done = trace(folder, "--rows", "500")
    data = json.loads(done.stdout)
    assert data["trace"]["filled"] == {"users": 500, "posts": 500}, data["trace"]["unfilled"]
    rewrite = next(s for s in data["trace"]["statements"] if s["revision"] == "r002" and s["line"] == 10)
    assert rewrite["rewritten"] == ["posts"] and rewrite["rows"] == {"posts": True}
    assert [(v["kind"], v["code"], v["line"]) for v in data["verdicts"]] == [("confirmed", "ML107", 10)]


def test_a_may_rewrite_finding_the_server_does_not_bear_out_is_contradicted(tmp_path):
    # the table is made by a query, so check cannot tell the column's old type: ML107 says the
    # change "may rewrite"; on the server varchar -> text is binary-compatible and nothing is rewritten
    server_engine("postgresql")
    folder = project(tmp_path, [
        '    op.execute("CREATE TABLE users AS SELECT g AS id, (\'u\' || g)::varchar(120) AS email "\n'
        '               "FROM generate_series(1, 50) g")\n'
        '    op.execute("CREATE TABLE accounts AS SELECT g AS id FROM generate_series(1, 50) g")\n',
        '    op.alter_column("users", "email", type_=sa.Text())\n'
        '    op.alter_column("accounts", "id", type_=sa.BigInteger())\n',
    ])
    done = trace(folder)
    data = json.loads(done.stdout)
    by_line = {s["line"]: s for s in data["trace"]["statements"] if s["revision"] == "r002"}
    assert by_line[10]["rewritten"] == [] and by_line[10]["new_locks"] == {"users": "AccessExclusiveLock"}
    assert by_line[11]["rewritten"] == ["accounts"]  # another table: one finding per table and rule
    verdicts = {(v["kind"], v["code"], v["line"]): v["text"] for v in data["verdicts"]
                if v["code"] == "ML107"}
    assert set(verdicts) == {("contradicted", "ML107", 10), ("confirmed", "ML107", 11)}
    # what the server did instead is said: the lock, and no rewrite
    assert verdicts[("contradicted", "ML107", 10)].endswith("the server took ACCESS EXCLUSIVE on users")
    assert done.returncode == 0  # ML107 is a warning: a contradicted warning does not fail the run


def test_markdown_report_of_a_real_trace_has_its_sections_and_escapes_names(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        '    op.execute(\'CREATE TABLE "a_*b|c" (id serial PRIMARY KEY, n int)\')\n'
        '    op.execute(\'INSERT INTO "a_*b|c" (n) SELECT g FROM generate_series(1, 20) g\')\n',
        '    op.create_index("ix_<n>", "a_*b|c", ["n"])\n',
    ])
    done = trace(folder, "--format", "markdown")  # the last --format given wins
    assert done.returncode == 0, done.stderr  # confirmed findings do not fail a trace
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"## trace of migrations on postgresql 15[^:]*: \d+ statements in 2 transactions, "
                        r"[\d.]+ s", lines[0]), lines[0]
    headings = [line for line in lines if line.startswith("#")]
    assert headings[1:] == ["### revision r002", "### whole upgrade", "### findings against the server"]
    section = lines[lines.index("### revision r002") + 1]
    # the table as PostgreSQL names it, "a_*b|c", with every character Markdown reads escaped
    assert re.fullmatch(r'- "a\\_\\\*b\\\|c": writes blocked [\d.]+ s \(SHARE\), from line 10 to the end '
                        r"of the transaction", section), section
    total = lines[lines.index("### whole upgrade") + 1]
    assert re.fullmatch(r'- "a\\_\\\*b\\\|c": reads blocked 0\.000 s, writes blocked [\d.]+ s', total), total
    verdict = lines[lines.index("### findings against the server") + 1]
    assert verdict.startswith(r"- confirmed (error) r002\_step.py:10: ML101 create-index-not-concurrently: "
                              r'the server took SHARE on "a\_\*b\|c"'), verdict
    assert all(line.startswith("- note: ") for line in lines[lines.index(verdict) + 2:] if line)
    # nothing from the files can open a table cell, a tag or emphasis
    assert not re.search(r"(?<!\\)[|<>*]", done.stdout)


def test_mariadb_metadata_locks_are_read_only_where_performance_schema_shows_them():
    engine = server_engine("mariadb")
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        on = bool(int(connection.exec_driver_sql("SELECT @@performance_schema").scalar()))
        read, note = mariadb.metadata_note(raw)
        if not on:  # this machine: the report says so, and nothing is read
            assert not read and note.startswith("performance_schema is off on this server")
        else:
            assert read == ("performance_schema.metadata_locks" in note)
        # the query runs on this server either way (None would mean unreadable); an idle session
        # holds no table's metadata lock, and with the schema off nothing is listed at all
        assert mariadb.metadata_locks(raw) == {}


PARTITIONED = (
    '    op.execute("CREATE TABLE events (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at)")\n'
    '    op.execute("CREATE TABLE events_2024 PARTITION OF events '
    'FOR VALUES FROM (\'2024-01-01\') TO (\'2025-01-01\')")\n'
    '    op.execute("CREATE TABLE events_2025 PARTITION OF events '
    'FOR VALUES FROM (\'2025-01-01\') TO (\'2026-01-01\')")\n'
    '    op.execute("INSERT INTO events '
    'SELECT g, \'2024-01-01\'::date + g FROM generate_series(1, 500) g")\n')


def test_detach_partition_plain_blocks_the_parent_and_concurrently_leaves_nothing_held(tmp_path):
    server_engine("postgresql")
    folder = project(tmp_path, [
        PARTITIONED,
        '    op.execute("ALTER TABLE events DETACH PARTITION events_2024")\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.execute("ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY")\n',
    ])
    done = trace(folder)
    data = json.loads(done.stdout)
    assert not data["trace"]["failure"], data["trace"]["failure"]
    by_line = {s["line"]: s for s in data["trace"]["statements"] if s["revision"] == "r002"}
    assert by_line[10]["new_locks"] == {"events": "AccessExclusiveLock", "events_2024": "AccessExclusiveLock"}
    assert by_line[12]["autocommit"] and by_line[12]["new_locks"] == {}  # its locks ended as it committed
    assert [(w["table"], w["reads"], w["line"]) for w in data["windows"] if w["revision"] == "r002"] == [
        ("events", True, 10), ("events_2024", True, 10)]
    assert [(v["kind"], v["line"]) for v in data["verdicts"]] == [("trace-only", 10)]


def test_detach_partition_concurrently_asks_share_update_exclusive_on_the_parent():
    # the statement commits itself, so trace cannot see its lock afterwards: a watcher holding a
    # conflicting lock makes it wait, and pg_locks then names the mode it asked for
    import threading
    import uuid

    engine = server_engine("postgresql")
    schema = f"ml_detach_{uuid.uuid4().hex[:10]}"
    with engine.connect() as setup:
        setup.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        with engine.connect() as setup:
            setup.exec_driver_sql(f"CREATE TABLE {schema}.events (id int, at date) PARTITION BY RANGE (at); "
                                  f"CREATE TABLE {schema}.events_2024 PARTITION OF {schema}.events "
                                  "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
        asked = {}
        with engine.connect() as watcher, engine.connect() as migration:
            pid = migration.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            watcher.exec_driver_sql(f"BEGIN; LOCK TABLE {schema}.events IN SHARE UPDATE EXCLUSIVE MODE")
            runner = threading.Thread(target=migration.exec_driver_sql, args=(
                f"ALTER TABLE {schema}.events DETACH PARTITION {schema}.events_2024 CONCURRENTLY",))
            runner.start()
            for _ in range(200):
                asked = dict(watcher.exec_driver_sql(
                    "SELECT relation::regclass::text, mode FROM pg_locks WHERE pid = %(pid)s AND NOT granted "
                    "AND locktype = 'relation'", {"pid": pid}).all())
                if asked:
                    break
                time.sleep(0.05)
            watcher.exec_driver_sql("COMMIT")
            runner.join(timeout=60)
        assert asked == {f"{schema}.events": "ShareUpdateExclusiveLock"}
        with engine.connect() as check:  # and it did detach, once the watcher let it
            assert check.exec_driver_sql(f"SELECT count(*) FROM pg_inherits WHERE inhparent = "
                                         f"'{schema}.events'::regclass").scalar() == 0
    finally:
        with engine.connect() as cleanup:
            cleanup.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def test_rows_of_empty_and_emptied_tables_and_no_scan_pinned_on_the_next_statement(tmp_path):
    """A table without a page is known to be empty unread; one whose rows were deleted (its pages
    remain) is read: both say no rows, and neither read shows as the next statement's scan."""
    server_engine("postgresql")
    folder = project(tmp_path, [
        '    op.create_table("never", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.create_table("emptied", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("INSERT INTO emptied SELECT g FROM generate_series(1, 50) g")\n'
        '    op.execute("DELETE FROM emptied")\n',
        '    op.add_column("never", sa.Column("a", sa.Integer))\n'
        '    op.add_column("emptied", sa.Column("a", sa.Integer))\n'
        '    op.execute("SELECT 1")\n',
    ])
    done = trace(folder)
    assert done.returncode in (0, 1), done.stderr
    statements = [s for s in json.loads(done.stdout)["trace"]["statements"] if s["revision"] == "r002"]
    by_line = {s["line"]: s for s in statements}
    assert by_line[10]["rows"] == {"never": False} and by_line[10]["scanned"] == []
    assert by_line[11]["rows"] == {"emptied": False} and by_line[11]["scanned"] == []
    assert by_line[12]["scanned"] == [] and by_line[12]["new_locks"] == {}


def test_a_row_by_row_loop_is_traced_statement_by_statement_and_given_no_verdict(tmp_path):
    # ML311's claim (one statement per row) is no server fact: its catalogue entry says so
    # (`trace:`), trace records every statement of the loop and judges the finding neither way
    server_engine("postgresql")
    folder = project(tmp_path, [
        CREATE,
        '    if not op.get_context().as_sql:\n'
        '        bind = op.get_bind()\n'
        '        for row in bind.execute(sa.text("SELECT id, title FROM posts")).fetchall():\n'
        '            bind.execute(sa.text("UPDATE posts SET title = :t WHERE id = :i"),\n'
        '                         {"t": row[1], "i": row[0]})\n',
    ])
    done = subprocess.run([sys.executable, "-m", "migrate_lint", "check", "--format", "json"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert ("ML311", 12) in {(f["code"], f["line"]) for f in json.loads(done.stdout)["findings"]}
    data = json.loads(trace(folder).stdout)
    updates = [s for s in data["trace"]["statements"] if s["revision"] == "r002" and s["line"] == 13]
    assert len(updates) == 100 and all(s["new_locks"] in ({}, {"posts": "RowExclusiveLock"}) for s in updates)
    assert data["verdicts"] == []


def test_the_probe_survives_a_migration_that_deallocates_prepared_statements(tmp_path):
    """The questions asked after each statement are prepared once on the server; a migration that
    drops prepared statements (DEALLOCATE ALL, DISCARD ALL) gets them prepared again, and every
    statement after it is still observed."""
    server_engine("postgresql")
    folder = project(tmp_path, [
        CREATE,
        '    op.execute("DEALLOCATE ALL")\n'
        '    op.create_index("ix_posts_title", "posts", ["title"])\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.execute("DISCARD ALL")\n'
        '    op.alter_column("posts", "id", type_=sa.BigInteger)\n',
    ])
    done = trace(folder)
    data = json.loads(done.stdout)
    assert not data["trace"]["failure"], data["trace"]["failure"]
    by_line = {s["line"]: s for s in data["trace"]["statements"] if s["revision"] == "r002"}
    assert by_line[11]["new_locks"] == {"posts": "ShareLock"}
    assert by_line[14]["new_locks"] == {"posts": "AccessExclusiveLock"}
    assert by_line[14]["rewritten"] == ["posts"]
    assert by_line[14]["rewritten_indexes"] == ["ix_posts_title"]  # the key index is made anew
    assert by_line[14]["rekeyed"] == ["posts"]  # asked by the questions prepared again


def test_the_json_report_writes_the_trace_as_asdict_would():
    from dataclasses import asdict

    from migrate_lint.trace.model import Commit, Statement, Trace
    from migrate_lint.trace.show import _plain

    recorded = Trace("postgresql", "15", notes=["n"], failure=None, made={"0": ["posts"]}, filled={"a": 1})
    made = Statement(0, "ALTER TABLE posts ...", "r1", "r1.py", 3, 0.1, 0.2, 0,
                     new_locks={"posts": "ShareLock"}, rewritten=["posts"], rows={"posts": True})
    made.algorithm, made.meaning = "COPY", "blocks writes"  # set after it was made, as the trace does
    recorded.statements += [made, Statement(1, "SELECT 1", None, None, None, 0.3, 0.0, 1, True)]
    recorded.commits.append(Commit(0, 0.25))
    assert json.dumps(_plain(recorded)) == json.dumps(asdict(recorded))
