"""update-without-where: an UPDATE with no WHERE touches, and locks, every row of the table."""

import re
from collections.abc import Iterator
from dataclasses import replace

from migrate_lint.checks import CheckContext, Hit, unfiltered
from migrate_lint.revisions.migration import ANY_COLUMN, DataUpdate, Migration, Statement
from migrate_lint.revisions.pydata import read

CODE = "ML304"
SCOPE = "revision"


def _python(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    """UPDATEs that only Python runs (Core `t.update()` with no where(), `conn.execute(text(...))`):
    a render sees them as SQL, so they are read from the code only where it did not render (all of
    upgrade(), or the lines after a partial render stopped)."""
    data = read(migration.source)
    if not data.unfiltered and not data.texts:
        return  # most revisions: no UPDATE that Python runs
    from migrate_lint.sql.facts import facts_of

    created = {t for op in migration.operations if op.name == "create_table"
               for t in op.args[:1] if isinstance(t, str)}
    rendered = {s.line for s in migration.statements if s.sql[:6].upper() == "UPDATE"}
    for line, column, table in data.unfiltered:
        if table not in created and line not in rendered and line not in migration.elsewhere:
            yield Hit(line, table, {"table": table}, column)
    for line, column, sql in data.texts:
        fact = facts_of(sql, ctx.dialect).unfiltered if "UPDATE" in sql.upper() else None
        if fact and fact[0] == "UPDATE" and fact[1] not in created and line not in rendered \
                and line not in migration.elsewhere:
            yield Hit(line, fact[1], {"table": fact[1]}, column)


def _reported_as_added_and_filled(migration: Migration, ctx: CheckContext) -> set[int]:
    """Lines of UPDATEs that fill only columns set-not-null-scans-table (ML121) reports as added,
    filled and set NOT NULL in one transaction: its finding names this UPDATE and the lock it runs
    under (the ADD COLUMN's ACCESS EXCLUSIVE, which already covers every row), so one finding per risk."""
    if not migration.updates or not ctx.reports("ML121", migration.path):
        return set()
    from migrate_lint.checks import set_not_null_scans_table

    reported = {(hit.fields["table"].lower(), hit.fields["column"].lower())
                for hit in set_not_null_scans_table.check(migration, ctx)
                if hit.fields.get("variant", "").startswith("same_transaction")}
    return {line for u in migration.updates if reported and u.kind == "update" and u.columns
            and ANY_COLUMN not in u.columns
            and all((u.table.lower(), c.lower()) in reported for c in u.columns)
            for line in (u.line, _call_line(migration, u))}


def _call_line(migration: Migration, update: DataUpdate) -> int:
    """The line of the call that runs an UPDATE, where findings are placed: the call its string is
    written in (`op.execute(sa.text(\n"UPDATE ..."))`), else the next call (`query = "UPDATE ..."`
    on the line above `op.execute(query)`)."""
    operations = migration.operations
    around = next((op.line for op in operations if op.line <= update.line <= op.end_line), None)
    if around is not None:
        return around
    return operations[update.position].line if update.position < len(operations) else update.line


def _filling_a_new_column(migration: Migration, ctx: CheckContext, hit: Hit) -> Hit:
    """The UPDATE writes one literal into a column this revision added: on PostgreSQL 11+ the column
    added with that server default is filled without touching a row, and without this UPDATE
    running under the ADD COLUMN's ACCESS EXCLUSIVE lock."""
    if not ctx.postgresql or ctx.postgresql_version < 11:
        return hit
    statement = _update_at(migration, hit.line)
    from migrate_lint.sql.writes import constant_update

    found = constant_update(statement.sql, migration.source) if statement is not None else None
    if found is None:
        return hit
    _, column, value = found
    at = next((i for i, op in enumerate(migration.operations) if op.line == hit.line),
              len(migration.operations))
    if (hit.fields["table"].lower(), column.lower()) not in migration.columns_added_before(at):
        return hit
    return replace(hit, fields={**hit.fields, "column": column, "literal": repr(value),
                                "variant": "new_column"})


def _update_at(migration: Migration, line: int) -> Statement | None:
    """The UPDATE statement a finding at `line` reports."""
    return next((s for s in migration.statements if s.line == line and s.sql[:6].upper() == "UPDATE"), None)


# `SET status = status + 1`, `SET n = (t.n * 2)`: each row's new value computed from its old one
_FROM_ITSELF = re.compile(r'\bSET\s+(?:[\w"]+\.)?"?(\w+)"?\s*=\s*\(?\s*(?:[\w"]+\.)?"?\1"?\s*[-+*/|]',
                          re.IGNORECASE)


def _from_itself(migration: Migration, hit: Hit) -> Hit:
    """An UPDATE that computes a column from its own value must touch each row exactly once:
    batches of 'rows that still need it' cannot tell them, and the running release reads the new
    values as soon as it commits (boxoffice renumbers its enums with status + 1)."""
    if hit.fields.get("variant", "default") != "default":
        return hit
    statement = _update_at(migration, hit.line)
    match = _FROM_ITSELF.search(statement.sql) if statement is not None else None
    if match is None:
        return hit
    return replace(hit, fields={**hit.fields, "column": match[1], "variant": "from_itself"})


SINGLETON_AFTER = 2  # earlier revisions that set the whole table to a literal


def _singleton(migration: Migration, ctx: CheckContext, hit: Hit) -> Hit:
    """A literal written into every row of a table that earlier revisions of the history set whole
    the same way, release after release (xivo's `UPDATE infos SET wazo_version = '26.01'`): a table
    the history only ever sets whole is a one-row table of versions or settings, not data."""
    if hit.fields.get("variant", "default") != "default":
        return hit
    statement = _update_at(migration, hit.line)
    from migrate_lint.sql.writes import constant_update

    if statement is None or constant_update(statement.sql) is None:
        return hit
    table = hit.fields["table"].lower()
    earlier = 0
    for ancestor in ctx.ancestors(migration):
        if any(s.sql[:6].upper() == "UPDATE" and (found := constant_update(s.sql)) is not None
               and found[0].lower() == table for s in ancestor.statements):
            earlier += 1
            if earlier == SINGLETON_AFTER:
                return replace(hit, fields={**hit.fields, "revisions": str(earlier), "variant": "singleton"})
    return hit


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    hits = [_singleton(migration, ctx, _from_itself(migration, _filling_a_new_column(migration, ctx, hit)))
            for hit in unfiltered(migration, ctx, "UPDATE")]
    if not migration.rendered:
        hits += _python(migration, ctx)
    covered = _reported_as_added_and_filled(migration, ctx) if hits else set()
    yield from (hit for hit in hits if hit.line not in covered)
