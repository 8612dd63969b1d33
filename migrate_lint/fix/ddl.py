"""Fixes for lock rules on PostgreSQL: concurrent index builds and drops, NOT VALID constraints validated
apart, SET NOT NULL proven by a CHECK first, and a lock_timeout at the start of upgrade()."""

from __future__ import annotations

from migrate_lint.checks.timescale import MARK as HYPERTABLE
from migrate_lint.finding import Finding
from migrate_lint.fix.names import identifier, truncated, validate_statement
from migrate_lint.fix.plan import Plan
from migrate_lint.fix.source import (
    CallSite,
    add_keyword,
    argument,
    call_statement,
    literal,
    string,
)
from migrate_lint.lint.env_help import BLOCK_FAILS
from migrate_lint.lint.pins import AUTOCOMMIT, NOT_VALID

# index call -> the call that undoes it in the downgrade
INVERSE = {"create_index": "drop_index", "drop_index": "create_index"}


def _concurrently(plan: Plan, site: CallSite) -> None:
    edit = plan.on(site)
    edit.changes.append(lambda call: add_keyword(call, "postgresql_concurrently", "True"))
    edit.autocommit = not site.in_autocommit
    plan.claimed.add(id(site.statement))


def fix_index(plan: Plan, finding: Finding) -> str | None:
    """create-index-not-concurrently and drop-index-not-concurrently: the op.* call (never a batch_op
    one, which runs inside the batch) built or dropped concurrently, and its inverse in the downgrade."""
    if HYPERTABLE in (finding.help or ""):
        return None  # CONCURRENTLY fails on a hypertable, and the table may be one
    if finding.variant == "configured":
        return None  # the revision decides at run time, from a setting the project documents
    names = ("create_index",) if finding.code == "ML101" else ("drop_index",)
    site = plan.source.site_at(finding.location.line, names)
    if site is None or site.receiver != "op" or id(site.statement) in plan.claimed \
            or _lacks_autocommit(finding):
        return None
    index = literal(argument(site.call, 0, "index_name"))
    if _dropped_and_built(plan, site.function, index):
        return None  # half of the pair in an autocommit block commits the drop: a window without the index
    _concurrently(plan, site)
    inverse = next((s for s in plan.source.calls("downgrade", (INVERSE[site.name],))
                    if s.receiver == "op" and isinstance(index, str) and id(s.statement) not in plan.claimed
                    and literal(argument(s.call, 0, "index_name")) == index), None)
    if inverse is not None:
        _concurrently(plan, inverse)
    return "concurrently, in an autocommit block" + (" (the downgrade too)" if inverse else "")


def _lacks_autocommit(finding: Finding) -> bool:
    """autocommit_block(), which the fix would write, cannot run here: the project pins an Alembic
    older than it, or its env.py begins a transaction of its own, inside which the block fails
    (Phoenix)."""
    return AUTOCOMMIT.missing in (finding.help or "") or BLOCK_FAILS in (finding.help or "")


def _dropped_and_built(plan: Plan, function: str, index: object) -> bool:
    """The function both drops and creates an index of this name (a rebuild, or a redefinition)."""
    def named(call: str) -> bool:
        return any(literal(argument(s.call, 0, "index_name")) == index
                   for s in plan.source.calls(function, (call,)))
    return isinstance(index, str) and named("drop_index") and named("create_index")


def fix_not_valid(plan: Plan, finding: Finding) -> str | None:
    """add-foreign-key- and add-check-constraint-without-not-valid: NOT VALID, then VALIDATE apart."""
    names = ("create_foreign_key",) if finding.code == "ML104" else ("create_check_constraint",)
    site = plan.source.site_at(finding.location.line, names)
    if site is None or site.receiver != "op" or site.in_autocommit \
            or NOT_VALID.missing in (finding.help or "") or _lacks_autocommit(finding):
        return None  # (an SQLAlchemy the project pins below 1.4.32 refuses postgresql_not_valid)
    edit = plan.on(site)
    call = site.call
    for change in edit.changes:  # a name the unnamed-constraint fix gives it counts
        call = change(call)
    name = literal(argument(call, 0, "constraint_name"))
    foreign = finding.code == "ML104"
    table = literal(argument(call, 1, "source_table" if foreign else "table_name"))
    schema = literal(argument(call, 10_000, "source_schema" if foreign else "schema"))
    if not isinstance(name, str) or not isinstance(table, str):
        return None
    quote = plan.source.quote
    edit.changes.append(lambda call: add_keyword(call, "postgresql_not_valid", "True"))
    edit.after.append(lambda call: [validate_statement(table, schema, name, quote, site.receiver)])
    return "NOT VALID, then VALIDATE CONSTRAINT in an autocommit block"


def fix_set_not_null(plan: Plan, finding: Finding) -> str | None:
    """set-not-null-without-backfill (unsafe: it commits what came before and fails while NULLs remain):
    a CHECK (column IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL (PostgreSQL 12+ trusts the CHECK and
    skips the scan), then drop the CHECK."""
    site = plan.source.site_at(finding.location.line, ("alter_column",))
    if site is None or site.receiver != "op" or site.in_autocommit or _lacks_autocommit(finding):
        return None
    table = literal(argument(site.call, 0, "table_name"))
    column = literal(argument(site.call, 1, "column_name"))
    schema = literal(argument(site.call, 10_000, "schema"))
    if not isinstance(table, str) or not isinstance(column, str):
        return None
    name = truncated(f"ck_{table}_{column}_not_null", plan.dialect)
    if name in plan.source.text:
        return None  # the revision stages its own CHECK already: a second one by that name would fail
    quote, receiver = plan.source.quote, site.receiver
    schema_arg = f", schema={string(schema, quote).value}" if isinstance(schema, str) else ""
    create = call_statement(
        f"{receiver}.create_check_constraint({string(name, quote).value}, {string(table, quote).value}, "
        f"{string(identifier(column) + ' IS NOT NULL', quote).value}{schema_arg}, postgresql_not_valid=True)")
    drop = call_statement(f"{receiver}.drop_constraint({string(name, quote).value}, "
                          f"{string(table, quote).value}{schema_arg}, type_={string('check', quote).value})")
    edit = plan.on(site)
    edit.before.append(lambda call: [create, validate_statement(table, schema, name, quote, receiver)])
    edit.after.append(lambda call: [drop])
    return "CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK"


def fix_lock_timeout(plan: Plan, finding: Finding) -> str | None:
    """missing-lock-timeout: `SET LOCAL lock_timeout` first in upgrade(), for this transaction only."""
    if "upgrade" not in plan.source.functions or "upgrade" in plan.prepend:
        return None
    timeout = plan.lock_timeout.replace("'", "")
    sql = string(f"SET LOCAL lock_timeout = '{timeout}'", plan.source.quote).value
    statement = call_statement(f"op.execute({sql})")
    plan.prepend["upgrade"] = [statement]
    return f"SET LOCAL lock_timeout = '{timeout}' first"

