"""drop-table: dropping a table that running code may still use."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, raw_drops, shown, sql_hit, upgrade_lines_before
from migrate_lint.revisions.migration import Call, Migration, Operation, Statement, Unknown

CODE = "ML202"
SCOPE = "revision"
# sqlalchemy-migrate's bookkeeping, dropped once Alembic took over (nova, heat): no release reads it
HANDED_OVER = frozenset({"migrate_version"})


def _after_drop(migration: Migration, index: int, table: str) -> str | None:
    """What the same revision does with the table after dropping it: "rebuilt" when it makes it
    again rows and all (the copy-and-swap: another table renamed to its name, or a new one filled by
    INSERT INTO ... SELECT, bulk_insert of rows read at run time, or objects a session adds): in one
    transaction, no one sees it gone and nothing is lost; "seeded" when it makes it again holding
    only rows the revision writes itself; "recreated" when it makes it again empty; None otherwise."""
    insert = re.compile(rf'^\s*INSERT\s+INTO\s+"?{re.escape(table)}"?\b.*\bSELECT\b',
                        re.IGNORECASE | re.DOTALL)
    created = seeded = False
    for op in migration.operations[index + 1:]:
        if op.name == "rename_table" and str(op.arg(1, "new_table_name")).lower() == table:
            return "rebuilt"
        if op.name == "create_table" and str(op.arg(0, "table_name")).lower() == table:
            created = True
            if _session_adds_after(migration, op.line):
                return "rebuilt"
        elif created and (_inserts_copy(op, insert) or _copies_into(op, table)):
            return "rebuilt"
        elif created and _seeds(op, table):
            seeded = True
    # INSERT ... SELECT sent otherwise than by op.execute (Kotti's DBSession.execute)
    if created and any(u.inserts(table) and u.kind != "seed" and u.position > index
                       for u in migration.updates):
        return "rebuilt"
    return ("seeded" if seeded else "recreated") if created else None


def _referenced(create: Operation) -> set[str]:
    """The tables a create_table's foreign keys refer to: sa.ForeignKey("t.c") in a column, or a
    ForeignKeyConstraint's "t.c" columns."""
    targets: list[object] = []
    for item in create.args[1:]:
        if isinstance(item, Call) and item.short == "Column":
            targets += [a.args[0] for a in item.args
                        if isinstance(a, Call) and a.short == "ForeignKey" and a.args]
        elif isinstance(item, Call) and item.short == "ForeignKeyConstraint" and len(item.args) > 1:
            targets += list(item.args[1]) if isinstance(item.args[1], tuple | list) else []
    # "schema.table.column": the table is the part before the column
    return {t.rsplit(".", 2)[-2].lower() for t in targets if isinstance(t, str) and "." in t}


def _recreated_parents(migration: Migration, index: int, table: str) -> list[str]:
    """The tables the re-created table's new foreign keys refer to that this revision also drops and
    creates again, empty (cyborg's new_db_schema: attributes refers to deployables, itself re-made
    to refer to a new devices table): the old rows cannot be copied back as they are."""
    operations = migration.operations
    create = next((op for op in operations[index + 1:] if op.name == "create_table"
                   and str(op.arg(0, "table_name")).lower() == table), None)
    if create is None:
        return []
    dropped = {str(op.arg(0, "table_name")).lower() for op in operations if op.name == "drop_table"}
    made = {str(op.arg(0, "table_name")).lower() for op in operations if op.name == "create_table"}
    return sorted(t for t in _referenced(create) if t != table and t in dropped & made)


def _seeds(op: Operation, table: str) -> bool:
    """Rows of the revision's own written into the re-created table: op.bulk_insert of a literal
    list (mistral writes its one maintenance_status row back), or INSERT ... VALUES."""
    if op.name == "bulk_insert":
        target = op.arg(0, "table")
        return isinstance(target, Unknown) or (isinstance(target, Call) and bool(target.args)
                                               and str(target.args[0]).lower() == table)
    sql = op.arg(0, "sqltext") if op.name == "execute" else None
    values = rf'(?is)^\s*INSERT\s+INTO\s+"?{re.escape(table)}"?\b.*\bVALUES\b'
    return isinstance(sql, str) and bool(re.match(values, sql))


def _inserts_copy(op: Operation, insert: re.Pattern[str]) -> bool:
    return op.name == "execute" and isinstance(sql := op.arg(0, "sqltext"), str) and bool(insert.search(sql))


def _copies_into(op: Operation, table: str) -> bool:
    """op.bulk_insert(t, rows) into the re-created table with rows computed at run time (read from
    the old table before the drop), not a literal list that seeds an empty one."""
    if op.name != "bulk_insert":
        return False
    target, rows = op.arg(0, "table"), op.arg(1, "rows")
    named = isinstance(target, Unknown) or (isinstance(target, Call) and bool(target.args)
                                            and str(target.args[0]).lower() == table)
    return named and isinstance(rows, Unknown)


# An ORM session filling the re-created table from data read at run time (meltano rebuilds `state`
# from its job history with session.add in a loop)
_SESSION_ADDS = re.compile(r"\.(?:add|add_all|merge|bulk_save_objects|bulk_insert_mappings)\(")


def _session_adds_after(migration: Migration, line: int) -> bool:
    """Objects added through a session after `line`, before the function that holds it ends."""
    following = []
    for text in migration.source.splitlines()[line:]:
        if text.startswith(("def ", "async def ")):
            break
        following.append(text)
    return bool(_SESSION_ADDS.search("\n".join(following)))


def _renamed_and_read(migration: Migration, index: int, table: str) -> bool:
    """The copy-and-swap the other way round: this revision renamed a table to this name, read its
    rows (the name appears beyond the rename and the drop), then drops it. No release ever used the
    name, and the rows were read before they went."""
    renamed = any(op.name == "rename_table" and str(op.arg(1, "new_table_name")).lower() == table
                  for op in migration.operations[:index])
    mentions = len(re.findall(rf"(?<![\w.]){re.escape(table)}(?!\w)", migration.source, re.IGNORECASE))
    return renamed and mentions > 2


def _only_when_empty(migration: Migration, line: int, table: str) -> bool:
    """Before the drop, upgrade() counts the table's rows and returns early (`SELECT COUNT(*) FROM t`,
    then `if n > 0: return`): the drop runs on an empty table only, so no data is lost."""
    body = "\n".join(upgrade_lines_before(migration, line))
    return bool(re.search(rf'COUNT\(\*\)\s+FROM\s+"?{re.escape(table)}"?\b', body, re.IGNORECASE)) and \
        re.search(r"^\s+return\b", body, re.MULTILINE) is not None


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for index, op in enumerate(migration.operations if "drop_table" in migration.names else ()):
        if op.name != "drop_table":
            continue
        table = op.arg(0, "table_name")
        after = _after_drop(migration, index, table.lower()) if isinstance(table, str) else None
        if isinstance(table, str) and (table.lower() in migration.created_before(op) or after == "rebuilt"
                                       or table.lower() in HANDED_OVER
                                       or _only_when_empty(migration, op.line, table.lower())
                                       or _renamed_and_read(migration, index, table.lower())):
            continue
        parents = _recreated_parents(migration, index, table.lower()) \
            if after == "recreated" and isinstance(table, str) else []
        yield at(op, shown(table), table=shown(table), parents=", ".join(parents),
                 variant="recreated_parents" if parents else after or "default")
    for statement, _, table in raw_drops(migration, "table", "drop_table"):  # DROP TABLE in op.execute()
        if table.lower() not in HANDED_OVER and not _renamed_into_place(migration, statement, table.lower()):
            yield sql_hit(statement, table, table=table)


def _renamed_into_place(migration: Migration, drop: Statement, table: str) -> bool:
    """After the DROP, the revision renames another table to this name (`ALTER TABLE t2 RENAME TO
    t`): the copy-and-swap in SQL, as koschei rebuilds applied_change; in one transaction no one
    sees the table gone."""
    after = migration.statements[migration.statements.index(drop) + 1:]
    return any(kind == "table" and new.lower() == table
               for statement in after for kind, _, _, new in statement.facts.renames)
