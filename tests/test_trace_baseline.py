"""trace carries the relations a transaction ends with over to the next one instead of reading
them all again: on the real PostgreSQL, every fact it records must be the one a fresh read at each
transaction's start gives, whatever happened out of the locks' sight in between."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from migrate_lint.config import load
from migrate_lint.database.scratch import scratch
from migrate_lint.revisions.discover import one_history
from migrate_lint.trace import baseline, capture
from migrate_lint.trace.capture import traced_upgrade
from migrate_lint.trace.probe import Snapshot
from tests.servers import server_engine
from tests.test_drift_safety import server_url
from tests.test_trace import project

TIMES = {"started", "duration"}
BODIES = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True), sa.Column("t", sa.String(20)))\n'
    '    op.create_index("ix_a_t", "a", ["t"])\n'
    '    op.execute("INSERT INTO a (t) SELECT \'x\' || g FROM generate_series(1, 30) g")\n'
    '    op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))\n'
    '    op.execute("SELECT count(*) FROM a")\n',
    # an index made out of the locks' sight (autocommit), rewritten in the next transaction
    '    with op.get_context().autocommit_block():\n'
    '        op.execute("CREATE INDEX CONCURRENTLY ix_a_t2 ON a (t)")\n'
    '    op.alter_column("a", "id", type_=sa.BigInteger)\n',
    '    op.drop_table("b")\n'
    '    op.create_table("c", sa.Column("id", sa.Integer, primary_key=True))\n',
    # b dropped in the transaction before: made again, it is new to this one
    '    op.create_table("b", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))\n'
    '    op.execute("INSERT INTO b (n) SELECT g FROM generate_series(1, 10) g")\n'
    '    op.rename_table("c", "c2")\n'
    '    op.execute("SAVEPOINT s1")\n'
    '    op.execute("CREATE TABLE d (id int)")\n'
    '    op.execute("ROLLBACK TO SAVEPOINT s1")\n',
    '    op.execute("CREATE TABLE d (id int)")\n'
    '    op.execute("ALTER TABLE b ALTER COLUMN n TYPE bigint")\n'
    '    with op.get_context().autocommit_block():\n'
    '        op.execute("VACUUM FULL a")\n'
    '    op.execute("ALTER TABLE a ADD CONSTRAINT ck_a CHECK (id > 0) NOT VALID")\n',
    '    op.execute("ALTER TABLE d ALTER COLUMN id TYPE bigint")\n'
    '    op.execute("ALTER TABLE a VALIDATE CONSTRAINT ck_a")\n'
    '    op.execute("ALTER TABLE alembic_version ALTER COLUMN version_num TYPE varchar(64)")\n'
    '    op.add_column("c2", sa.Column("z", sa.Integer, server_default="1", nullable=False))\n',
]
# the project's code opens a connection of its own: what it makes is never among our locks
ELSEWHERE = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))\n',
    '    op.execute("CREATE TABLE y (id int)")\n'
    '    with op.get_bind().engine.connect() as other:\n'
    '        other.exec_driver_sql("CREATE TABLE z (id int)")\n'
    '        other.exec_driver_sql("INSERT INTO z VALUES (1)")\n'
    '        other.commit()\n',
    '    op.execute("ALTER TABLE z ALTER COLUMN id TYPE bigint")\n',
]
# another search_path writes public.a as "public.a" from then on, though nothing locked it
SCHEMAS = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))\n',
    '    op.execute("CREATE SCHEMA s2")\n'
    '    op.execute("SET search_path TO s2, public")\n'
    '    op.execute("CREATE TABLE s2.a (id int)")\n',
    '    op.execute("ALTER TABLE public.a ADD COLUMN n int")\n',
]
# a table read in one transaction, locked without a read at the next one's start: the rows counted
# in the first (not yet flushed by the server) are not a scan of the second
SCANS = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))\n'
    '    op.execute("INSERT INTO a SELECT g FROM generate_series(1, 30) g")\n',
    '    op.execute("SELECT count(*) FROM a")\n',
    '    op.execute("ALTER TABLE a ADD COLUMN n int")\n',
]


# primary keys dropped, added back and replaced, in a transaction and out of the locks' sight
# (autocommit): the key each carried transaction starts with must be the server's
KEYS = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))\n'
    '    op.create_table("k", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))\n'
    '    op.execute("INSERT INTO k (n) SELECT g FROM generate_series(1, 10) g")\n',
    '    op.drop_constraint("a_pkey", "a", type_="primary")\n',
    # a key dropped in the transaction before is no key to lose here; one added is no key replaced
    '    op.add_column("a", sa.Column("m", sa.Integer))\n'
    '    op.create_primary_key("a_pkey", "a", ["id"])\n',
    '    op.alter_column("a", "id", type_=sa.BigInteger)\n'
    '    with op.get_context().autocommit_block():\n'
    '        op.execute("CREATE UNIQUE INDEX CONCURRENTLY uk ON k (n)")\n'
    '        op.execute("ALTER TABLE k DROP CONSTRAINT k_pkey")\n'
    '        op.execute("ALTER TABLE k ALTER COLUMN n SET NOT NULL")\n'
    '        op.execute("ALTER TABLE k ADD CONSTRAINT k_pkey PRIMARY KEY USING INDEX uk")\n',
    '    op.alter_column("k", "n", type_=sa.BigInteger)\n'
    '    op.alter_column("a", "m", type_=sa.BigInteger)\n',
]


def facts(folder: Path, carry: bool, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Each statement's facts; carrying, every transaction that starts from what the one before
    left is also read afresh, and the two must agree relation by relation and key by key."""
    starts: list[tuple[Snapshot, Snapshot]] = []
    if carry:
        asked = capture.Recorder.before_statement

        def before_statement(self: capture.Recorder, conn: object, *rest: object) -> None:
            carried = None if self.paused or self.before is not None else self.baseline.start()
            if carried is not None and self.asker is not None:
                starts.append((carried, self.asker.take()))
            asked(self, conn, *rest)

        monkeypatch.setattr(capture.Recorder, "before_statement", before_statement)
    else:  # every transaction reads every relation again, as trace did before carrying
        monkeypatch.setattr(baseline.Baseline, "start", lambda self: None)
    history, _ = one_history([folder], load(None, folder), "one history")
    with scratch(server_url("postgresql")) as made:
        recorded = traced_upgrade(history, made.url, None)
    monkeypatch.undo()
    assert not recorded.failure, recorded.failure
    for carried, fresh in starts:
        assert (carried.files, carried.keys) == (fresh.files, fresh.keys)
    return [{k: v for k, v in asdict(s).items() if k not in TIMES} for s in recorded.statements]

# a failed CONCURRENTLY build leaves its index behind, invalid, and the revision goes on; nothing
# locks the index until a rewrite rebuilds it (its function, PL/pgSQL so never inlined, fixed)
INV = "CREATE OR REPLACE FUNCTION inv(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS 'BEGIN RETURN {}; END'"
SWALLOWED = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))\n'
    '    op.execute("INSERT INTO a (n) SELECT 0 FROM generate_series(1, 3)")\n'
    f'    op.execute("{INV.format("10 / $1")}")\n',
    '    with op.get_context().autocommit_block():\n'  # a commit: what follows starts afresh
    '        op.execute("SELECT 1")\n',
    '    op.execute("SELECT 1")\n'  # observed: the relations are carried past the commit that follows
    '    with op.get_context().autocommit_block():\n'
    '        try:\n'
    '            op.execute("CREATE INDEX CONCURRENTLY ix_a_inv ON a (inv(n))")\n'
    '        except Exception:\n'
    '            pass\n',
    f'    op.execute("{INV.format("$1")}")\n'
    '    op.alter_column("a", "id", type_=sa.BigInteger)\n',
]
# a temporary table dropped by the commit itself: no statement of the next transaction saw it go
TEMPORARY = [
    '    op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))\n',
    '    op.execute("SELECT 1")\n',
    '    op.execute("CREATE TEMP TABLE tt (id int) ON COMMIT DROP")\n',
    '    op.execute("CREATE TEMP TABLE tt (id int) ON COMMIT DROP")\n',
]


def one(statements: list[dict], revision: str, line: int) -> dict:
    return next(s for s in statements if s["revision"] == revision and s["line"] == line)


@pytest.mark.parametrize("per_migration", [True, False])
def test_carried_relations_give_the_facts_a_fresh_read_gives(tmp_path, monkeypatch, per_migration):
    server_engine("postgresql")
    folder = project(tmp_path, BODIES, per_migration)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    # the index made in autocommit is among those rewritten
    assert one(carried, "r002", 12)["rewritten_indexes"] == ["ix_a_t", "ix_a_t2"]
    # b was dropped in the transaction before; in one transaction for all, it was there at its start
    assert one(carried, "r004", 10)["fresh"] == (["b"] if per_migration else [])


def test_a_connection_of_the_projects_own_stops_the_carrying(tmp_path, monkeypatch):
    server_engine("postgresql")
    folder = project(tmp_path, ELSEWHERE)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    rewrite = one(carried, "r003", 10)
    assert rewrite["rewritten"] == ["z"] and rewrite["fresh"] == []  # z was there, made by the other one


def test_another_schema_or_search_path_stops_the_carrying(tmp_path, monkeypatch):
    server_engine("postgresql")
    folder = project(tmp_path, SCHEMAS)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    assert one(carried, "r003", 10)["new_locks"] == {"public.a": "AccessExclusiveLock"}
    assert one(carried, "r003", 10)["fresh"] == []


def test_rows_read_in_one_transaction_are_no_scan_of_the_next(tmp_path, monkeypatch):
    server_engine("postgresql")
    folder = project(tmp_path, SCANS)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    assert one(carried, "r002", 10)["scanned"] == ["a"] and one(carried, "r003", 10)["scanned"] == []


def test_a_server_that_cannot_flush_its_scan_counts_reads_every_transactions_start():
    from migrate_lint.trace.probe import Asker

    engine = server_engine("postgresql")
    raw = engine.raw_connection()
    try:
        dbapi = raw.dbapi_connection
        assert Asker(dbapi, "15.20 (Debian 15.20-0+deb12u1)").flushes
        assert not Asker(dbapi, "14.11").flushes and not Asker(dbapi, "9.6.24").flushes
        assert dbapi.prepare_threshold is None  # psycopg's own preparing is off: it would drop ours
    finally:
        raw.close()
    carried = baseline.Baseline(carries=False)
    carried.heard("ALTER TABLE a ADD COLUMN n int", observed=True, autocommit=False)
    carried.ended(baseline.Snapshot(files={"1": ("a", 1, "r")}))
    assert carried.start() is None


@pytest.mark.parametrize("per_migration", [True, False])
def test_a_statement_that_failed_and_was_let_pass_stops_the_carrying(tmp_path, monkeypatch, per_migration):
    server_engine("postgresql")
    folder = project(tmp_path, SWALLOWED, per_migration)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    assert one(carried, "r004", 11)["rewritten_indexes"] == ["ix_a_inv"]  # rebuilt, valid at last


def test_a_temporary_table_dropped_at_the_commit_is_not_carried(tmp_path, monkeypatch):
    server_engine("postgresql")
    folder = project(tmp_path, TEMPORARY)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    assert one(carried, "r004", 10)["fresh"] == ["tt"]


@pytest.mark.parametrize("per_migration", [True, False])
def test_carried_primary_keys_are_the_servers(tmp_path, monkeypatch, per_migration):
    server_engine("postgresql")
    folder = project(tmp_path, KEYS, per_migration)
    carried = facts(folder, True, monkeypatch)
    assert carried == facts(folder, False, monkeypatch)
    assert one(carried, "r002", 10)["rekeyed"] == ["a"]  # dropped
    assert one(carried, "r003", 10)["rekeyed"] == [] and one(carried, "r003", 11)["rekeyed"] == []
    assert one(carried, "r004", 10)["rekeyed"] == ["a"]  # the key added back, re-created by ALTER TYPE
    assert one(carried, "r004", 13)["rekeyed"] == ["k"]  # dropped in autocommit: every relation read
    assert one(carried, "r005", 10)["rekeyed"] == ["k"]  # the key put on in autocommit, carried
    assert one(carried, "r005", 11)["rekeyed"] == []
