"""drop-column: dropping a column that running code may still read."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, raw_drops, shown, sql_hit, upgrade_lines_before
from migrate_lint.checks.rename_table import Renamed
from migrate_lint.checks.written import value_code
from migrate_lint.revisions.coltypes import (
    downgrade_operations,
    from_operations,
    known_required,
    old_type,
    other_kind,
    type_name,
    value_kind,
)
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref

CODE = "ML201"
SCOPE = "revision"


def _swapped_in_after(migration: Migration, ctx: CheckContext, index: int, table: str, column: str
                      ) -> tuple[str, int] | None:
    """(column, position of its rename) where the same revision renames another column of the
    table, filled by an UPDATE of this revision or of an earlier one, to the dropped one's name
    (the copy-and-swap that changes a column's type; EPIC.submit copies status into
    aggregated_item_statuses one revision before the swap): running code finds the column it
    reads, with its values, and rename-column reports the rename of a column it used."""
    for position, op in enumerate(migration.operations[index + 1:], index + 1):
        if op.name == "alter_column" and str(op.kwargs.get("new_column_name", "")).lower() == column:
            owner, rest = op.table_and_rest()
            source = op.kwargs.get("column_name", rest[0] if rest else None)
            if str(owner).lower() == table and isinstance(source, str) and \
                    any(update.fills(table, source) for earlier in (migration, *ctx.ancestors(migration))
                        for update in earlier.updates):
                return source, position
    return None


def _swapped_kinds(migration: Migration, ctx: CheckContext, drop: Operation, table: str, column: str,
                   source: str, rename: int) -> tuple[str, str] | None:
    """(old type, new type) where the column swapped in is one this revision added, of another kind
    of value than the dropped one (ooni's asns, JSON made ARRAY(String) by a scratch column): the
    previous release still reads and writes the name as the old kind, and no rename-column finding
    says so (the scratch column is new)."""
    if (table, source.lower()) not in migration.columns_added_before(rename):
        return None
    new = next((spec.type_name for op, added_to, spec in migration.added_columns()
                if added_to.lower() == table and isinstance(spec.name, str)
                and spec.name.lower() == source.lower()), "")
    old = type_name(old_type(migration, ctx.ancestors(migration), table, column, drop.line))
    return (old, new) if other_kind(old, new) else None


def _copied_before(migration: Migration, index: int, table: str, column: str) -> bool:
    """Before the drop, this revision writes values read from the dropped column into another one:
    an UPDATE of the table, an UPDATE ... FROM it or = (SELECT ...) of it, an INSERT ... SELECT
    from it. Its values move, they are not lost. An INSERT of literal VALUES, or an UPDATE of
    constants, copies nothing; where the SQL was not read (Core or ORM updates in Python), an
    update of another column of the table with code that names the dropped one counts."""
    drop_line = migration.operations[index].line
    earlier = [u for u in migration.updates if u.position <= index and u.line < drop_line]
    renames = _renames_before(migration, index, table)
    if any(u.copies(table, _name_at(renames, u.position, column)) for u in earlier):
        return True
    if not any(u.reads is None and u.fills_other(table, column) for u in earlier):
        return False
    reads = re.compile(rf"\b{re.escape(column)}\b(?!\s*=[^=])", re.IGNORECASE)  # read, not assigned
    return any(reads.search(line) for line in upgrade_lines_before(migration, drop_line)
               if "drop_column" not in line)


def _renames_before(migration: Migration, index: int, table: str) -> list[tuple[int, str, str]]:
    """(operation index, old name, new name) of the table's columns renamed before the drop."""
    found = []
    for step, op in enumerate(migration.operations[:index]):
        if op.name == "alter_column" and isinstance(new := op.kwargs.get("new_column_name"), str):
            owner, rest = op.table_and_rest()
            old = op.kwargs.get("column_name", rest[0] if rest else None)
            if isinstance(owner, str) and owner.lower() == table and isinstance(old, str):
                found.append((step, old.lower(), new.lower()))
    return found


def _name_at(renames: list[tuple[int, str, str]], position: int, column: str) -> str:
    """The name the dropped column had when `position` operations had run: the copy-and-swap
    renames it out of the way (status to old_status) after copying it, before dropping it."""
    for step, old, new in reversed(renames):
        if step >= position and new == column:
            column = old
    return column


# pairs PostgreSQL has no cast between: ALTER COLUMN ... TYPE cannot keep the values without USING
_NO_CAST = ({"integer", "uuid"}, {"integer", "datetime"}, {"uuid", "datetime"})


def _retyped(migration: Migration, ctx: CheckContext, drop: Operation, table: str, column: str
             ) -> tuple[str, str, str] | None:
    """(old type, new type, variant) where the column is added back as another kind of value.
    "retyped": a type its values have no cast to on PostgreSQL (an integer key made a UUID, augur's
    cntrb_id; a timestamp made an integer, rally's start_time as its TimeStamp type's BigInteger),
    so it cannot be changed in place and the help must not say to. "rekinded": a cast exists, but
    the values mean something else in the new kind (zeus's artifact.type, integer codes made MIME
    type names), so keeping them is no help either. None otherwise."""
    added = next(((op, spec) for op, added_to, spec in migration.added_columns()
                  if op.line > drop.line and added_to.lower() == table and isinstance(spec.name, str)
                  and spec.name.lower() == column), None)
    new = added[1].type_name if added else ""
    # a type of the project's own is what its TypeDecorator renders (rally's TimeStamp, a BigInteger)
    impl = ctx.project_type(migration, _written_type(added[0])) if added else None
    new = impl.short if isinstance(impl, Call | Ref) else new
    old = type_name(old_type(migration, ctx.ancestors(migration), table, column, drop.line))
    if value_kind(old) is None:  # what the downgrade adds back (zeus's project Enum: an INTEGER there)
        old = type_name(from_operations(downgrade_operations(migration.source), table, column)) or old
    if {value_kind(old), value_kind(new)} in _NO_CAST:
        return old, new, "retyped"
    return (old, new, "rekinded") if other_kind(old, new) else None


def _written_type(add_column: Operation) -> Call | Ref | None:
    """The type the add_column's sa.Column is given, as written (`sa_types.TimeStamp`)."""
    rest = add_column.table_and_rest()[1]
    column = add_column.kwargs.get("column", rest[0] if rest else None)
    kind = column.args[1] if isinstance(column, Call) and len(column.args) > 1 else \
        column.kwargs.get("type_") if isinstance(column, Call) else None
    return kind if isinstance(kind, Call | Ref) else None


def _kept_through(migration: Migration, drop: Operation, table: str, column: str) -> bool:
    """The revision reads the column's values before it drops it (a SELECT of it, in the code
    above the drop) and fills the column it adds again after: cuckoo reads each machine's
    resultserver_port, re-adds it as an integer and writes each value back."""
    above = "\n".join(migration.source.splitlines()[:drop.line - 1])
    selected = rf"(?is)\bSELECT\b[^;'\"]*\b{re.escape(column)}\b[^;'\"]*\bFROM\s+[\"`]?{re.escape(table)}\b"
    reads = re.search(selected, above)
    index = migration.operations.index(drop)
    return reads is not None and any(u.fills(table, column) and u.position > index for u in migration.updates)


def _default_again(migration: Migration, index: int, table: str, column: str) -> str | None:
    """The server default the column comes back with, as SQL (poprox re-adds placebo_id with
    gen_random_uuid(): every row gets a new value, not none); None where it has none."""
    for op, added_to, spec in migration.added_columns():
        if migration.operations.index(op) > index and added_to.lower() == table and \
                isinstance(spec.name, str) and spec.name.lower() == column:
            value = spec.server_default
            if isinstance(value, Call) and value.short == "text" and value.args and \
                    isinstance(value.args[0], str):
                return value.args[0]
            if value is None:
                return None
            return f"'{value}'" if isinstance(value, str) else "it was given"
    return None


def _computed_again(migration: Migration, index: int, table: str, column: str) -> bool:
    """The column comes back as a generated one (`sa.Computed(...)`): the server computes it for
    every row, so nothing is lost, and no ALTER turns a plain column into a generated one in
    place (rag-of-all-trades makes its tsvector a GENERATED ALWAYS AS (...) STORED column)."""
    for op, added_to, spec in migration.added_columns():
        if migration.operations.index(op) > index and added_to.lower() == table and \
                isinstance(spec.name, str) and spec.name.lower() == column:
            rest = op.table_and_rest()[1]
            added = op.kwargs.get("column", rest[0] if rest else None)
            return isinstance(added, Call) and any(isinstance(a, Call) and a.short == "Computed"
                                                   for a in added.args)
    return False


CONTRACT_WITHIN = 10  # revisions back: a column made nullable long before says nothing of this drop


def _made_nullable_before(migration: Migration, ctx: CheckContext, table: object, column: object
                          ) -> str | None:
    """The recent earlier revision whose last change of the column made it nullable, the expand step
    that lets a release stop writing it before a later one drops it (GOV.UK Notify's
    0258_service_postage_nullable, then 0259_remove_service_postage); None otherwise."""
    if not isinstance(table, str) or not isinstance(column, str):
        return None
    table, column = table.lower(), column.lower()
    for number, ancestor in enumerate(ctx.ancestors(migration)):
        if number == CONTRACT_WITHIN:
            return None
        for op in reversed(ancestor.operations):
            if _column(op) != (table, column):
                continue
            if op.name == "alter_column" and op.kwargs.get("nullable") is True:
                return ancestor.revision.id
            return None  # its last change was another one
    return None


def _column(op: Operation) -> tuple[str, str] | None:
    """(table, column) an alter_column, add_column or drop_column works on, in lower case."""
    if op.name not in ("alter_column", "drop_column", "add_column"):
        return None
    table, rest = op.table_and_rest()
    if op.name == "add_column":
        added = op.kwargs.get("column", rest[0] if rest else None)
        name = added.arg(0, "name") if isinstance(added, Call) else None
    else:
        name = op.kwargs.get("column_name", rest[0] if rest else None)
    return (table.lower(), name.lower()) if isinstance(table, str) and isinstance(name, str) else None


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    renamed: Renamed | None = None  # the tables rename-table reports renamed: read at the first drop
    for index, op in enumerate(migration.operations if "drop_column" in migration.names else ()):
        if op.name != "drop_column":
            continue
        table, rest = op.table_and_rest()
        column = op.kwargs.get("column_name", rest[0] if rest else None)
        if isinstance(table, str) and table.lower() in migration.created_before(op):
            continue
        if isinstance(table, str) and isinstance(column, str) and \
                (table.lower(), column.lower()) in migration.columns_added_before(op):
            continue  # added earlier in this revision: no running code reads it yet
        swapped = _swapped_in_after(migration, ctx, index, table.lower(), column.lower()) \
            if isinstance(table, str) and isinstance(column, str) else None
        if swapped is not None:
            kinds = _swapped_kinds(migration, ctx, op, table.lower(), column.lower(), *swapped)  # type: ignore[union-attr]
            if kinds is not None:
                yield at(op, f"{shown(table)}.{shown(column)}", table=shown(table), column=shown(column),
                         old=kinds[0], new=kinds[1], source=swapped[0], variant="swapped")
            continue
        if isinstance(table, str) and isinstance(column, str) and ctx.reports("ML203", migration.path) and \
                any(new == column.lower() for _, _, new in _renames_before(migration, index, table.lower())):
            continue  # renamed into this name here (gnocchi's tmp_*): no release used it, and
            # rename-column reports the rename
        copied = isinstance(table, str) and isinstance(column, str) and \
            _copied_before(migration, index, table.lower(), column.lower())
        readded = isinstance(table, str) and isinstance(column, str) and \
            (table.lower(), column.lower()) in migration.columns_added_before(len(migration.operations)) - \
            migration.columns_added_before(index)
        if readded and _kept_through(migration, op, table.lower(), column.lower()):  # type: ignore[union-attr]
            continue
        if readded and _computed_again(migration, index, table.lower(), column.lower()):  # type: ignore[union-attr]
            continue
        if readded and copied:
            continue  # its values were copied aside first and the column comes back: nothing is lost,
            # and the previous release still finds it (redash moves queries.schedule through old_schedule)
        if not readded:  # the previous release cannot query a table renamed (rename-table says so)
            renamed = renamed or Renamed(migration, ctx)
            if renamed.covers(table, op):
                continue
        retyped = _retyped(migration, ctx, op, table.lower(), column.lower()) if readded else None  # type: ignore[union-attr]
        default = _default_again(migration, index, table.lower(), column.lower()) if readded else None  # type: ignore[union-attr]
        contract = None if readded or copied else _made_nullable_before(migration, ctx, table, column)
        variant = retyped[2] if retyped else "defaulted" if default else "readded" if readded else \
            "copied" if copied else "contracted" if contract else "default"
        existing = "..."  # the column's type as code, for the required help's alter_column
        if variant == "default" and isinstance(table, str) and isinstance(column, str) and \
                known_required(migration, index, ctx.ancestors(migration), table, column, ctx.mysql):
            variant = "required"  # the release that stops writing it cannot insert a row
            existing = value_code(old_type(migration, ctx.ancestors(migration), table, column, op.line)) \
                or existing
        yield at(op, f"{shown(table)}.{shown(column)}", table=shown(table), column=shown(column),
                 old=retyped[0] if retyped else "", new=retyped[1] if retyped else "",
                 default=default or "", by=contract or "", variant=variant, existing=existing)
    for statement, table, column in raw_drops(migration, "column", "drop_column"):  # DROP COLUMN in SQL
        renamed = renamed or Renamed(migration, ctx)
        if not renamed.covers(table, statement):
            yield sql_hit(statement, f"{table}.{column}", table=table, column=column)
