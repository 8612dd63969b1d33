"""The traced upgrade, run in the child process: Alembic's own EnvironmentContext over one
connection (the transaction model of `alembic upgrade`: one transaction for every pending revision
unless env.py asks for `transaction_per_migration`; `autocommit_block()` commits), with the
connection's events recording each statement and, after it, what the server reports."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate_lint.trace import mariadb, probe
from migrate_lint.trace.baseline import Baseline, watching
from migrate_lint.trace.model import Commit, Statement, Trace, blocks, strength

if TYPE_CHECKING:
    import sqlalchemy as sa

    from migrate_lint.revisions.discover import History

DEALLOCATES = re.compile(r"\b(DEALLOCATE|DISCARD)\b", re.I)  # may drop the probe's prepared statements


class Recorder:
    """Listens on one connection; keeps a clock that leaves out the time spent asking the server
    (so that durations and lock windows are the migration's, not the trace's)."""

    def __init__(self, trace: Trace, files: dict[str, Path]) -> None:
        self.trace = trace
        self.files = files
        self.revision: str | None = None
        self.paused = False
        self.origin = time.perf_counter()
        self.overhead = 0.0
        self.transaction = 0
        self.before: probe.Snapshot | None = None
        self.asker: probe.Asker | None = None  # PostgreSQL: set once the connection is made
        self.read: probe.Snapshot | None = None
        self.baseline = Baseline(carries=False)  # until the server is known to flush its scan counts
        self.started = 0.0
        self.postgresql = trace.backend == "postgresql"
        self.algorithm: tuple[str, str] | None = None
        self.existing: set[str] = set()  # the relations there when the transaction began
        self.mdl = False  # MariaDB/MySQL: read performance_schema.metadata_locks after each statement

    def clock(self) -> float:
        return time.perf_counter() - self.origin - self.overhead

    def attach(self, connection: sa.Connection) -> None:
        from sqlalchemy import event

        event.listen(connection, "before_cursor_execute", self.before_statement)
        event.listen(connection, "after_cursor_execute", self.after_statement)
        event.listen(connection.engine, "handle_error", self.failed)  # SQLAlchemy 2: engine-wide only
        event.listen(connection, "commit", self.committed)
        event.listen(connection, "rollback", self.rolled_back)

    def mark(self, where: tuple[str, str]) -> None:
        self.revision = where[0]

    @contextmanager
    def _timed(self) -> Iterator[None]:
        """Time spent asking the server, kept apart from the statements' own durations."""
        begun = time.perf_counter()
        try:
            yield
        finally:
            self.overhead += time.perf_counter() - begun

    def _ask(self, connection: sa.Connection, everything: bool = True) -> probe.Snapshot | None:
        if self.asker is None:
            return None
        with self._timed():
            found = self.asker.take(everything)
        self.read = found if everything else None  # every relation, as just read
        return found if everything or self.before is None else probe.merged(self.before, found)

    def before_statement(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                         executemany: bool) -> None:
        if self.paused:
            return
        if self.before is None:
            self.before = self.baseline.start() or self._ask(conn)
            self.existing = {name for name, _, _ in self.before.files.values()} if self.before else set()
        self.algorithm = self._algorithm(conn, statement)
        self.started = self.clock()

    def _algorithm(self, conn: Any, statement: str) -> tuple[str, str] | None:
        if self.postgresql:
            return None
        with self._timed():
            return mariadb.algorithm(conn.connection.dbapi_connection, statement)

    def after_statement(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                        executemany: bool) -> None:
        if self.paused:
            return
        ended = self.clock()
        autocommit = conn._execution_options.get("isolation_level") == "AUTOCOMMIT"
        path, line = self._source()
        made = Statement(len(self.trace.statements), _shown(statement, parameters), self.revision,
                         path, line, round(self.started, 6), round(ended - self.started, 6),
                         self.transaction, autocommit)
        self.trace.statements.append(made)
        if self.algorithm is not None:
            made.algorithm, made.meaning = self.algorithm
            what, table = mariadb.blocked(made.algorithm), mariadb.table_of(statement)
            if what and table:
                made.blocked[table] = what
        if self.mdl:
            self._metadata_locks(conn, made)
        if self.asker is not None and DEALLOCATES.search(statement):
            self.asker.forget()
        observed = path is not None or self.before is None  # Alembic's bookkeeping: alembic_version only
        self.read = None
        if observed:
            # an autocommit statement has committed: it holds no lock that would name the relations
            # it rewrote, so every relation is asked again (and the next transaction starts from that)
            after = self._ask(conn, everything=self.before is None or autocommit)
            if after is not None:
                self._compare(conn, made, self.before, after)
            self.before = after
        self.baseline.heard(statement, observed, autocommit, self.read)
        if autocommit:  # committed as it ran: its locks are gone already
            self.trace.commits.append(Commit(self.transaction, ended))
            self.transaction += 1
            self.before = None

    def _metadata_locks(self, conn: Any, made: Statement) -> None:
        with self._timed():
            held = mariadb.metadata_locks(conn.connection.dbapi_connection)
        if held is None:  # unreadable after all: say so once, stop asking
            self.mdl = False
            self.trace.notes.append("performance_schema.metadata_locks could not be read by the throwaway "
                                    "login: metadata locks were not observed")
        else:
            made.metadata_locks = held

    def _compare(self, conn: Any, made: Statement, before: probe.Snapshot | None,
                 after: probe.Snapshot) -> None:
        held = before.locks if before is not None else {}
        # the locks held accumulate until the commit: each statement records what it raised
        made.new_locks = {table: mode for table, mode in sorted(after.locks.items())
                          if strength(mode) > strength(held.get(table, ""))}
        made.fresh = sorted(set(made.new_locks) - self.existing)  # a table it made is locked by it
        if made.fresh:
            self.trace.made.setdefault(str(self.transaction), []).extend(made.fresh)
        if before is not None:
            made.rewritten, made.rewritten_indexes = probe.rewritten(before, after)
            # an autocommit statement's scan counters are its own finished transaction's, which the
            # server folds into its statistics whenever it likes: none is claimed either way
            made.scanned = [] if made.autocommit else probe.scanned(before, after)
            made.rekeyed = probe.rekeyed(before, after)
        made.invalid_indexes, made.unvalidated = after.invalid, after.unvalidated
        # a table made in this transaction blocks no one
        asked = [table for table, mode in made.new_locks.items()
                 if (any(blocks(mode)) or table in made.rewritten) and table not in made.fresh]
        asked += sorted(set(made.rewritten) - set(made.fresh) - set(asked))
        with self._timed():
            # a table whose file has no page has no row: known without reading it (nor counting a scan)
            read = probe.which_have_rows(conn.connection.dbapi_connection,
                                         [table for table in asked if table not in after.empty])
            if read and self.asker is not None:  # those reads count as scans: not the next statement's
                after.scans = {**after.scans, **self.asker.scans()}
        made.rows = {table: read.get(table, False) for table in asked}

    def failed(self, context: Any) -> None:
        if self.paused:
            return
        self.baseline.failed()
        error = str(getattr(context.original_exception, "args", [""])[0] or context.original_exception)
        path, line = self._source()
        conn = context.connection
        autocommit = conn is not None and conn._execution_options.get("isolation_level") == "AUTOCOMMIT"
        made = Statement(
            len(self.trace.statements), _shown(context.statement or "", context.parameters), self.revision,
            path, line, round(self.started, 6), round(self.clock() - self.started, 6), self.transaction,
            autocommit, error=error.strip().splitlines()[0] if error.strip() else "error")
        self.trace.statements.append(made)
        if autocommit:  # no transaction was aborted: the server can still be asked
            made.invalid_indexes = self._invalid(conn)

    def _invalid(self, conn: Any) -> list[str]:
        """The indexes left invalid after an autocommit statement failed: a CREATE INDEX
        CONCURRENTLY that fails leaves its index behind, INVALID, for the next run to trip on."""
        if self.asker is None:
            return []
        with self._timed():
            try:  # the invalid indexes are every relation's: the locked read lists them all
                return self.asker.take(everything=False).invalid
            except Exception:  # the connection itself is gone: nothing to say
                return []

    def committed(self, conn: Any, kept: bool = True) -> None:
        if self.paused:
            return
        self.baseline.ended(self.before if kept else None)  # an empty transaction leaves it as it was
        self.before = None  # the locks are gone
        if not self.trace.statements or self.trace.statements[-1].transaction != self.transaction:
            return  # nothing ran since the last commit (autocommit_block() ends an empty one): not counted
        self.trace.commits.append(Commit(self.transaction, round(self.clock(), 6)))
        self.transaction += 1

    def rolled_back(self, conn: Any) -> None:
        self.committed(conn, kept=False)

    def _source(self) -> tuple[str | None, int | None]:
        """The revision file and line whose code sent the statement: the innermost frame in one."""
        frame: Any = sys._getframe(2)
        while frame is not None:
            path = self.files.get(frame.f_code.co_filename)
            if path is not None:
                return str(path), frame.f_lineno
            frame = frame.f_back
        return None, None


def _filled(recorder: Recorder, connection: sa.Connection, rows: int) -> None:
    """--rows, unrecorded and left out of the clock; what the migration holds afterwards is asked
    again, so the fill's own row locks are not pinned on the next statement."""
    from migrate_lint.trace.fill import fill

    recorder.paused = True
    try:
        with recorder._timed():
            fill(connection, rows, recorder.trace.filled, recorder.trace.unfilled)
            if recorder.asker is not None:
                starting = recorder.before is None  # the transaction has just begun
                recorder.before = recorder.asker.take()
                if starting:
                    recorder.existing = {name for name, _, _ in recorder.before.files.values()}
    finally:
        recorder.paused = False


def _shown(statement: str, parameters: Any) -> str:
    text = statement.strip()
    return text if not parameters else f"{text}  -- {parameters!r}"[:2000]


def traced_upgrade(history: History, url: sa.URL, start: str | None, mark: Any = None,
                   rows: int = 0) -> Trace:
    """Upgrade the scratch database at `url` to every head, recording each statement; `start`:
    first upgrade to that revision unrecorded (--from)."""
    import sqlalchemy as sa

    from migrate_lint.database.guard import only
    from migrate_lint.database.upgrade import FAILURES, failure_of, marking, revision_files

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    files = revision_files(history)
    try:
        with engine.connect() as connection:
            asked = "SHOW server_version" if url.get_backend_name() == "postgresql" else "SELECT VERSION()"
            version = str(connection.exec_driver_sql(asked).scalar())
            connection.commit()
            trace = Trace(url.get_backend_name(), version)
            recorder = Recorder(trace, files)

            def heard(where: tuple[str, str]) -> None:
                recorder.mark(where)
                if rows and not recorder.paused:
                    _filled(recorder, connection, rows)
                if mark is not None:
                    mark(where)

            if url.get_backend_name() != "postgresql":
                recorder.mdl, said = mariadb.metadata_note(connection.connection.dbapi_connection)
                trace.notes.append(said)
            else:
                recorder.asker = probe.Asker(connection.connection.dbapi_connection, version)
                recorder.baseline = Baseline(carries=recorder.asker.flushes)
            recorder.attach(connection)
            with only(url), marking(heard), watching(recorder.baseline):
                try:
                    if start:
                        recorder.paused = True
                        _upgrade(history, connection, start)
                        recorder.paused, recorder.revision = False, None
                    recorder.origin, recorder.overhead = time.perf_counter(), 0.0
                    _upgrade(history, connection, "heads")
                except FAILURES as exc:
                    stopped = failure_of(exc, files)
                    trace.failure = f"{Path(str(stopped.path)).name}:{stopped.line}: {stopped.error}"
                    trace.failed_revision = stopped.revision
                    if connection.in_transaction():
                        connection.rollback()
            trace.total = round(recorder.clock(), 6)
            return trace
    finally:
        engine.dispose()


def _upgrade(history: History, connection: sa.Connection, destination: str) -> None:
    """As `alembic upgrade <destination>` would, over our connection (no env.py: it could reach
    another database), with the transaction model env.py asks for."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    from migrate_lint.database.upgrade import alembic_config, engine_names, version_table
    from migrate_lint.revisions.project import env_transaction_per_migration

    config = alembic_config(history, None)
    script = ScriptDirectory.from_config(config)
    per_migration = env_transaction_per_migration(history)
    for bind in engine_names(history):
        arguments = {} if bind is None else {"engine_name": bind}

        def plan(revision: Any, context: Any) -> Any:
            return script._upgrade_revs(destination, revision)

        with EnvironmentContext(config, script, fn=plan, destination_rev=destination) as environment:
            environment.configure(connection=connection, target_metadata=None,
                                  transaction_per_migration=per_migration, version_table=version_table(bind))
            with environment.begin_transaction():
                environment.run_migrations(**arguments)
        if connection.in_transaction():
            connection.commit()
