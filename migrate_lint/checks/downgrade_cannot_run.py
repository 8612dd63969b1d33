"""downgrade-cannot-run: a downgrade() that fails whenever it runs (an unnamed constraint or index
to drop)."""

from collections.abc import Iterator

from migrate_lint.checks import CheckContext, Hit, at, shown
from migrate_lint.revisions.migration import Migration, Operation
from migrate_lint.sql.names import convention_name, server_name_of

CODE = "ML411"
SCOPE = "revision"
NAMED = {"drop_constraint": "constraint_name", "drop_index": "index_name"}
KINDS = {"foreignkey": "foreign key", "unique": "unique constraint", "check": "check constraint",
         "primary": "primary key"}
# the call of upgrade() that creates each kind, and where its columns (or condition) are
CREATORS = {"foreign key": ("create_foreign_key", 3, "local_cols"),
            "unique constraint": ("create_unique_constraint", 2, "columns"),
            "check constraint": ("create_check_constraint", 2, "condition"),
            "primary key": ("create_primary_key", 2, "columns")}
MAX_NAME = 63  # PostgreSQL shortens longer names its own way


def check(migration: Migration, ctx: CheckContext) -> Iterator[Hit]:
    for op in migration.downgrade:
        keyword = NAMED.get(op.name)
        if keyword is None:
            continue
        name = op.arg(0, keyword, "missing")
        if name is None:
            table = _table(op)
            kind = "index" if op.name == "drop_index" else \
                KINDS.get(str(op.kwargs.get("type_")), "constraint")
            created = _created_name(migration, ctx, kind, table)
            named = {"variant": "named", "name": created[0], "call_code": _call_code(op, *created)} \
                if created else {}
            yield at(op, f"{shown(table)}.{op.name}", call=op.name, table=shown(table), kind=kind, **named)


def _table(op: Operation) -> object:
    return op.batch_table if op.batch_table is not None else op.arg(1, "table_name")


def _created_name(migration: Migration, ctx: CheckContext, kind: str,
                  table: object) -> tuple[str, bool] | None:
    """The name upgrade() gave the one constraint of this kind it creates on the table, or the one
    the server or the naming convention (True) gave it; None where upgrade() creates not exactly
    one, or the name cannot be told."""
    creator = CREATORS.get(kind)
    if creator is None or not isinstance(table, str):
        return None
    call_name, position, keyword = creator
    calls = [op for op in migration.operations if op.name == call_name and _table(op) == table]
    if len(calls) != 1:
        return None
    call = calls[0]
    given = call.arg(0, "constraint_name")
    if isinstance(given, str):
        return given, False  # named in upgrade(): dropped by the same argument
    if given is not None:
        return None
    shift = -1 if call.batch_table is not None else 0
    written = call.arg(position + shift, keyword)
    short_kind = {"unique constraint": "unique", "check constraint": "check"}.get(kind, kind)
    columns = [str(c) for c in written] if isinstance(written, list | tuple) else None
    if ctx.conventions:
        referent = call.arg(2 + shift, "referent_table") if kind == "foreign key" else None
        references = f"REFERENCES {referent}" if isinstance(referent, str) else ""
        by_convention = convention_name(ctx.conventions, short_kind, table, "", references, columns)
        if by_convention is not None:
            return None if by_convention.startswith("<") else (by_convention, True)
    if not ctx.postgresql:
        return None
    name = server_name_of(table, short_kind, written, written)
    return (name, False) if name != "unnamed" and len(name) <= MAX_NAME else None


def _call_code(op: Operation, name: str, by_convention: bool) -> str:
    """The downgrade's call with the name filled in (marked final under the convention, which would
    otherwise build on it)."""
    written = f'op.f("{name}")' if by_convention else f'"{name}"'
    extra = "".join(f", {key}={op.kwargs[key]!r}" for key in ("type_", "schema")
                    if isinstance(op.kwargs.get(key), str))
    if op.batch_table is not None:
        return f"batch_op.drop_constraint({written}{extra})"
    return f'op.drop_constraint({written}, "{_table(op)}"{extra})'
