"""downgrade-cannot-run: a downgrade() that fails whenever it runs (an unnamed constraint or index
to drop)."""

import re
from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.checks.written import CREATORS, constraint_columns
from migrate_lint.revisions.migration import Call, Migration, Operation
from migrate_lint.sql.names import convention_name, server_name_of

CODE = "ML411"
SCOPE = "revision"
NAMED = {"drop_constraint": "constraint_name", "drop_index": "index_name"}
KINDS = {"foreignkey": "foreign key", "unique": "unique constraint", "check": "check constraint",
         "primary": "primary key"}
# the call of upgrade() that creates each kind, and where its columns (or condition) are
MAX_NAME = 63  # PostgreSQL shortens longer names its own way
MAX_LISTED = 5


# where some of the names listed are the ones PostgreSQL gives (CTFd runs on MariaDB by default)
SERVER_NOTE = (" The names of constraints upgrade() left unnamed are PostgreSQL's; MySQL numbers its own "
               "(SHOW CREATE TABLE tells).")


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    """One finding per downgrade(): it stops at its first unnamed drop, and the help names each."""
    drops = [op for op in migration.downgrade
             if op.name in NAMED and op.arg(0, NAMED[op.name], "missing") is None]
    if not drops:
        return
    first, table = drops[0], shown(_table(drops[0]))
    kind = _kind(first)
    named = [(op, _created_name(migration, ctx, _kind(op), _table(op))) for op in drops]
    fields = {"call": first.name, "table": table, "kind": kind}
    if len(drops) > 1:
        calls = [_call_code(op, *found) for op, found in named if found]
        unknown = sorted({shown(_table(op)) for op, found in named if not found})
        listed = "; ".join(calls[:MAX_LISTED]) + (f"; and {len(calls) - MAX_LISTED} more"
                                                  if len(calls) > MAX_LISTED else "")
        variant = "several_unknown" if not calls else "several_mixed" if unknown else "several"
        yield at(first, f"{table}.{first.name}", **fields, variant=variant, count=str(len(drops) - 1),
                 others=", ".join(f"{shown(_table(op))} (line {op.line})" for op in drops[1:MAX_LISTED + 1])
                 + (", ..." if len(drops) > MAX_LISTED + 1 else ""),
                 calls=listed, unknown=", ".join(unknown),
                 server_note=SERVER_NOTE if any(found and found[2] for _, found in named) else "")
        return
    found = named[0][1]
    if found:
        fields |= {"variant": "server" if found[2] else "named", "name": found[0],
                   "call_code": _call_code(first, *found)}
    yield at(first, f"{table}.{first.name}", **fields)


def _kind(op: Operation) -> str:
    return "index" if op.name == "drop_index" else KINDS.get(str(op.kwargs.get("type_")), "constraint")


def _table(op: Operation) -> object:
    return op.batch_table if op.batch_table is not None else op.arg(1, "table_name")


def _created_name(migration: Migration, ctx: CheckContext, kind: str,
                  table: object) -> tuple[str, bool, bool] | None:
    """(name, named by the convention, named by PostgreSQL): the name upgrade() gave the one
    constraint of this kind it creates on the table, or the one the naming convention or the server
    gave it; None where upgrade() creates not exactly one, or the name cannot be told."""
    creator = CREATORS.get(kind)
    if creator is None or not isinstance(table, str):
        return None
    calls = [op for op in migration.operations if op.name == creator[0] and _table(op) == table]
    if len(calls) != 1:
        return None
    call = calls[0]
    given = call.arg(0, "constraint_name")
    if isinstance(given, str):
        return given, False, False  # named in upgrade(): dropped by the same argument
    if given is not None:
        return None
    shift = -1 if call.batch_table is not None else 0
    written = constraint_columns(call, kind)
    short_kind = {"unique constraint": "unique", "check constraint": "check"}.get(kind, kind)
    columns = [str(c) for c in written] if isinstance(written, list | tuple) else None
    if ctx.conventions:
        referent = call.arg(2 + shift, "referent_table") if kind == "foreign key" else None
        references = f"REFERENCES {referent}" if isinstance(referent, str) else ""
        by_convention = convention_name(ctx.conventions, short_kind, table, "", references, columns)
        if by_convention is not None:
            if by_convention.startswith("<") or _convention_came_later(migration, ctx):
                return None
            return by_convention, True, False
    if not ctx.postgresql:
        return None
    name = server_name_of(table, short_kind, written, written)
    if columns and _made_before(migration, ctx, kind, table, columns):
        return None  # the server gave this one the same name with a number after it: look it up
    return (name, False, True) if name != "unnamed" and len(name) <= MAX_NAME else None


# a constraint named with op.f(...): how autogenerate writes a name the project's convention gave
# (an index's op.f("ix_...") is SQLAlchemy's default convention, there with or without the project's)
CONVENTION_NAMED = re.compile(r"(?:create_(?:foreign_key|unique_constraint|check_constraint|primary_key)\(\s*"
                              r"|Constraint\([^()]*(?:\([^()]*\)[^()]*)*name=)\w+\.f\(")


def _final_names(migration: Migration) -> bool:
    return ".f(" in migration.source and CONVENTION_NAMED.search(migration.source) is not None


def _convention_came_later(migration: Migration, ctx: CheckContext) -> bool:
    """No revision up to this one names what it creates with op.f(...), as autogenerate does under
    a naming convention, and a later one does: the convention came after this revision (STRR), so
    a database upgraded before then has the server's name and a newer one the convention's."""
    if _final_names(migration) or any(_final_names(a) for a in ctx.ancestors(migration)):
        return False
    later = ctx.graph.descendants(migration.revision.id)
    return any(_final_names(ctx.migrations[rev_id]) for rev_id in later if rev_id in ctx.migrations)


def _made_before(migration: Migration, ctx: CheckContext, kind: str, table: str, columns: list[str]) -> bool:
    """An earlier revision made an unnamed constraint of this kind on these columns of the table,
    so the server's name was taken when this one was made (business-ar's second UNIQUE on
    colin_event_id got ..._key1)."""
    wanted = [c.lower() for c in columns]
    for ancestor in ctx.ancestors(migration):
        for op in ancestor.operations:
            if op.name == "create_table" and op.args and op.args[0] == table and _inline(op, kind, wanted):
                return True
            if op.name == CREATORS.get(kind, ("",))[0] and _table(op) == table \
                    and op.arg(0, "constraint_name") is None:
                written = constraint_columns(op, kind)
                if isinstance(written, list | tuple) and [str(c).lower() for c in written] == wanted:
                    return True
    return False


def _inline(create: Operation, kind: str, columns: list[str]) -> bool:
    """create_table's own unnamed constraint of this kind on these columns (UniqueConstraint("a"),
    a Column's unique=True, a ForeignKey on it)."""
    for item in create.args[1:]:
        if not isinstance(item, Call):
            continue
        if kind == "unique constraint" and item.short == "UniqueConstraint" and "name" not in item.kwargs \
                and [str(a).lower() for a in item.args] == columns:
            return True
        if item.short == "Column" and len(columns) == 1 and str(item.args[0] if item.args else "").lower() \
                == columns[0] and ((kind == "unique constraint" and item.kwargs.get("unique") is True) or (
                    kind == "foreign key" and any(isinstance(a, Call) and a.short == "ForeignKey"
                                                  and "name" not in a.kwargs for a in item.args))):
            return True
    return False


def _call_code(op: Operation, name: str, by_convention: bool, _by_server: bool = False) -> str:
    """The downgrade's call with the name filled in (marked final under the convention, which would
    otherwise build on it)."""
    written = f'op.f("{name}")' if by_convention else f'"{name}"'
    extra = "".join(f", {key}={op.kwargs[key]!r}" for key in ("type_", "schema")
                    if isinstance(op.kwargs.get(key), str))
    if op.batch_table is not None:
        return f"batch_op.drop_constraint({written}{extra})"
    return f'op.drop_constraint({written}, "{_table(op)}"{extra})'
