"""Lock findings on a table the history created shortly before, when no stats snapshot tells its
size: the revisions' own `Create Date` headers say how long the table has existed when a revision
runs, and a table a few weeks old holds little. Such findings go one severity lower, as on a table a
snapshot measures small, and to info when the table is a week old or less (most likely it ships in
the same release, empty), and say why (config `new-table-days`, 0 to turn it off). Findings of a
statement that fails on a table with rows (a NOT NULL column with nothing to fill it) go to info on
a table a week old or less, and stay as they are otherwise. A table an ancestor left empty
(emptied, or on PostgreSQL given a NOT NULL column with nothing to fill it, which only an empty
table takes) is young from then, for a week. A table that a revision since filled from another
(INSERT ... SELECT) is not young, and one the root revision created counts as young for a
week only: it may be older than the history, stamped when the project adopted Alembic. In the
history's first revision, when it creates tables, they are info: it builds the schema on an empty
database."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from migrate_lint.finding import Finding, Hit, Severity
from migrate_lint.lint.weighing import ROWS_TAG, WEIGHED_TAG, lower, moved
from migrate_lint.revisions.migration import ANY_TABLE

if TYPE_CHECKING:
    import datetime

    from migrate_lint.catalog import Catalog
    from migrate_lint.config import Config
    from migrate_lint.revisions.graph import RevisionGraph
    from migrate_lint.revisions.migration import Migration

RECENT = "{table}: {made} by {revision} {when} (by their Create Date), so it holds little yet"
# how a revision left the table empty
CREATED, EMPTIED = "created", "emptied"
NOT_NULL_ADDED = "given a NOT NULL column with nothing to fill it, which only an empty table takes,"
FIRST = "{table}: this is the history's first revision, which builds the schema on an empty database"
# a table made the same day: no release has most likely run code that uses it yet
SAME_DAY = ("{table}: created by {revision} the same day (by their Create Date), so most likely no "
            "release has run code that uses it yet")
_CREATE_DATE = re.compile(r"^Create Date:\s*(\d{4}-\d\d-\d\d)", re.M)
FRESH_DAYS = 7  # a table this young shipped in the same release, or one so recent it holds next to nothing
MAX_BETWEEN = 10  # a table more revisions back has likely been through a release or more
# A day with this many revisions is a conversion or a squash (CKAN's 87 revisions of 2018-09-04,
# converted from sqlalchemy-migrate scripts that ran years apart): its dates say nothing of age.
BURST = 20


class AgeWeigher:
    """The weighing of one history's lock findings by the age of their table."""

    def __init__(self, config: Config, catalog: Catalog, graph: RevisionGraph,
                 migrations: Mapping[str, Migration], source_of: Callable[[str], str]) -> None:
        self.days = config.new_table_days
        self.postgresql = config.dialect == "postgresql"
        self.graph = graph
        self.migrations = migrations
        # the Create Date of every revision is read for the bursts: from the file, so that no
        # revision's operations are analysed only to learn its date
        self.source_of = source_of
        self.weighed = frozenset(spec.code for spec in catalog.rules if WEIGHED_TAG in spec.tags)
        # a statement that fails on a table with rows: harmless only on a table most likely still
        # empty, a week old or less (not one lower for a month, as a lock is)
        self.fail_on_rows = frozenset(spec.code for spec in catalog.rules if ROWS_TAG in spec.tags)
        # what breaks the code of the previous release (a dropped or renamed table or column): void
        # where that release cannot have had the table, made by another revision the same day
        self.old_code = frozenset(spec.code for spec in catalog.rules if spec.deploy == "old-code")
        self._dates: dict[str, datetime.date | None] = {}
        self._created: dict[str, dict[str, str]] = {}  # revision -> the tables it leaves empty, and how
        self._bursts: frozenset[datetime.date] | None = None

    def weigh(self, finding: Finding, hit: Hit) -> Finding:
        table = hit.fields.get("table")
        if finding.code in self.old_code:
            return self._same_day(finding, table)
        rows = finding.code in self.fail_on_rows
        weighed = rows or finding.code in self.weighed
        if not weighed or not table or finding.revision not in self.graph.by_id:
            return finding
        if self._builds_schema(finding.revision):
            return moved(finding, Severity.INFO, FIRST, {"table": table})
        found = self._created_recently(finding.revision, table.lower())
        if found is None:
            return finding
        creator, days, made = found
        if rows and days > FRESH_DAYS:
            return finding
        when = "the same day" if days == 0 else "the day before" if days == 1 else f"{days} days before"
        severity = Severity.INFO if days <= FRESH_DAYS else lower(finding.severity)
        return moved(finding, severity, RECENT,
                     {"table": table, "revision": creator, "when": when, "made": made})

    def _same_day(self, finding: Finding, table: str | None) -> Finding:
        """The finding at info where another revision created the table the same day, past the
        root (whose tables may be older than the history): aicacia drops `threads` 21 minutes
        after the revision that made it."""
        if not table or finding.revision not in self.graph.by_id:
            return finding
        found = self._created_recently(finding.revision, table.lower())
        if found is None:
            return finding
        creator, days, made = found
        if days != 0 or made != CREATED or not self.graph.by_id[creator].down_revisions:
            return finding
        return moved(finding, Severity.INFO, SAME_DAY, {"table": table, "revision": creator})

    def _builds_schema(self, revision: str) -> bool:
        """A root revision that creates tables (some by names computed at run time, as nova's shadow
        tables): every database runs it empty, or was stamped past it when it adopted Alembic."""
        if self.graph.by_id[revision].down_revisions:
            return False
        migration = self.migrations[revision]
        return "create_table(" in migration.source or "CREATE TABLE" in migration.upper_sql

    def _created_recently(self, revision: str, table: str) -> tuple[str, int, str] | None:
        """(revision, days between, how) when a near ancestor created `table` within the days, or
        left it empty."""
        runs = self._date(revision)
        if runs is None or runs in self.bursts:
            return None
        for between, ancestor in enumerate(self.graph.ancestors(revision)):
            if between >= MAX_BETWEEN:
                return None
            if ancestor.id not in self._created:
                self._created[ancestor.id] = self._made_empty(ancestor.id)
            if self._copies_into(ancestor.id, table):
                return None  # filled from another table since it was made: young, not small
            if table in self._created[ancestor.id]:
                created = self._date(ancestor.id)
                if created is None or created in self.bursts:
                    return None
                days = (runs - created).days
                # the root's tables may be older than the history (waiverdb served from April and
                # stamped its initial migration of November): their age is trusted for a week only
                made = self._created[ancestor.id][table]
                # and so is a table found empty, which the application still writes to (seer's
                # grouping_records, truncated, held a month of backfilled rows when its key was added)
                trusted = ancestor.down_revisions and made == CREATED
                limit = self.days if trusted else min(self.days, FRESH_DAYS)
                return (ancestor.id, days, made) if 0 <= days <= limit else None
        return None

    def _made_empty(self, revision: str) -> dict[str, str]:
        """The tables the revision leaves empty, and how: those it creates; those it empties (DELETE
        without WHERE, TRUNCATE) and fills no row of again; and, on PostgreSQL, those it adds a NOT
        NULL column to with nothing to fill it, which fails on a table with rows, so the table had
        none wherever the history ran (EPIC.compliance does so weeks into its history: not yet live)."""
        migration = self.migrations[revision]
        made: dict[str, str] = {}
        if self.postgresql:
            made.update((table.lower(), NOT_NULL_ADDED) for _, table, spec in migration.added_columns()
                        if spec.nullable is False and spec.server_default is None and not spec.generated
                        and not spec.primary_key)
        emptied: dict[str, bool] = {}
        for update in migration.updates:
            if update.table == ANY_TABLE:
                continue
            if update.empties(update.table):
                emptied[update.table.lower()] = True
            elif update.inserts(update.table):
                emptied[update.table.lower()] = False
        made.update((table, EMPTIED) for table, empty in emptied.items() if empty)
        made.update((table, CREATED) for table in migration.created_before(None))
        return made

    def _copies_into(self, revision: str, table: str) -> bool:
        """Whether the revision copies rows into `table` (INSERT ... SELECT): hasjob creates `domain`
        and fills it from every job post, so eleven days later it is not empty."""
        return any(u.kind == "insert" and u.table.lower() == table for u in self.migrations[revision].updates)

    def _date(self, revision: str) -> datetime.date | None:
        if revision not in self._dates:
            import datetime  # only once a lock finding names a table: most checks never need it

            match = _CREATE_DATE.search(self.source_of(revision)[:4096])
            try:
                self._dates[revision] = datetime.date.fromisoformat(match[1]) if match else None
            except ValueError:
                self._dates[revision] = None
        return self._dates[revision]

    @property
    def bursts(self) -> frozenset[datetime.date]:
        if self._bursts is None:
            counts = Counter(d for rid in self.graph.by_id if (d := self._date(rid)) is not None)
            self._bursts = frozenset(d for d, n in counts.items() if n >= BURST)
        return self._bursts
