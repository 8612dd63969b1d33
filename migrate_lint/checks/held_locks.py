"""Whether a statement's table is already under ACCESS EXCLUSIVE from an earlier statement of the
same transaction. (A helper of the lock rules, not a rule.)

A lock is held until the transaction ends: once an ALTER TABLE has taken ACCESS EXCLUSIVE, a later
lock of the same revision on that table blocks nobody who was not already blocked, and the safe
form (CONCURRENTLY, NOT VALID) cannot help inside that transaction anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from migrate_lint.checks.type_rewrites import kept_in_place
from migrate_lint.revisions.migration import Migration, Statement
from migrate_lint.sql.facts import VOLATILE
from migrate_lint.sql.rawddl import altered, dropped, renamed_to

# Kept as text, compiled by re on first use (most revisions never ask): see sql/rawddl.py.
# ALTER TABLE forms that take less than ACCESS EXCLUSIVE (SHARE ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE)
_WEAKER = (r"(?i)^(?:ADD\s+(?:CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY|VALIDATE\s+CONSTRAINT|"
           r"ALTER\s+(?:COLUMN\s+)?\S+\s+SET\s+STATISTICS|SET\s*\(|RESET\s*\(|CLUSTER\s+ON|"
           r"ATTACH\s+PARTITION|DETACH\s+PARTITION\s+\S+\s+CONCURRENTLY)")


def _earlier_in_transaction(migration: Migration, statement: Statement,
                            transactional: bool) -> Iterator[Statement]:
    """The statements before this one that ran in its transaction, nearest first: none when DDL is
    not transactional (env.py's transactional_ddl=False), and none before an autocommit block,
    which committed and released what was held before it."""
    position = next((i for i, s in enumerate(migration.statements) if s is statement), None)
    if not transactional or position is None or statement.autocommit:
        return
    for earlier in reversed(migration.statements[:position]):
        if earlier.autocommit:
            return
        yield earlier


def _later_in_transaction(migration: Migration, statement: Statement) -> Iterator[Statement]:
    """The statements after this one that run in its transaction, up to an autocommit block (the
    caller knows the statement is in a transaction)."""
    position = next((i for i, s in enumerate(migration.statements) if s is statement), None)
    if position is None:
        return
    for later in migration.statements[position + 1:]:
        if later.autocommit:
            return
        yield later


def in_one_transaction(migration: Migration, first: Statement, second: Statement,
                       transactional: bool) -> bool:
    """Both statements run in the same transaction: DDL is transactional and no autocommit block
    commits at either of them or between them."""
    if not transactional:
        return False
    at = [i for i, s in enumerate(migration.statements) if s is first or s is second]
    if len(at) != (1 if first is second else 2):
        return False
    return not any(s.autocommit for s in migration.statements[at[0]:at[-1] + 1])


def exclusive_holder(migration: Migration, statement: Statement, table: str,
                     transactional: bool) -> Statement | None:
    """The nearest earlier statement of the transaction that took ACCESS EXCLUSIVE on `table` (by this
    name, or by the name a RENAME TO gave it), which holds it until commit."""
    return next(_holders(migration, statement, table, transactional, index_drops=False), None)


def first_holder(migration: Migration, statement: Statement, table: str,
                 transactional: bool) -> Statement | None:
    """The earliest statement of the transaction before this one that took ACCESS EXCLUSIVE on
    `table`, a plain DROP INDEX of one of its indexes (its op.drop_index names the table) included:
    the lock has been held since, which is what a message names."""
    holders = list(_holders(migration, statement, table, transactional, index_drops=True))
    return holders[-1] if holders else None


def held_since(migration: Migration, statement: Statement, table: str, transactional: bool, work: str) -> str:
    """A message's ending where an earlier statement of the transaction has held ACCESS EXCLUSIVE on
    the table since (`work`: what this statement does under it, "build", "scan"); "" otherwise."""
    holder = first_holder(migration, statement, table, transactional)
    if holder is None:
        return ""
    return (f"; the {kind_of(holder)} at line {holder.line} has held ACCESS EXCLUSIVE on {table} since, "
            f"and the {work} makes it last longer")


_DROPS_CONSTRAINT = re.compile(r'(?i)^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?(?P<table>[\w".]+)\s+'
                               r'DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?(?P<name>[\w"]+)')


def referenced_held_since(migration: Migration, statement: Statement, table: str, name: str, referenced: str,
                          transactional: bool, named_by_code: bool = True) -> str:
    """A foreign key's message ending where the revision dropped this same key earlier in the
    transaction (to re-add it with another ON DELETE: invenio-oauth2server, rucio): the drop has
    held ACCESS EXCLUSIVE on the table the dropped key referenced (checked on PostgreSQL 15:
    pg_locks shows AccessExclusiveLock on both), so reads of it wait through this scan as well;
    "" otherwise. That table is the one downgrade() makes the key reference again, else, for a
    key the code names, the new key's `referenced`; a name the server chose says nothing of the
    old key (EPIC.track moves outcome_id from outcome_templates to outcome_configurations)."""
    for earlier in _earlier_in_transaction(migration, statement, transactional):
        drop = _DROPS_CONSTRAINT.match(earlier.sql)
        if drop and drop["table"].strip('"').rsplit(".", 1)[-1].lower() == table.lower() \
                and drop["name"].strip('"').lower() == name.lower():
            old = _old_referent(migration, name) or (referenced if named_by_code else "")
            if not old or old.lower() == table.lower():
                return ""
            return (f"; dropping it at line {earlier.line} took ACCESS EXCLUSIVE on {old} too, so "
                    f"every query on {old}, reads too, has waited since and waits through this scan")
    return ""


def _old_referent(migration: Migration, name: str) -> str | None:
    """The table downgrade() makes the key `name` reference again: the dropped key's. Not where the
    name is the one PostgreSQL gives a key of another column (<table>_<column>_fkey): mautrix's
    downgrade gives user_portal_user_fkey the portal columns, its other key's."""
    for op in migration.downgrade:
        if op.name == "create_foreign_key" and isinstance(given := op.arg(0, "constraint_name"), str) \
                and given.lower() == name.lower():
            batch = op.batch_table is not None
            old = op.arg(1 if batch else 2, "referent_table")
            source = op.batch_table if batch else op.arg(1, "source_table")
            columns = op.arg(2 if batch else 3, "local_cols")
            named = given.lower()
            if isinstance(source, str) and isinstance(columns, tuple | list) and columns and \
                    isinstance(columns[0], str) and named.startswith(f"{source.lower()}_") and \
                    named.endswith("_fkey") and named != f"{source}_{columns[0]}_fkey".lower():
                return None
            return old if isinstance(old, str) else None
    return None


def kind_of(statement: Statement) -> str:
    """What a message calls a holding statement: its first two words (ALTER TABLE, DROP INDEX)."""
    return " ".join(statement.sql.split()[:2]).upper()


def _holders(migration: Migration, statement: Statement, table: str, transactional: bool,
             index_drops: bool) -> Iterator[Statement]:
    """The earlier statements of the transaction that took ACCESS EXCLUSIVE on `table`, nearest first:
    an ALTER TABLE of it, or one that drops a foreign key referencing it (neurai drops mri_files'
    keys to users, then users' index: pg_locks shows AccessExclusiveLock on both tables)."""
    names = {table.lower()}
    for earlier in _earlier_in_transaction(migration, statement, transactional):
        if index_drops and _drops_index_of(migration, earlier, names):
            yield earlier
            continue
        alter = altered(earlier.sql)
        if alter is None:
            continue
        altered_table, action = alter
        if (altered_table in names or renamed_to(action) in names) and not re.match(_WEAKER, action):
            yield earlier  # a weaker lock taken later does not release the exclusive one before it
        elif (drop := _DROPS_CONSTRAINT.match(earlier.sql)) and \
                (_old_referent(migration, drop["name"].strip('"')) or "").lower() in names:
            yield earlier


def exclusive_next(migration: Migration, statement: Statement, table: str, transactional: bool) -> bool:
    """The statements right after this one in its transaction go on to take ACCESS EXCLUSIVE on
    `table` (an ALTER TABLE that is not one of the weaker forms, a DROP TABLE), with only other
    plain DROP INDEXes, or DDL that scans nothing, between: the lock is then held to commit from
    about the same moment whatever this statement takes (neurai drops mri_files' index, then its
    foreign keys)."""
    position = next((i for i, s in enumerate(migration.statements) if s is statement), None)
    if not transactional or position is None or statement.autocommit:
        return False
    name = table.lower()
    for later in migration.statements[position + 1:]:
        if later.autocommit:
            return False  # an autocommit block commits first: the lock taken before ends there
        alter = altered(later.sql)
        if alter is not None and alter[0] == name and not re.match(_WEAKER, alter[1]):
            return True
        if later.sql[:4].upper() == "DROP" and any(kind == "table" and gone == name
                                                   for kind, _, gone in dropped(later.sql)):
            return True
        if not _drops_index_of(migration, later, {name}) and not _QUICK_DDL.match(later.sql):
            return False  # other work first: the drop's lock would be held through it
    return False


# DDL that changes the catalog only, scanning and writing nothing: holding a lock through it adds
# a moment (cachito drops dependency's indexes, then the foreign keys that refer to it, then
# renames it)
_QUICK_DDL = re.compile(r"(?is)^\s*(?:DROP\s+INDEX\s+(?!CONCURRENTLY)[^;]*"
                        r"|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+\s+"
                        r"(?:DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?\S+(?:\s+CASCADE|\s+RESTRICT)?"
                        r"|RENAME\s[^,;]*"
                        r"|DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?\S+(?:\s+CASCADE)?))\s*;?\s*$")


def _drops_index_of(migration: Migration, statement: Statement, tables: set[str]) -> bool:
    """A DROP INDEX without CONCURRENTLY whose op.drop_index call names one of the tables."""
    if statement.sql[:10].upper() != "DROP INDEX" or "CONCURRENTLY" in statement.sql[:30].upper():
        return False
    return any(op.line == statement.line and op.name == "drop_index"
               and isinstance(table := op.table_at(1, "table_name"), str) and table.lower() in tables
               for op in migration.operations)


def held_exclusively(migration: Migration, statement: Statement, table: str, transactional: bool) -> bool:
    return exclusive_holder(migration, statement, table, transactional) is not None


def rewritten_earlier(migration: Migration, statement: Statement, table: str, transactional: bool,
                      dialect: str) -> bool:
    """An earlier statement of the transaction rewrote `table` (a type change, or a column added
    with a default that is a volatile call: what alter-column-type and volatile-default report): the table is
    locked against every query until commit anyway, and NOT VALID or USING INDEX cannot shorten
    that inside the transaction. A type change its existing_type= shows is made in place (a
    widened varchar, a non-native Enum's longer label, whose CHECK Alembic then adds again) is no
    rewrite: the scan that follows is the only long wait under that lock."""
    if not held_exclusively(migration, statement, table, transactional):
        return False
    table = table.lower()
    return any(_rewrites(migration, earlier, table, dialect)
               for earlier in _earlier_in_transaction(migration, statement, transactional))


def _rewrites(migration: Migration, earlier: Statement, table: str, dialect: str) -> bool:
    """The statement rewrites `table` (lower case): a type change not made in place, or a column
    added with a volatile default."""
    return (any(t == table and new_type is not None for t, _, _, new_type in earlier.facts.altered_columns)
            and not kept_in_place(migration, earlier, table, dialect)) \
        or any(t == table and default is not None and VOLATILE.match(default.strip())
               for t, _, _, default in earlier.facts.added_columns)


def held_through_long_work(migration: Migration, statement: Statement, table: str, transactional: bool,
                           dialect: str) -> bool:
    """`table` is under ACCESS EXCLUSIVE from an earlier statement of the transaction, and what runs
    under that lock, before this statement or after it, takes as long as a scan of every row: a
    rewrite, an UPDATE or DELETE of every row, a SET NOT NULL. Nothing queries the table until
    commit either way, and that statement's own finding reports the outage; one more scan under it
    changes no one's wait that those did not already set (warehouse's release_dependencies: filled,
    set NOT NULL, then given its foreign key; funnel's account: renamed, given a CHECK, then updated
    in full)."""
    if not held_exclusively(migration, statement, table, transactional):
        return False
    table = table.lower()
    return any(_rewrites(migration, other, table, dialect)
               or (other.facts.unfiltered is not None and other.facts.unfiltered[1] == table)
               or any(t == table and not_null for t, _, not_null, _ in other.facts.altered_columns)
               for other in [*_earlier_in_transaction(migration, statement, transactional),
                             *_later_in_transaction(migration, statement)])


def locked_explicitly(migration: Migration, statement: Statement, table: str, transactional: bool) -> bool:
    """An earlier LOCK TABLE of the transaction names `table`: the revision locks it on purpose
    (lock-table reports that), and what it does under the lock is part of that choice."""
    table = table.lower()
    return any(kind == "lock" and locked == table
               for earlier in _earlier_in_transaction(migration, statement, transactional)
               for kind, locked, _ in earlier.facts.blocking)
