"""rename-table: renaming a table breaks the code that still uses the old name during a deploy."""

from collections.abc import Iterator
from dataclasses import dataclass

from migrate_lint.checks import CheckContext, Hit, renamed, renames
from migrate_lint.revisions.migration import Migration, Operation, Statement

CODE = "ML204"
SCOPE = "revision"

Order = tuple[int, int]  # (index of the operation that runs it, index of its statement or -1)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    return renamed(migration, ctx, "table")


@dataclass(frozen=True)
class TableRename:
    old: str  # lower-cased
    new: str
    at: Order


class Renamed:
    """The table renames this revision's rename-table findings report, for the column rules of
    the previous release (drop-column, rename-column): once a table is renamed that release cannot
    query it at all, so a column dropped or renamed on it, under the old name before the rename or
    under the new one after it, adds no risk of its own. Empty when rename-table is not reported
    for the file (not selected, or ignored for it): the column rules then keep the risk."""

    def __init__(self, migration: Migration, ctx: CheckContext) -> None:
        self.migration = migration
        self.order: dict[int, Order] = {}
        self.renames: tuple[TableRename, ...] = ()
        if ctx.reports(CODE, migration.path):
            found = list(renames(migration, ctx, "table"))
            if found:
                self.order = _statement_order(migration)
                self.renames = tuple(TableRename(hit.fields["old"].lower(), hit.fields["new"].lower(),
                                                 self.order[id(statement)]) for statement, hit in found)

    def covers(self, table: object, where: Operation | Statement) -> bool:
        """Whether `table`, at the operation or statement `where`, is a table renamed by then (its
        new name) or about to be (its old name)."""
        if not self.renames or not isinstance(table, str):
            return False
        at = self._at(where)
        name = table.lower()
        if at is None:
            return False
        return any((name == rename.old and at < rename.at) or (name == rename.new and at > rename.at)
                   for rename in self.renames)

    def _at(self, where: Operation | Statement) -> Order | None:
        if isinstance(where, Statement):
            return self.order.get(id(where))
        return next(((i, -1) for i, op in enumerate(self.migration.operations) if op is where), None)


def _statement_order(migration: Migration) -> dict[int, Order]:
    """Where each statement (by id) runs: (index of the operation that emitted it, its own index).
    Statements follow their operations in order, so a helper's line run twice maps to the call
    that ran it."""
    by_line: dict[int, list[int]] = {}
    for index, op in enumerate(migration.operations):
        for line in {op.line, op.batch_line}:
            if line is not None:
                by_line.setdefault(line, []).append(index)
    order: dict[int, Order] = {}
    current = 0
    for number, statement in enumerate(migration.statements):
        candidates = by_line.get(statement.line, [])
        current = next((i for i in candidates if i >= current), candidates[-1] if candidates else current)
        order[id(statement)] = (current, number)
    return order
