"""Whether a statement's table is already under ACCESS EXCLUSIVE from an earlier statement of the
same transaction. (A helper of the lock rules, not a rule.)

A lock is held until the transaction ends: once an ALTER TABLE has taken ACCESS EXCLUSIVE, a later
lock of the same revision on that table blocks nobody who was not already blocked, and the safe
form (CONCURRENTLY, NOT VALID) cannot help inside that transaction anyway.
"""

from __future__ import annotations

import re

from migrate_lint.revisions.migration import Migration, Statement
from migrate_lint.sql.rawddl import altered, renamed_to

# Kept as text, compiled by re on first use (most revisions never ask): see sql/rawddl.py.
# ALTER TABLE forms that take less than ACCESS EXCLUSIVE (SHARE ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE)
_WEAKER = (r"(?i)^(?:ADD\s+(?:CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY|VALIDATE\s+CONSTRAINT|"
           r"ALTER\s+(?:COLUMN\s+)?\S+\s+SET\s+STATISTICS|SET\s*\(|RESET\s*\(|CLUSTER\s+ON|"
           r"ATTACH\s+PARTITION|DETACH\s+PARTITION\s+\S+\s+CONCURRENTLY)")


def held_exclusively(migration: Migration, statement: Statement, table: str, transactional: bool) -> bool:
    """An earlier statement of this revision, with no commit in between, took ACCESS EXCLUSIVE on
    `table` (by this name, or by the name a RENAME TO gave it). Never when DDL is not transactional
    (env.py's transactional_ddl=False): each statement then commits and releases its locks."""
    if not transactional:
        return False
    names = {table.lower()}
    position = next((i for i, s in enumerate(migration.statements) if s is statement), None)
    if position is None or statement.autocommit:
        return False
    for earlier in reversed(migration.statements[:position]):
        if earlier.autocommit:  # an autocommit block committed: what was held before it is released
            return False
        alter = altered(earlier.sql)
        if alter is None:
            continue
        altered_table, action = alter
        if altered_table in names or renamed_to(action) in names:
            return not re.match(_WEAKER, action)
    return False


# an ALTER TABLE action that rewrites the table: a type change, or a column whose default is
# computed per row (nextval, a volatile function); the rewrite holds ACCESS EXCLUSIVE to commit
_REWRITES = (r"(?i)(?:^|,\s*)(?:ALTER\s+(?:COLUMN\s+)?\S+\s+(?:SET\s+DATA\s+)?TYPE\b|MODIFY\b|"
             r"ADD\s+(?:COLUMN\s+)?\S+\s+[^,]*\bDEFAULT\s+(?:nextval|gen_random_uuid|uuid_generate|random"
             r"|clock_timestamp)\b)")


def rewritten_earlier(migration: Migration, statement: Statement, table: str, transactional: bool) -> bool:
    """An earlier statement of the transaction rewrote `table` (held_exclusively, by a rewrite): the
    table is locked against every query until commit anyway, and NOT VALID or USING INDEX cannot
    shorten that inside the transaction; alter-column-type or volatile-default reports the rewrite."""
    if not held_exclusively(migration, statement, table, transactional):
        return False
    position = next((i for i, s in enumerate(migration.statements) if s is statement), 0)
    for earlier in migration.statements[:position]:
        alter = altered(earlier.sql)
        if alter is not None and alter[0] == table.lower() and re.search(_REWRITES, alter[1]):
            return True
    return False


_LOCK_TABLE = (r"(?is)^\s*LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?(?P<tables>[\w\".,\s]+?)"
               r"(?:\s+IN\s+[\w\s]+MODE)?\s*(?:NOWAIT)?\s*;?\s*$")


def locked_explicitly(migration: Migration, statement: Statement, table: str, transactional: bool) -> bool:
    """An earlier LOCK TABLE of the same transaction names `table`: the revision locks it on purpose
    (lock-table reports that), and what it does under the lock is part of that choice."""
    if not transactional or statement.autocommit:
        return False
    position = next((i for i, s in enumerate(migration.statements) if s is statement), None)
    for earlier in reversed(migration.statements[:position] if position is not None else ()):
        if earlier.autocommit:
            return False
        if (match := re.match(_LOCK_TABLE, earlier.sql)) and table.lower() in {
                name.strip().strip('"').rsplit(".", 1)[-1].lower() for name in match["tables"].split(",")}:
            return True
    return False
