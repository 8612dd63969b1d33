"""The relations a transaction starts with, carried over from the transaction before rather than
read again from the whole of pg_class: a statement that creates, drops, renames or rewrites a
relation locks it until the commit, and the locked relations' files are read after each statement,
so the map is up to date when the transaction commits. So are the tables' primary keys, carried
with it: a key is dropped or replaced under a lock on its table. Scan counts are not carried: the server
flushes them once a transaction that asked after a statement is over (probe.FLUSH), so the next
one starts with none. Where something may have changed relations out of sight, or on a server
that cannot be asked to flush, the next transaction reads them all again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from migrate_lint.trace.probe import Snapshot

# A savepoint rolled back undoes what it made and lets go of its locks, and a temporary table may
# be dropped (or emptied) by the commit itself: the map may list relations that are gone.
UNDONE = re.compile(r"\b(ROLLBACK|TEMP|TEMPORARY|pg_temp)\b", re.I)
# A schema made, renamed or dropped, another search_path, or another role (its "$user" schema),
# changes how relations' names are written (schema-qualified or not) without a lock on them: from
# then on, every transaction reads.
RENAMES_ALL = re.compile(r"\b(SCHEMA|search_path|ROLE|AUTHORIZATION)\b", re.I)
# Alembic's bookkeeping is not read after; only a statement of these kinds leaves relations alone.
LEAVES_RELATIONS = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.I)


class Baseline:
    """What one traced connection knows of its relations between transactions."""

    def __init__(self, carries: bool) -> None:
        self.files: dict[str, tuple[str, int, str]] | None = None  # None: to be read
        self.keys: dict[str, str] = {}  # table oid -> its primary key's index oid, with the files
        self.observed = False  # this transaction asked after a statement (so its scans get flushed)
        self.unseen = False  # this transaction may have changed relations out of sight
        self.never = not carries  # carry nothing: read at every transaction's start
        self.busy = False  # a statement ran since the relations were last known

    @property
    def carries(self) -> bool:
        return not self.never

    def start(self) -> Snapshot | None:
        """What the transaction begins with, if it is known without asking: no locks held, no
        scans counted, the relations as the last transaction left them."""
        return None if self.files is None or self.never else Snapshot(files=self.files, keys=self.keys)

    def heard(self, statement: str, observed: bool, autocommit: bool, read: Snapshot | None = None) -> None:
        """A statement ran; `observed`: the locked relations were read after it (and so before the
        commit); `autocommit`: it committed as it ran, so its locks were gone before anyone read, and
        `read` is every relation as read after it (None: not read)."""
        if RENAMES_ALL.search(statement):
            self.never = True
        if autocommit:  # its scans were flushed once the read's own transaction was over
            self._keep(read)
            self.observed = self.unseen = self.busy = False
            return
        self.busy = True
        self.observed = self.observed or observed
        if UNDONE.search(statement) or not (observed or LEAVES_RELATIONS.match(statement)):
            self.unseen = True

    def failed(self) -> None:
        """A statement failed and the revision went on (it caught the error): what it left (a
        CONCURRENTLY build leaves an invalid index, committed) was never read."""
        self._keep(None)
        self.unseen = True

    def elsewhere(self, *_: object) -> None:
        """Another connection was opened: what it changes is never locked by ours."""
        self.never = True

    def ended(self, last: Snapshot | None) -> None:
        """The transaction committed, leaving `last` (None: rolled back, or not known)."""
        if not self.busy:  # nothing ran in it (the commit that ends an autocommit block)
            return
        carried = last is not None and self.observed and not (self.unseen or self.never)
        self._keep(last if carried else None)
        self.observed = self.unseen = self.busy = False

    def _keep(self, known: Snapshot | None) -> None:
        """What the next transaction starts from (None: it reads every relation)."""
        self.files, self.keys = (known.files, known.keys) if known is not None else (None, {})


@contextmanager
def watching(baseline: Baseline) -> Iterator[None]:
    """A connection opened meanwhile (the project's code may open one of its own to the scratch
    database) ends the carrying over: what it changes never shows among our locks."""
    from sqlalchemy import event, pool

    heard = baseline.elsewhere  # one bound method, to remove the very listener added
    event.listen(pool.Pool, "connect", heard)
    try:
        yield
    finally:
        event.remove(pool.Pool, "connect", heard)
