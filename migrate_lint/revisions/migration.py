"""Revision, Operation, Statement, Migration: what the analysis layers know about one revision."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

CREATE_ALL = "create_all"  # a pseudo-operation: tables created by metadata.create_all()/Table.create()
# a materialized view too: nothing but its REFRESH writes to one, so a new one has no one to block
_CREATE_TABLE = re.compile(r'\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?'
                           r'(?:TABLE|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"?\w+"?\.)?"?(\w+)"?',
                           re.I)

# what wraps literal SQL to run it: sa.text("..."), and sa.DDL("...") (osparc's conn.execute(sa.DDL(...)))
SQL_WRAPPERS = frozenset({"text", "DDL"})


@dataclass(frozen=True)
class Unknown:
    """An argument that is not a literal: never guessed, always explicit."""

    source: str = ""

    def __repr__(self) -> str:
        return f"Unknown({self.source!r})"


@dataclass(frozen=True)
class Call:
    """A literal-argument call such as `sa.Column("id", sa.Integer, nullable=False)`."""

    func: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def short(self) -> str:
        return self.func.rsplit(".", 1)[-1]

    def arg(self, index: int, keyword: str, default: Any = None) -> Any:
        if keyword in self.kwargs:
            return self.kwargs[keyword]
        return self.args[index] if len(self.args) > index else default


@dataclass(frozen=True)
class Ref:
    """A bare dotted name used as a value, such as the type `sa.Integer`."""

    name: str

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ColumnSpec:
    """What an `sa.Column(...)` literal says about nullability and defaults."""

    name: Any
    nullable: bool | None  # None: not a literal, so unknown
    server_default: Any
    primary_key: bool
    generated: bool  # Identity() or Computed(): the database fills it
    has_python_default: bool = False  # `default=`: only SQLAlchemy's own INSERTs see it
    type_name: str = ""  # the type as written (`Boolean`, `String`), "" when it is not a call or name

    @property
    def not_null(self) -> bool:
        return self.nullable is False or (self.primary_key and self.nullable is not True)

    @classmethod
    def from_call(cls, call: Call) -> ColumnSpec | None:
        if call.short != "Column":
            return None
        name = call.args[0] if call.args and isinstance(call.args[0], str | Unknown) else None
        name = call.kwargs.get("name", name)
        primary_key = call.kwargs.get("primary_key") is True
        nullable = call.kwargs.get("nullable", None if primary_key else True)
        if not isinstance(nullable, bool) or "**" in call.kwargs:
            nullable = None
        generated = any(
            isinstance(a, Call) and a.short in ("Identity", "Computed") for a in call.args
        ) or call.kwargs.get("autoincrement") is True
        kind = call.args[1] if len(call.args) > 1 else call.kwargs.get("type_")
        type_name = kind.short if isinstance(kind, Call | Ref) else ""
        return cls(name, nullable, call.kwargs.get("server_default"), primary_key, generated,
                   "default" in call.kwargs, type_name)


@dataclass(frozen=True)
class Operation:
    """One `op.<name>(...)` or `batch_op.<name>(...)` call found in `upgrade()`."""

    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    function: str
    line: int
    end_line: int
    column: int = 1
    batch_table: Any = None
    autocommit: bool = False
    batch_line: int | None = None  # the `with op.batch_alter_table(...)` line: batch ops run there
    dialects: frozenset[str] | None = None  # in a dialect branch: the dialects it runs on (None: all)
    batch_schema: Any = None  # batch_alter_table(..., schema=...)

    @property
    def _schema_argument(self) -> Any:
        if self.batch_table is not None:
            return self.batch_schema
        return self.kwargs.get("source_schema" if self.name == "create_foreign_key" else "schema")

    @property
    def schema(self) -> str | None:
        """The schema of the table this call works on, when the code names one as a literal."""
        value = self._schema_argument
        return value if isinstance(value, str) and value else None

    @property
    def schema_code(self) -> str | None:
        """The expression the call gives as its schema where it is no literal (a constant of the
        application's, `schema=INVENTORY_SCHEMA`): helps write it as the code does."""
        value = self._schema_argument
        return value.source if isinstance(value, Unknown) and value.source else None

    def arg(self, index: int, keyword: str, default: Any = None) -> Any:
        """Positional or keyword argument, counting positions after the batch table shift."""
        if keyword in self.kwargs:
            return self.kwargs[keyword]
        return self.args[index] if len(self.args) > index else default

    def table_at(self, index: int, keyword: str) -> Any:
        """The table a call names after another argument (drop_index's table_name, second): the
        batch's table inside a batch, where the call does not name it."""
        return self.batch_table if self.batch_table is not None else self.arg(index, keyword)

    @property
    def literal_sql(self) -> str | None:
        """The SQL text an op.execute call runs, given as a string or text() / DDL() of one; None
        otherwise."""
        sql = self.arg(0, "sqltext")
        if isinstance(sql, Call) and sql.short in SQL_WRAPPERS:
            sql = sql.args[0] if sql.args else None
        return sql if isinstance(sql, str) else None

    def table_and_rest(self, keyword: str = "table_name") -> tuple[Any, tuple[Any, ...]]:
        """The table this call works on, and the positional arguments that follow it.

        `op.add_column("t", col)` and `batch_op.add_column(col)` both give ("t", (col,)).
        """
        if self.batch_table is not None:
            return self.batch_table, self.args
        if keyword in self.kwargs:
            return self.kwargs[keyword], self.args
        return (self.args[0], self.args[1:]) if self.args else (None, ())


@dataclass(frozen=True)
class Statement:
    """One rendered SQL statement and the line of the `op.*` call that emitted it."""

    sql: str
    function: str
    line: int
    dialect: str
    autocommit: bool = False  # emitted inside an autocommit block: outside the transaction
    known_facts: Any = None  # SqlFacts computed where the statement was rendered
    column: int = 1  # of the op call, so findings point at it
    end_line: int | None = None

    @property
    def facts(self) -> Any:
        """The SqlFacts the rules read; computed (and parsed) here only when not already known."""
        if self.known_facts is not None:
            return self.known_facts
        from migrate_lint.sql.facts import facts_of

        return facts_of(self.sql, self.dialect)

    def column_before(self, table: str, column: str) -> str:
        """The column's name before this statement renamed it: MySQL's CHANGE old new TYPE restates
        the whole column under its new name (SBS's short_name, renamed abbreviation)."""
        return next((old for kind, on, old, new in self.facts.renames if kind == "column"
                     and on.lower() == table.lower() and new.lower() == column.lower()), column)

    @property
    def expression(self) -> Any:
        """The sqlglot expression (exp.Command for what sqlglot only half parses); parsed once."""
        from migrate_lint.sql.facts import parse_statement

        return parse_statement(self.sql, self.dialect)


@dataclass(frozen=True)
class Rendered:
    """What rendering one revision gave: (line, function, sql, SqlFacts) statements, or an error."""

    statements: tuple[tuple[int, str, str, Any], ...]
    error: str | None = None
    error_line: int | None = None
    inputs: tuple[tuple[str, str | None], ...] = ()  # (path, digest): project files the render read


@dataclass(frozen=True)
class Revision:
    """A revision's identity and place in the graph, read from its header with `ast`."""

    id: str
    down_revisions: tuple[str, ...]
    depends_on: tuple[str, ...]
    branch_labels: tuple[str, ...]
    path: Path
    line: int = 1
    down_line: int = 1

    @property
    def parents(self) -> tuple[str, ...]:
        return self.down_revisions + self.depends_on


# The table of an UPDATE whose table the syntax tree cannot name (a Core `tbl.update()` on a loop
# variable, an ORM loop setting `row.col`): it fills the named column of whichever table it runs on.
ANY_TABLE = "*"
# Calls whose first argument names the table they return: sa.table(), sa.Table(), and a project's own
# loaders (manila's `utils.load_table("shares", conn)`, `get_table(...)`, `reflect_table(...)`).
_TABLE_FACTORY = re.compile(r"(?:table|Table|\w+_table)")


def is_table_factory(name: str) -> bool:
    """Whether a call of this name (its last dotted part) returns the table its first argument names."""
    return _TABLE_FACTORY.fullmatch(name) is not None
ANY_COLUMN = "*"  # an UPDATE whose SET clause the code builds: it may fill any column


@dataclass(frozen=True)
class DataUpdate:
    """A data statement in a revision: which columns of which table it writes, and where.

    `position` is how many operations ran before it, so it orders against Operation indexes.
    `kind` is "update" (an UPDATE, or a DELETE of the rows where the columns are NULL: either way
    no row holds NULL there after it), "insert" (INSERT ... SELECT: fills the columns only in the
    rows it adds), "seed" (INSERT ... VALUES) or "empty" (a DELETE without WHERE, a TRUNCATE).
    `reads`: "table.column" (table "*" where the SQL does not tell it) of what the written values
    are computed from, None where unknown (Python code, SQL read by pattern).
    """

    table: str
    columns: frozenset[str]
    line: int
    position: int = 0
    dialects: frozenset[str] | None = None  # in a dialect branch: the dialects it runs on (None: all)
    kind: str = "update"
    reads: frozenset[str] | None = None

    def _of(self, table: str) -> bool:
        return self.table == ANY_TABLE or self.table.lower() == table.lower()

    def fills(self, table: str, column: str) -> bool:
        return self.kind == "update" and self._of(table) and self._has(column)

    def fills_other(self, table: str, column: str) -> bool:
        """It fills some column of the table other than `column`."""
        return self.kind == "update" and self._of(table) and bool(
            {c.lower() for c in self.columns} - {column.lower()})

    def inserts(self, table: str, column: str | None = None) -> bool:
        """An INSERT into the table (that writes `column`, where given), of VALUES ("seed") or not."""
        return self.kind in ("insert", "seed") and self._of(table) and (column is None or self._has(column))

    def _has(self, column: str) -> bool:
        return ANY_COLUMN in self.columns or column.lower() in {c.lower() for c in self.columns}

    def empties(self, table: str) -> bool:
        return self.kind == "empty" and self._of(table)

    def copies(self, table: str, column: str) -> bool:
        """Its SQL writes values read from table.column into some other column (of any table)."""
        if self.kind not in ("update", "insert") or not self.reads:
            return False
        read = any(t in (table.lower(), ANY_TABLE) and c in (column.lower(), ANY_COLUMN)
                   for t, _, c in (r.rpartition(".") for r in self.reads))
        return read and (not self._of(table) or bool({c.lower() for c in self.columns} - {column.lower()}))


def _created_here(statement: Statement) -> str | None:
    """The table a CREATE [TEMPORARY|UNLOGGED] TABLE [AS ...] makes: new, so no one else uses it (a
    temporary one is the migration session's own)."""
    if statement.sql[:12].upper() == "CREATE TABLE" and (table := statement.facts.created_table):
        return str(table)
    match = _CREATE_TABLE.match(statement.sql)
    return match[1].lower() if match else None


@dataclass(frozen=True)
class Migration:
    """One revision as the checks read it: its calls, the UPDATEs it runs and its SQL."""

    revision: Revision
    source: str
    operations: tuple[Operation, ...] = ()
    updates: tuple[DataUpdate, ...] = ()
    statements: tuple[Statement, ...] = ()  # rendered by Alembic, else written from the AST (opsql)
    render_error: str | None = None
    rendered: bool = False  # statements come from Alembic itself
    imports: tuple[tuple[str, int, tuple[str, ...]], ...] = ()  # (module, line, what it uses of it)
    downgrade: tuple[Operation, ...] = ()  # op.* calls of downgrade(), on the configured dialect
    # lines of calls and UPDATEs in branches of other dialects: what reads the source again (pydata)
    # passes over them
    elsewhere: frozenset[int] = frozenset()

    @property
    def path(self) -> Path:
        return self.revision.path

    @cached_property
    def names(self) -> frozenset[str]:
        """The names of the calls the revision makes: a rule about one kind of call returns at once
        where there is none (most revisions make one or two kinds, and every rule asks)."""
        return frozenset(op.name for op in self.operations)

    @cached_property
    def upper_sql(self) -> str:
        """Every statement upper-cased, one a line: a rule that reads only statements naming a
        word returns at once where none does (the word is in one of them exactly when it is here)."""
        return "\n".join(statement.sql.upper() for statement in self.statements)

    @cached_property
    def statements_after_creates(self) -> tuple[tuple[Statement, frozenset[str]], ...]:
        """Each statement with the tables this revision created before it (computed once: most SQL
        rules walk it): by CREATE TABLE, or by `metadata.create_all()`/`Table.create()`, which
        Alembic does not render."""
        pairs = []
        created: frozenset[str] = frozenset()
        by_python = [(index, op) for index, op in enumerate(self.operations) if op.name == CREATE_ALL] \
            if CREATE_ALL in self.names else []
        op_index = {op.line: index for index, op in reversed(list(enumerate(self.operations)))} \
            if by_python else {}
        for statement in self.statements:
            if by_python:
                at = op_index.get(statement.line)
                created = created | {t.lower() for index, op in by_python for t in op.args
                                     if (index < at if at is not None else op.line < statement.line)}
            pairs.append((statement, created))
            if statement.sql[:6].upper() == "CREATE" and (table := _created_here(statement)):
                created = created | {table}
            elif created and statement.facts.renames:  # a new table renamed into place is still new
                created = created | {new.lower() for kind, _, old, new in statement.facts.renames
                                     if kind == "table" and old.lower() in created}
        return tuple(pairs)

    def created_before(self, target: Operation | None) -> set[str]:
        """Tables (lower-cased) this revision creates before running `target` (None: in all): new, so
        lock-free. Created by op.create_table, by CREATE TABLE in op.execute, or by `create_all()`,
        and still new under a name op.rename_table gives it."""
        created = set()
        for op in self.operations:
            if op is target:
                break
            name = op.kwargs.get("table_name", op.args[0] if op.args else None)
            if op.name == "create_table" and isinstance(name, str):
                created.add(name.lower())
            elif op.name == "rename_table" and isinstance(old := op.arg(0, "old_table_name"), str) \
                    and old.lower() in created and isinstance(new := op.arg(1, "new_table_name"), str):
                created.add(new.lower())  # conda-store builds conda_package_tmp, then renames it into place
            elif op.name == CREATE_ALL:
                created |= {t.lower() for t in op.args}
            elif op.name == "execute" and (sql := op.literal_sql) is not None:
                created |= {m.lower() for m in _CREATE_TABLE.findall(sql)}
        return created

    def columns_added_before(self, target: Operation | int) -> set[tuple[str, str]]:
        """(table, column), lower-cased, that this revision adds before `target` (an operation, or
        an index in operations): new, so no running code reads them yet."""
        added = set()
        for index, op in enumerate(self.operations):
            if op is target or index == target:
                break
            if op.name == "execute":  # ALTER TABLE ... ADD COLUMN in the SQL it runs
                added |= self._added_in_sql.get(op.line, set())
            elif op.name == "add_column":
                table, rest = op.table_and_rest()
                column = op.kwargs.get("column", rest[0] if rest else None)
                spec = ColumnSpec.from_call(column) if isinstance(column, Call) else None
                if isinstance(table, str) and spec is not None and isinstance(spec.name, str):
                    added.add((table.lower(), spec.name.lower()))
            elif op.name == "alter_column" and isinstance(new := op.kwargs.get("new_column_name"), str):
                table, rest = op.table_and_rest()
                old = op.kwargs.get("column_name", rest[0] if rest else None)
                if isinstance(table, str) and isinstance(old, str) and (table.lower(), old.lower()) in added:
                    added.add((table.lower(), new.lower()))
        return added

    @cached_property
    def _added_in_sql(self) -> dict[int, set[tuple[str, str]]]:
        """(table, column), lower-cased, that each line's SQL adds, by the line of its call."""
        from migrate_lint.sql.facts import columns_added

        found: dict[int, set[tuple[str, str]]] = {}
        for statement in self.statements:
            if "ADD" in statement.sql.upper():
                for table, column, *_ in columns_added(statement.sql, statement.facts):
                    found.setdefault(statement.line, set()).add((table.lower(), column.lower()))
        return found

    def added_columns(self) -> Iterator[tuple[Operation, str, ColumnSpec]]:
        """Every column this revision adds, with the table it is added to."""
        return iter(self._added_columns)

    @cached_property
    def _added_columns(self) -> tuple[tuple[Operation, str, ColumnSpec], ...]:
        """added_columns(), found once: five rules ask for it on every revision."""
        return tuple(self._find_added_columns())

    def _find_added_columns(self) -> Iterator[tuple[Operation, str, ColumnSpec]]:
        for op in self.operations:
            if op.name == "add_column":
                table, rest = op.table_and_rest()
                column = op.kwargs.get("column", rest[0] if rest else None)
                if isinstance(table, str) and isinstance(column, Call):
                    spec = ColumnSpec.from_call(column)
                    if spec is not None:
                        yield op, table, spec
            elif op.name == "create_table" and op.args and isinstance(op.args[0], str):
                for item in op.args[1:]:
                    spec = ColumnSpec.from_call(item) if isinstance(item, Call) else None
                    if spec is not None:
                        yield op, op.args[0], spec


class LazyMigrations(Mapping[str, Migration]):
    """The migrations of a graph by revision id, each built on first use: most checks read only the
    revisions they check, and under --base those are a few of the history."""

    def __init__(self, revisions: Mapping[str, Revision], build: Callable[[Revision], Migration]) -> None:
        self._revisions = revisions
        self._build = build
        self._built: dict[str, Migration] = {}

    def __getitem__(self, rev_id: str) -> Migration:
        migration = self._built.get(rev_id)
        if migration is None:
            migration = self._built[rev_id] = self._build(self._revisions[rev_id])
        return migration

    def __contains__(self, rev_id: object) -> bool:
        return rev_id in self._revisions

    def __iter__(self) -> Iterator[str]:
        return iter(self._revisions)

    def __len__(self) -> int:
        return len(self._revisions)


def other_dialects_lines(operations: tuple[Operation, ...], updates: tuple[DataUpdate, ...], dialect: str
                         ) -> frozenset[int]:
    """The lines of the calls and UPDATEs that run only on other dialects than `dialect`."""
    from migrate_lint.revisions.dialects import runs_on

    return frozenset(line for op in operations if not runs_on(op.dialects, dialect)
                     for line in range(op.line, op.end_line + 1)) | frozenset(
        u.line for u in updates if not runs_on(u.dialects, dialect))


def for_dialect(operations: tuple[Operation, ...], updates: tuple[DataUpdate, ...], dialect: str
                ) -> tuple[tuple[Operation, ...], tuple[DataUpdate, ...]]:
    """The operations and UPDATEs that run on `dialect`: other dialects' branches are dropped, and
    each UPDATE's position is counted again among the operations that are kept."""
    if all(op.dialects is None for op in operations) and all(u.dialects is None for u in updates):
        return operations, updates  # the common case: no dialect branch
    from dataclasses import replace

    from migrate_lint.revisions.dialects import runs_on

    kept_before = [0]
    for op in operations:
        kept_before.append(kept_before[-1] + runs_on(op.dialects, dialect))
    kept_ops = tuple(op for op in operations if runs_on(op.dialects, dialect))
    kept_updates = tuple(replace(u, position=kept_before[min(u.position, len(operations))])
                         for u in updates if runs_on(u.dialects, dialect))
    return kept_ops, kept_updates
