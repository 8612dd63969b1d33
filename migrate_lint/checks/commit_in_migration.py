"""commit-in-migration: a commit in the middle of upgrade() ends Alembic's transaction early."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from migrate_lint.checks import CheckContext, Hit, reads_only, shown
from migrate_lint.checks.mysql_non_transactional_ddl import is_ddl
from migrate_lint.checks.sync_enum_values import recreates_type
from migrate_lint.revisions.migration import Migration, Statement
from migrate_lint.revisions.pydata import read

CODE = "ML310"
SCOPE = "revision"


def _later_work(migration: Migration, line: int, function: str, calls: dict[str, int]) -> bool:
    """Whether an op.* call runs after a commit at `line` of `function` (a helper runs where
    upgrade() first calls it)."""
    at = line if function.startswith("upgrade") else calls.get(function)
    return any((op.function == function and op.line > line)
               or (at is not None and op.function.startswith("upgrade") and op.line > at)
               for op in migration.operations)


def _opens_autocommit_block(migration: Migration, line: int) -> bool:
    """Whether the next line of code after the commit enters `autocommit_block()`, which commits
    the transaction itself on entry: the commit before it changes nothing (warehouse's documented
    idiom for CREATE INDEX CONCURRENTLY); or turns the driver's autocommit on, which is that block
    written by hand (Phoenix's env.py begins its own transaction, where autocommit_block() fails,
    so its revisions commit and set `dbapi_connection.autocommit = True` for a concurrent build)."""
    for text in migration.source.splitlines()[line:]:
        code = text.strip()
        if code and not code.startswith("#"):
            return (code.startswith("with ") and "autocommit_block(" in code) or \
                re.match(_AUTOCOMMIT_ON, code) is not None
    return False


_AUTOCOMMIT_ON = r"[\w.]+\.autocommit\s*=\s*True\b"


def keyword_only(statement: Statement) -> str:
    """"BEGIN" or "COMMIT" for a statement that is only that keyword; "" for any other."""
    sql = statement.sql.strip().rstrip(";").upper()
    return sql if sql in ("BEGIN", "COMMIT") else ""


def own_executes(migration: Migration) -> set[int]:
    """The lines of the revision's op.execute() calls outside autocommit blocks: a COMMIT there is
    the revision's own, not the one an autocommit_block() emits at its `with` line."""
    return {op.line for op in migration.operations if op.name == "execute" and not op.autocommit}


def _changes(statement: Statement) -> bool:
    """The statement changes something a later failure could leave half done: not a COMMIT or BEGIN,
    a SET, or a SELECT that only reads (notification-api asks pg_indexes before its concurrent build)."""
    return not keyword_only(statement) and not reads_only(statement.sql)


def _outside_anyway(after: list[Statement]) -> bool:
    """What follows the revision's first statement, a COMMIT, is one step, or only statements that
    must run outside a transaction (CREATE / DROP INDEX CONCURRENTLY): h's and lms's idiom, which
    commits only earlier revisions, whole, and runs the rest as an autocommit block would."""
    return len(after) == 1 or all(s.facts.index and s.facts.index[3] for s in after)


# PostgreSQL refuses a new enum value in the transaction that added it ("unsafe use of new value"):
# the COMMIT after it is there so that the statements after it can use the value (contentdb)
_ADDS_ENUM_VALUE = re.compile(r"(?is)^\s*ALTER\s+TYPE\s+\S+\s+ADD\s+VALUE\b")


_WRITES = re.compile(r'(?i)^\s*(?:UPDATE\s+(?:ONLY\s+)?|DELETE\s+FROM\s+(?:ONLY\s+)?|INSERT\s+INTO\s+)'
                     r'(?:[\w"]+\.)?"?(?P<table>\w+)"?')


def _written_then_altered(before: Sequence[Statement], after: list[Statement]) -> bool:
    """The first change after the COMMIT alters a table the revision wrote rows of before it: the
    COMMIT is then how PostgreSQL's "cannot ALTER TABLE ... because it has pending trigger events"
    was got past (deferred foreign-key checks the writes queued: bitcart's invoices), which SET
    CONSTRAINTS ALL IMMEDIATE gets past inside the transaction."""
    from migrate_lint.sql.rawddl import altered

    alter = altered(after[0].sql)
    return alter is not None and any(
        (write := _WRITES.match(s.sql)) is not None and write["table"].lower() == alter[0].lower()
        for s in before)


def _next_to_enum_value(last_before: Statement | None, after: list[Statement]) -> bool:
    """The statement that changed something last before the COMMIT, or the first after it, adds an
    enum value: the COMMIT lets what follows use the value, or, before PostgreSQL 12, which refuses
    ADD VALUE in a transaction block, lets it run at all (cuckoo's)."""
    return any(_ADDS_ENUM_VALUE.match(s.sql) is not None for s in (last_before, *after[:1]) if s is not None)


# a statement that a rerun after a failure passes over where it already ran (SurfSense's
# ALTER TYPE ... ADD VALUE IF NOT EXISTS after the COMMIT that opens its revision)
_IDEMPOTENT = re.compile(r"(?i)\bIF\s+(?:NOT\s+)?EXISTS\b")


def _may_fail_quietly(migration: Migration, line: int) -> bool:
    """The statement at `line` runs in a `try:` whose handler goes on without raising (bodhi's
    `SHOW bdr.permit_ddl_locking`, which fails on a server without BDR): a failure inside Alembic's
    transaction would abort it, which the COMMIT before it avoids by leaving the transaction."""
    from migrate_lint.revisions.facts import parse

    for node in ast.walk(parse(migration.source)):
        if isinstance(node, ast.Try) and node.handlers and \
                node.body[0].lineno <= line <= (node.body[-1].end_lineno or node.lineno) and \
                not any(isinstance(n, ast.Raise) for handler in node.handlers for n in ast.walk(handler)):
            return True
    return False


def _each_guarded(migration: Migration, after: list[Statement]) -> bool:
    """Every statement after the COMMIT sits under an `if` that asks the database first (iris-web's
    `if not _table_has_column(...)`): a step that fails leaves the ones before it applied, and
    running the upgrade again skips them, so nothing is left half done."""
    from migrate_lint.revisions.facts import parse

    guarded: list[range] = []
    for node in ast.walk(parse(migration.source)):
        if isinstance(node, ast.If) and not node.orelse \
                and any(isinstance(n, ast.Call) for n in ast.walk(node.test)):
            guarded.append(range(node.body[0].lineno, (node.body[-1].end_lineno or node.lineno) + 1))
    return all(any(s.line in lines for lines in guarded) for s in after)


def _commits_anyway(migration: Migration, ctx: CheckContext) -> bool:
    """On MySQL a revision that runs DDL is never one transaction: each DDL statement commits on its
    own (mysql-non-transactional-ddl says so), and a commit() of its own takes nothing more away."""
    return ctx.mysql and any(is_ddl(s.sql) for s in migration.statements)


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    if _commits_anyway(migration, ctx):
        return
    data = read(migration.source)
    calls = dict(data.calls) if data.commits else {}
    for line, column, function, kind in data.commits:
        if kind == "default" and _opens_autocommit_block(migration, line):
            continue
        if _later_work(migration, line, function, calls):
            yield Hit(line, f"commit:{line}", {"variant": kind}, column)
    for op in migration.operations if "sync_enum_values" in migration.names else ():
        # alembic-autogenerate-enums adds the values after a COMMIT on the migration's connection
        if op.name == "sync_enum_values" and not recreates_type(op, ctx) \
                and _later_work(migration, op.line, op.function, calls):
            fields = {"variant": "enum_sync", "enum": shown(op.arg(1, "name"))}
            yield Hit(op.line, f"commit:{op.line}", fields, op.column, op.end_line)
    if "execute" not in migration.names:
        return  # a COMMIT that ends the transaction comes from op.execute()
    # op.execute("COMMIT"), not the COMMIT an autocommit_block() emits at its `with` line
    executes = own_executes(migration)
    work = [_changes(s) for s in migration.statements]
    for index, statement in enumerate(migration.statements):
        if keyword_only(statement) != "COMMIT" or statement.line not in executes:
            continue
        after = [s for s, counts in zip(migration.statements[index + 1:], work[index + 1:], strict=True)
                 if counts]
        first = not any(work[:index])
        if after and not (first and (_outside_anyway(after) or _each_guarded(migration, after)
                                     or all(_IDEMPOTENT.search(s.sql) for s in after))):
            last_before = next((s for s, counts in zip(reversed(migration.statements[:index]),
                                                       reversed(work[:index]), strict=True) if counts), None)
            variant = "sql"
            if _next_to_enum_value(last_before, after):
                variant = "sql_enum_value"
            elif _written_then_altered(migration.statements[:index], after):
                variant = "sql_pending_triggers"
            elif index + 1 < len(migration.statements) and \
                    _may_fail_quietly(migration, migration.statements[index + 1].line):
                variant = "sql_probe"
            yield Hit(statement.line, f"commit:{statement.line}", {"variant": variant}, statement.column,
                      statement.end_line)
