"""What the server says after each statement, asked on the migration's own backend (its own
uncommitted catalogue changes and its own locks are visible only there)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from migrate_lint.trace.model import strength

USER = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"
HELD = """held AS MATERIALIZED (SELECT relation, mode FROM pg_locks
                               WHERE pid = pg_backend_pid() AND granted AND locktype = 'relation')"""
# The relations asked about: every one, or (True) only those this backend holds a lock on, looked
# up by oid rather than by reading the whole of pg_class. Each is named once (regclass text is the
# dearest part) and its facts read from that one list.
RELATIONS = {False: "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
             True: "(SELECT DISTINCT relation FROM held) m JOIN pg_class c ON c.oid = m.relation "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace"}
LISTED = """rel AS @ONCE@ (
  SELECT c.oid, c.oid::regclass::text AS name, c.relkind AS kind, c.relfilenode AS node,
         c.relhassubclass AS parent, n.nspname NOT LIKE 'pg_toast%%' AS shown,
         n.nspname !~ '^pg_toast' AS counted
  FROM @RELATIONS@ WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))"""
# The rows sequential scans read in this transaction, per table: the definition of
# pg_stat_xact_user_tables (its tables, schemas and counters) without the per-index sums it also adds.
SCANS = """SELECT coalesce(json_object_agg(name, pg_stat_get_xact_tuples_returned(oid)), '{}') FROM rel
            WHERE kind IN ('r', 't', 'm', 'p') AND counted AND pg_stat_get_xact_numscans(oid) > 0"""
# One round trip: the locks this backend holds on the project's relations, the relations' files (as
# columns; partitioned tables too), the indexes that are not valid, the scan counts, the locked
# tables without a single page (so without a row: asking them needs no scan), the constraints
# that are not validated, each table's primary key index (a key dropped or rebuilt is gone or has a
# new oid: ALTER TYPE re-creates the indexes on the column) and every relation locked (one dropped
# since is locked, and gone). From PostgreSQL 15 on, it also asks the server to flush this backend's
# statistics once the transaction is over, so that the next one starts with no scan counted (they
# would otherwise linger, unflushed, into it): a transaction can then start from what the last one
# left without asking.
SNAPSHOT = f"""
WITH {HELD}, {LISTED}
SELECT json_build_object(@FLUSH@
  'held', (SELECT coalesce(json_agg(DISTINCT relation), '[]') FROM held),
  'locks', (SELECT coalesce(json_agg(json_build_array(r.name, r.kind, l.mode)), '[]')
            FROM held l JOIN rel r ON r.oid = l.relation WHERE r.shown),
  'files', (SELECT json_build_array(array_agg(oid), array_agg(name), array_agg(node), array_agg(kind))
            FROM rel WHERE kind IN ('r', 'p', 'm', 'i') AND shown),
  'invalid', (SELECT coalesce(json_agg(c.oid::regclass::text), '[]') FROM pg_index i
              JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE NOT i.indisvalid AND {USER}),
  'scans', ({SCANS}),
  'empty', (SELECT coalesce(json_agg(name), '[]') FROM rel WHERE oid IN (SELECT relation FROM held)
            AND kind IN ('r', 'm') AND NOT parent AND pg_relation_size(oid) = 0),
  'unvalidated', (SELECT coalesce(json_agg(k.conname || ' on ' || k.conrelid::regclass::text), '[]')
                  FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
                  WHERE NOT k.convalidated AND {USER}),
  'keys', (SELECT coalesce(json_object_agg(r.oid, i.indexrelid), '{{}}') FROM rel r
           JOIN pg_index i ON i.indrelid = r.oid AND i.indisprimary WHERE r.kind IN ('r', 'p') AND r.shown))
""".replace("%%", "%")
FLUSH = "\n  'flushed', (SELECT count(*) FROM pg_stat_force_next_flush()),"
# The locked relations are few: each is named once. Every relation (at a transaction's start) is
# better asked part by part, each naming only those it lists.
ONCE = {True: "MATERIALIZED", False: "NOT MATERIALIZED"}
QUERIES = {(locked, flush): SNAPSHOT.replace("@RELATIONS@", relations).replace("@ONCE@", ONCE[locked])
           .replace("@FLUSH@", FLUSH * flush)
           for locked, relations in RELATIONS.items() for flush in (False, True)}
FLUSHES_FROM = 15  # the first PostgreSQL version with pg_stat_force_next_flush()
# The scan counts alone, of the relations this backend holds a lock on (after reads of its own).
# Those reads' counts are flushed as well: after an autocommit statement they are a transaction of
# their own, whose counts would otherwise linger into the next one, which starts without asking.
SCANS_HELD = {flush: (f"WITH {HELD}, {LISTED} SELECT ({SCANS})" + " FROM pg_stat_force_next_flush()" * flush)
              .replace("@RELATIONS@", RELATIONS[True]).replace("%%", "%").replace("@ONCE@", ONCE[False])
              for flush in (False, True)}
TABLE_KINDS = ("r", "p", "m")


@dataclass
class Snapshot:
    locks: dict[str, str] = field(default_factory=dict)  # table -> strongest mode held
    files: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # oid -> (name, file, kind)
    invalid: list[str] = field(default_factory=list)
    unvalidated: list[str] = field(default_factory=list)
    scans: dict[str, int] = field(default_factory=dict)  # table -> rows read by sequential scans so far
    empty: set[str] = field(default_factory=set)  # locked tables (no children) whose file has no page
    keys: dict[str, str] = field(default_factory=dict)  # table oid -> its primary key index's oid
    held: set[str] = field(default_factory=set)  # oids of the relations this backend holds a lock on
    whole: bool = False  # every relation was read, not only the locked ones


class Asker:
    """The snapshot questions, asked on the migration's own connection, each prepared once on the
    server (PREPARE, then EXECUTE): planning them took longer than running them (0.5 of 0.9 ms after
    each DDL statement, which leaves nothing cached to reuse). psycopg's own automatic preparing is
    off on this connection, since after every ALTER or DROP it deallocates every prepared statement,
    ours with them; a migration that deallocates (DEALLOCATE, DISCARD) gets them prepared again,
    under new names, so that a name never meets one that is still there."""

    def __init__(self, dbapi_connection: Any, version: str) -> None:
        self.connection = dbapi_connection
        major = re.match(r"\d+", version)  # SHOW server_version: "15.20 (Debian ...)", "9.6.24"
        self.flushes = major is not None and int(major.group(0)) >= FLUSHES_FROM  # no scan counted at a start
        self.names: dict[str, str] = {}
        self.made = 0
        if hasattr(dbapi_connection, "prepare_threshold"):  # psycopg 3
            dbapi_connection.prepare_threshold = None

    def forget(self) -> None:
        """The server may have dropped our prepared statements."""
        self.names = {}

    def _asked(self, key: str, query: str) -> Any:
        cursor = self.connection.cursor()
        try:
            name = self.names.get(key)
            if name is None:
                self.made += 1
                name = f"migrate_lint_{key}_{self.made}"
                cursor.execute(f"PREPARE {name} AS {query}")
                self.names[key] = name
            cursor.execute(f"EXECUTE {name}")
            raw = cursor.fetchone()[0]
        finally:
            cursor.close()
        return json.loads(raw) if isinstance(raw, str) else raw

    def take(self, everything: bool = True) -> Snapshot:
        """`everything`: every relation's file and scan count (at a transaction's start); else only
        those of the relations this backend holds a lock on, which is every one a statement since
        can have rewritten or read: both take a lock that lasts until the commit."""
        data = self._asked("all" if everything else "held", QUERIES[not everything, self.flushes])
        locks: dict[str, str] = {}
        for name, kind, mode in data["locks"]:
            if kind in TABLE_KINDS and strength(mode) > strength(locks.get(name, "")) \
                    and not name.startswith("alembic_version"):  # Alembic's bookkeeping, not the project's
                locks[name] = mode
        # four columns (oids, names, files, kinds) rather than an object per relation: a third cheaper
        files = {str(oid): (name, int(node), kind)
                 for oid, name, node, kind in zip(*(column or [] for column in data["files"]), strict=True)}
        scans = {name: int(rows) for name, rows in data["scans"].items()}
        keys = {str(table): str(index) for table, index in data["keys"].items()}
        return Snapshot(locks, files, sorted(data["invalid"]), sorted(data["unvalidated"]), scans,
                        set(data["empty"]), keys, {str(oid) for oid in data["held"]}, everything)

    def scans(self) -> dict[str, int]:
        """What `take(everything=False)` says of scans, alone."""
        return {name: int(rows) for name, rows in self._asked("scans", SCANS_HELD[self.flushes]).items()}


def scanned(before: Snapshot, after: Snapshot) -> list[str]:
    """Tables whose rows a sequential scan read during the statement (a validation, a rewrite's
    copy): this transaction's own counters, pg_stat_xact_user_tables."""
    return sorted(t for t, rows in after.scans.items() if rows > before.scans.get(t, 0))


def merged(before: Snapshot, after: Snapshot) -> Snapshot:
    """What `after` says of the relations locked (all that a read of the locked ones lists; a read
    of every relation says more, kept out), completed with what `before` knew; a relation locked
    that `after` no longer lists was dropped (or is no longer the project's), and a locked table
    it lists without a primary key has lost its key (a key is dropped or replaced under a lock on its
    table, held to the commit)."""
    locked = {oid: file for oid, file in after.files.items() if oid in after.held}
    names = {name for name, _, _ in locked.values()}
    files = dict(before.files)  # copied whole, then the few locked ones replaced: hundreds of relations
    keys = dict(before.keys)
    for oid in after.held:
        files.pop(oid, None)
        keys.pop(oid, None)
    files.update(locked)
    keys.update({table: index for table, index in after.keys.items() if table in after.held})
    return Snapshot(after.locks, files, after.invalid, after.unvalidated,
                    {**before.scans, **{t: n for t, n in after.scans.items() if t in names}}, after.empty,
                    keys, after.held)


def rewritten(before: Snapshot, after: Snapshot) -> tuple[list[str], list[str]]:
    """(tables, indexes) that existed before and now have a new file: their data was copied. A new
    file comes with a lock that lasts until the commit: only the locked relations are compared,
    unless every relation was read (after an autocommit statement, whose locks are gone)."""
    tables: list[str] = []
    indexes: list[str] = []
    for oid in after.files.keys() if after.whole else after.held & after.files.keys():
        name, node, kind = after.files[oid]
        old = before.files.get(oid)
        if old is not None and old[1] != node and node != 0:
            (indexes if kind == "i" else tables).append(name)
    return sorted(tables), sorted(indexes)


def rekeyed(before: Snapshot, after: Snapshot) -> list[str]:
    """Tables that still exist and whose primary key was dropped or re-created (a new index)."""
    return sorted(after.files[table][0] for table, index in before.keys.items()
                  if table in after.files and after.keys.get(table) != index)


def which_have_rows(dbapi_connection: Any, tables: list[str]) -> dict[str, bool]:
    """has_rows of each table, in one round trip; should the server refuse one (a materialized
    view not populated yet), each is asked alone, as has_rows would."""
    if not tables:
        return {}
    cursor = dbapi_connection.cursor()
    try:  # regclass text: already quoted
        cursor.execute("SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {table})" for table in tables))
        return {table: bool(found) for table, found in zip(tables, cursor.fetchone(), strict=True)}
    except Exception:
        return {table: has_rows(dbapi_connection, table) for table in tables}
    finally:
        cursor.close()


def has_rows(dbapi_connection: Any, table: str) -> bool:
    """Whether `table` (as regclass prints it) holds a row; read on the migration's backend, which
    already holds a lock on it, so this never waits."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # regclass text: already quoted
        return bool(cursor.fetchone()[0])
    except Exception:  # a view or a relation this login cannot read: say no rows, never fail
        return False
    finally:
        cursor.close()
