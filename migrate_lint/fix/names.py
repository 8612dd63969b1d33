"""unnamed-constraint's fix: the convention-style name Alembic's naming docs give, in the upgrade and
for the downgrade's drop_constraint(None, ...) of the same constraint."""

from __future__ import annotations

import hashlib
import re

import libcst as cst

from migrate_lint.finding import Finding
from migrate_lint.fix.plan import Plan
from migrate_lint.fix.source import NONE, CallSite, argument, literal, replace_argument, string

# The convention of the rule's docs (and Alembic's naming page): what `MetaData(naming_convention=...)`
# would have produced. A CHECK has no column of its own: its first column name stands in.
CONVENTION = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}
PREFIX = {"create_foreign_key": "fk", "create_unique_constraint": "uq", "create_check_constraint": "ck",
          "create_primary_key": "pk"}
DROP_TYPE = {"fk": "foreignkey", "uq": "unique", "ck": "check", "pk": "primary"}
MAX_LENGTH = {"postgresql": 63, "mysql": 64, "mariadb": 64}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SQL_WORDS = {"and", "or", "not", "is", "null", "in", "like", "between", "true", "false", "length", "lower",
             "upper", "coalesce", "char_length", "cast", "as"}


def truncated(name: str, dialect: str) -> str:
    """SQLAlchemy's rule for a convention name over the server's identifier limit."""
    limit = MAX_LENGTH.get(dialect)
    if limit is None or len(name) <= limit:
        return name
    return name[:limit - 8] + "_" + hashlib.md5(name.encode()).hexdigest()[-4:]


def table_of(site: CallSite, keyword: str = "table_name") -> str | None:
    if site.batch_table is not None and site.receiver != "op":
        return site.batch_table
    found = literal(argument(site.call, 1, keyword))
    return found if isinstance(found, str) else None


def convention_name(site: CallSite, dialect: str) -> str | None:
    """The name the convention gives the constraint this call creates, if its arguments are literals."""
    prefix = PREFIX.get(site.name)
    table = table_of(site, "source_table" if prefix == "fk" else "table_name")
    if prefix is None or table is None:
        return None
    shift = 0 if site.receiver == "op" else -1  # batch_op calls have no table argument
    values = {"table_name": table}
    if prefix == "fk":
        referent, columns = (literal(argument(site.call, 2 + shift, "referent_table")),
                             literal(argument(site.call, 3 + shift, "local_cols")))
        if not isinstance(referent, str) or not isinstance(columns, list) or not columns:
            return None
        values |= {"referred_table_name": referent, "column_0_name": columns[0]}
    elif prefix == "uq":
        columns = literal(argument(site.call, 2 + shift, "columns"))
        if not isinstance(columns, list) or not columns:
            return None
        values["column_0_name"] = columns[0]
    elif prefix == "ck":
        condition = literal(argument(site.call, 2 + shift, "condition"))
        words = [w for w in WORD.findall(condition) if w.lower() not in SQL_WORDS] \
            if isinstance(condition, str) else []
        if not words:
            return None
        values["column_0_name"] = words[0]
    return truncated(CONVENTION[prefix] % values, dialect)


def fix_unnamed_constraint(plan: Plan, finding: Finding) -> str | None:
    site = plan.source.site_at(finding.location.line, tuple(PREFIX))
    if site is None or literal(argument(site.call, 0, "constraint_name")) is not NONE:
        return None  # a drop_constraint(None, ...) alone: only the database knows the real name
    name = convention_name(site, plan.dialect)
    if name is None:
        return None
    quote = plan.source.quote
    plan.on(site).changes.append(
        lambda call: replace_argument(call, 0, "constraint_name", string(name, quote)))
    drop = _matching_drop(plan, site, PREFIX[site.name])
    if drop is not None:
        plan.on(drop).changes.append(
            lambda call: replace_argument(call, 0, "constraint_name", string(name, quote)))
    return f"name it {name}" + (" (in the downgrade too)" if drop else "")


def _matching_drop(plan: Plan, site: CallSite, prefix: str) -> CallSite | None:
    """The downgrade's first unclaimed drop_constraint(None, ...) on the same table and of the same type."""
    table = table_of(site, "source_table" if prefix == "fk" else "table_name")
    for drop in plan.source.calls("downgrade", ("drop_constraint",)):
        if id(drop.statement) in plan.claimed or \
                literal(argument(drop.call, 0, "constraint_name")) is not NONE:
            continue
        kind = literal(argument(drop.call, 2 if drop.receiver == "op" else 1, "type_"))
        if table_of(drop) == table and kind in (None, DROP_TYPE[prefix]):
            plan.claimed.add(id(drop.statement))
            return drop
    return None


def validate_statement(table: str, schema: object, name: str, quote: str, receiver: str) -> cst.With:
    """`ALTER TABLE ... VALIDATE CONSTRAINT ...` in an autocommit block: it runs after the NOT VALID
    constraint is committed, under a lock that lets writes through."""
    from migrate_lint.fix.source import autocommit, call_statement

    target = f"{identifier(schema)}.{identifier(table)}" if isinstance(schema, str) else identifier(table)
    sql = f"ALTER TABLE {target} VALIDATE CONSTRAINT {identifier(name)}"
    return autocommit([call_statement(f"{receiver}.execute({string(sql, quote).value})")], receiver)


def identifier(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'
