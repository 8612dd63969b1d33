"""The check API: what a check receives (CheckContext) and what it yields (Hit, from finding)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from migrate_lint.checks.held_locks import (
    held_since,
    held_through_long_work,
    referenced_held_since,
    rewritten_earlier,
)
from migrate_lint.checks.written import (
    CONSTRAINT_CALLS,
    LOOP_VARIABLE,
    as_code,
    call_on,
    calls_by_line,
    computed_names,
    referent,
)
from migrate_lint.finding import Hit
from migrate_lint.paths import real_path
from migrate_lint.rendering.opsql import given_name
from migrate_lint.revisions.graph import RevisionGraph
from migrate_lint.revisions.migration import Call, Migration, Operation, Ref, Statement, Unknown
from migrate_lint.sql.facts import server_constraint_name
from migrate_lint.sql.names import BY_CONVENTION, CONVENTION_KEYS, as_written, convention_name, sql_ident
from migrate_lint.sql.rawddl import dropped, qualifying_schema, written_check
from migrate_lint.sql.timeouts import Timeout


def at(op: Operation, subject: str, **fields: str) -> Hit:
    return Hit(op.line, subject, fields, op.column, op.end_line)


def shown(value: Any) -> str:
    """A value as the user wrote it: names as they are, expressions as their source."""
    if isinstance(value, Unknown):
        return value.source or "?"
    return value if isinstance(value, str) else repr(value)


@dataclass
class CheckContext:
    """What every check may read besides its revision: the graph, the other revisions, the settings."""

    dialect: str
    graph: RevisionGraph
    migrations: Mapping[str, Migration]
    opaque: frozenset[Path]  # files whose headers could not be read: the graph is incomplete
    detect_naming_convention: Callable[[], bool]
    postgresql_version: int = 15
    mysql_version: tuple[int, ...] = (8, 0, 36)
    transaction_per_migration: bool = False
    transactional_ddl: bool = True  # env.py's transactional_ddl=False commits every statement
    enum_sync_adds_values: bool = False  # op.sync_enum_values is alembic-autogenerate-enums'
    maps_models: bool = True  # False: env.py's target_metadata is None, the team keeps no models
    local_modules: frozenset[str] = frozenset()
    project_roots: tuple[Path, ...] = ()  # where the project's own source lies (its TypeDecorators)
    template_imports: frozenset[str] = frozenset()  # what script.py.mako imports into every revision
    env_imports: frozenset[str] = frozenset()  # what env.py imports for every run of the history
    project_marked: bool = True  # a pyproject.toml, setup.py, setup.cfg or .git lies above the history
    base: str = ""  # with --base: the merge-base commit
    base_sources: Mapping[Path, str] = field(default_factory=dict)  # edited files' text at the base
    removed_lines: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)  # lines the change took out
    changed: frozenset[Path] | None = None  # with --base: the history's files the change adds or edits
    reported: frozenset[Path] | None = None  # the files whose findings are reported, when not all
    lock: Mapping[str, Any] | None = None  # migrate-lint.lock entries, when the history has one
    lock_path: Path | None = None
    lock_timeout: Timeout | None = None  # set for every revision by env.py or alembic.ini
    detect_conventions: Callable[[], dict[str, str | None] | None] = lambda: None
    walks: dict[tuple[int, bool], tuple[tuple[Statement, frozenset[str]], ...]] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # what a check reads once from the whole history
    # a revision's text by id, as read for the run: under --base, without analysing the revision
    source_of: Callable[[str], str] = lambda rev_id: ""
    # whether a rule's findings are reported for a file (selected, not ignored for it): a check that
    # leaves a risk to another rule asks first; unknown, it reports the risk itself
    reports: Callable[[str, Path], bool] = lambda code, path: False

    @property
    def postgresql(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def mysql(self) -> bool:
        return self.dialect in ("mysql", "mariadb")

    @cached_property
    def naming_convention(self) -> bool:
        return self.detect_naming_convention()

    def project_type(self, migration: Migration, value: Any) -> Call | Ref | None:
        """What a column type the project defines renders as (its TypeDecorator's impl), where the
        revision imports it from the project's own packages; None for any other value."""
        name = value.func if isinstance(value, Call) else value.name if isinstance(value, Ref) else None
        if not name or not self.project_roots:
            return None
        from migrate_lint.revisions.typedecorators import impl_of, imported_path

        dotted = imported_path(migration.imports, name)
        if dotted is None or dotted.split(".", 1)[0] not in self.local_modules:
            return None
        return impl_of(self.project_roots, dotted)

    @cached_property
    def conventions(self) -> dict[str, str | None]:
        """The project's naming convention templates by kind ("fk", "ck", ...), as its source writes
        them; empty when it has none (read once, and only when a finding needs a name)."""
        return self.detect_conventions() or {}

    def tables_new_in_change(self, migration: Migration) -> frozenset[str]:
        """Under --base, the tables that revisions added by the change, and built on by this one,
        create: no database has them yet, so they are empty when this revision runs."""
        if not self.changed:
            return frozenset()
        tables: set[str] = set()
        for revision in self.graph.ancestors(migration.revision.id):
            # the header says whether the change added it: only those revisions are read in full
            path = revision.path
            ancestor = self.migrations.get(revision.id) if path in self.changed and \
                real_path(path) not in self.base_sources else None
            if ancestor is not None:
                pairs = ancestor.statements_after_creates
                tables |= pairs[-1][1] if pairs else set()
                tables |= {s.facts.created_table for s, _ in pairs[-1:]
                           if s.sql[:12].upper() == "CREATE TABLE" and s.facts.created_table}
        return frozenset(tables)

    def ancestors(self, migration: Migration) -> Iterator[Migration]:
        """The migrations this one builds on, nearest first."""
        for revision in self.graph.ancestors(migration.revision.id):
            found = self.migrations.get(revision.id)
            if found is not None:
                yield found


def graph_problems(ctx: CheckContext, kind: str) -> Iterator[Hit]:
    """Hits for one kind of structural problem of the revision graph."""
    for problem in ctx.graph.problems():
        if problem.kind == kind:
            yield Hit(problem.line, problem.revision.id, problem.detail, path=problem.revision.path)


def sql_walk(migration: Migration, ctx: CheckContext, after_failures: bool = True
             ) -> tuple[tuple[Statement, frozenset[str]], ...]:
    """Each statement of the revision with the tables created before it (new and empty: lock-free):
    by this revision, or, under --base, by a revision the same change adds (applied nowhere yet).
    With after_failures, also the tables an earlier statement added a NOT NULL column to with
    nothing to fill it (PostgreSQL): on a table with rows the revision has failed there, so what
    follows runs only on an empty one (add-column-not-null-without-default reports that place)."""
    new = ctx.tables_new_in_change(migration) if ctx.changed else None  # only under --base
    walk = migration.statements_after_creates
    if new:
        walk = tuple((statement, created | new) for statement, created in walk)
    if not (after_failures and ctx.postgresql):
        return walk
    key = (id(migration), bool(new))
    if key not in ctx.walks:  # fifteen rules walk each revision: worked out once
        doomed: frozenset[str] = frozenset()
        found = []
        for statement, created in walk:
            found.append((statement, created | doomed))
            if "NOT NULL" in statement.sql.upper():
                doomed |= fails_on_rows(statement, created)
        ctx.walks[key] = tuple(found) if doomed else walk
    return ctx.walks[key]


_FILLED_BY_DATABASE = re.compile(r"\b(GENERATED|IDENTITY|SERIAL|BIGSERIAL|SMALLSERIAL|AUTO_INCREMENT)\b",
                                 re.IGNORECASE)


def fails_on_rows(statement: Statement, created: frozenset[str]) -> frozenset[str]:
    """Tables (not created here) this statement adds a NOT NULL column to with no default and
    nothing the database fills it with: it fails on any of them that has a row."""
    if "ADD" not in statement.sql.upper() or _FILLED_BY_DATABASE.search(statement.sql):
        return frozenset()
    return frozenset(table for table, _, not_null, default in statement.facts.added_columns
                     if not_null and default is None and table not in created)


def upgrade_lines_before(migration: Migration, line: int) -> list[str]:
    """The source lines of upgrade() before `line` (the def line left out): what ran before a call."""
    start = migration.source.find("def upgrade")
    if start < 0:
        return []
    return migration.source.splitlines()[migration.source.count("\n", 0, start) + 1:line - 1]


def computed_index_name(call: Operation | None, name: str) -> tuple[str, str] | None:
    """(as shown, as code) where the index name a call passes is computed by the code (a loop
    variable, a format) and the SQL knows no better (`name` is that expression): never shown as if
    it were a name. None where the name is given, or rendering knew it."""
    value = call.arg(0, "index_name") if call is not None else None
    if not isinstance(value, Unknown) or not value.source or value.source.lower() != name:
        return None
    shown = value.source if re.match(LOOP_VARIABLE, value.source) else f"the index named by {value.source}"
    return shown, as_code(value, name)


def sql_hit(statement: Statement, subject: str, **fields: str) -> Hit:
    if "schema" not in fields and "table" in fields and (schema := qualifying_schema(statement.sql)):
        # ALTER TABLE gn_imports.t_mappings_fields ...: the schema for the help's SQL, where the
        # operation names none (lint.schemas prefers the operation's own, as the code writes it)
        fields["sql_schema"] = schema
    return Hit(statement.line, subject, written_case(statement.sql, fields), statement.column,
               statement.end_line)


_QUOTED_NAME = re.compile(r'"([A-Za-z_][A-Za-z0-9_$]*)"')


def written_case(sql: str, fields: dict[str, str]) -> dict[str, str]:
    """The fields with each name the SQL quotes in mixed case ("NotificationTypes") spelt as
    written: the facts lower-case names to compare them, but to the server the lower-cased name is
    another table. Fields named q... are SQL identifiers and get the quotes too; the others are
    read as Python strings and messages (op.alter_column("NotificationTypes", ...))."""
    cased = {name.lower(): name for name in _QUOTED_NAME.findall(sql) if name != name.lower()}
    if not cased:
        return fields
    alternatives = "|".join(map(re.escape, cased))
    pattern = re.compile(r'(?<![\w"$])(' + alternatives + r')(?![\w"$])')
    # an SQL identifier may come quoted already, in lower case, as a reserved word ("user")
    sql_pattern = re.compile(r'(?<![\w$])"?(' + alternatives + r')"?(?![\w$])')
    quoted = {low: sql_ident(name) for low, name in cased.items()}

    def spelt(key: str, value: str) -> str:
        if key.startswith("q"):
            return sql_pattern.sub(lambda m: quoted[m[1]], value)
        return pattern.sub(lambda m: cased[m[1]], value)

    return {key: spelt(key, value) if isinstance(value, str) else value for key, value in fields.items()}


_ADD_CONSTRAINT_CLAUSE = r"\bADD\s+(CONSTRAINT|CHECK|FOREIGN|UNIQUE|PRIMARY|EXCLUDE)\b"


# the calls whose constraints SQLAlchemy builds, so the project's naming convention names them
CONVENTION_CALLS = frozenset({"create_foreign_key", "create_check_constraint", "create_unique_constraint",
                              "create_primary_key", "add_column", "create_table"})


def named_by_convention(migration: Migration, ctx: CheckContext, statement: Statement, kind: str,
                        table: str, given: str) -> str | None:
    """The name the project's naming convention gives the constraint, where it has one for this kind
    and the code did not mark the name as final with op.f()."""
    if not ctx.postgresql or not ctx.conventions:
        return None
    call = next((op for op in migration.operations if op.line == statement.line), None)
    if call is None or call.name not in CONVENTION_CALLS:
        return None  # raw SQL names its constraints itself: SQLAlchemy's convention never sees them
    first = call.arg(0, "constraint_name")
    if isinstance(first, Call) and first.short == "f":
        return None
    return convention_name(ctx.conventions, kind, table, given, statement.sql,
                           max_length=64 if ctx.mysql else 63)


def _adds_column_only(upper: str) -> bool:
    """The statement's constraints are written inside ADD COLUMN (no ADD CONSTRAINT clause)."""
    return "ADD COLUMN" in upper and not re.search(_ADD_CONSTRAINT_CLAUSE, upper)


def constraints_without_not_valid(migration: Migration, ctx: CheckContext, kind: str,
                                  held_through_fill: Callable[[Migration, CheckContext, Statement, str], bool]
                                  ) -> Iterator[Hit]:
    """ADD CONSTRAINT of one kind on an existing PostgreSQL table without NOT VALID; `held_through_fill`
    tells a table whose lock the transaction holds through a column's fill, which another rule reports."""

    if not ctx.postgresql:
        return
    keyword = kind.split()[0].upper()
    words = migration.upper_sql  # what each statement below must name, in one of them
    if "ADD" not in words or (keyword not in words and not (keyword == "FOREIGN" and "REFERENCES" in words)):
        return
    calls = calls_by_line(migration.operations, CONSTRAINT_CALLS)
    for statement, created in sql_walk(migration, ctx):
        upper = statement.sql.upper()
        inside_column = keyword == "FOREIGN" and "REFERENCES" in upper  # a key written inside ADD COLUMN
        if "ADD" not in upper or (keyword not in upper and not inside_column):
            continue
        in_column = {"variant": "inside_column"} if _adds_column_only(upper) else {}
        for table, lowered, found, not_valid, condition in statement.facts.constraints:
            if found == kind and not not_valid and table not in created:
                call = call_on(calls, statement.line, table)
                given = as_written(statement.sql, lowered,
                                   given_name(call.arg(0, "constraint_name")) if call is not None else None)
                if rewritten_earlier(migration, statement, table, ctx.transactional_ddl, ctx.dialect):
                    continue  # locked by an earlier rewrite to commit: NOT VALID cannot help in here
                if all(held_through_long_work(migration, statement, locked, ctx.transactional_ddl,
                                              ctx.dialect)
                       or held_through_fill(migration, ctx, statement, locked)
                       for locked in _locked_by(statement, table, found)):
                    continue  # every table it locks is already held through a full scan to commit
                if kind == "foreign key" and not in_column and \
                        (empty := _only_new_empty_columns(migration, statement, table)):
                    in_column = {"variant": "new_column", "column": empty}
                by_convention = named_by_convention(migration, ctx, statement, found, table, given)
                name = by_convention or given or \
                    _free_server_name(migration, ctx, statement, table,
                                      server_constraint_name(table, found, statement.sql, condition))
                qname = name if name == BY_CONVENTION else sql_ident(name)
                # the call to write: under the convention, the argument as the code gave it names it again
                call_name = (f'"{given}"' if given else "None") if by_convention else f'"{name}"'
                computed = computed_names(call)
                if computed:  # a name or table the code computes: the help writes them as code
                    call_name, in_column = computed[0], {**in_column, "variant": "computed"}
                elif call is None and given and not by_convention and _convention_prefixes(ctx, found):
                    call_name = f'op.f("{given}")'  # raw SQL's own name: the convention must not build on it
                held = held_since(migration, statement, table, ctx.transactional_ddl, "scan")
                if kind == "foreign key":  # and the referenced table, where the same key was dropped first
                    referenced = _locked_by(statement, table, found)[1]
                    held += referenced_held_since(migration, statement, table, name, referenced,
                                                  ctx.transactional_ddl, bool(given or by_convention))
                yield sql_hit(statement, f"{table}.{name}", table=table, name=name, qtable=sql_ident(table),
                              qname=qname, call_name=call_name, referent=referent(call),
                              condition=_condition_code(statement, call, given),
                              table_code=computed[1] if computed else f'"{table}"',
                              held=held,
                              **_sql_schema(statement, call), **in_column)


_REFERENCES = re.compile(r'(?i)\bREFERENCES\s+(?P<table>[\w".]+)')


def _locked_by(statement: Statement, table: str, kind: str) -> list[str]:
    """The tables validating the constraint locks: its own, and a foreign key's referenced one."""
    if kind != "foreign key":
        return [table]
    match = _REFERENCES.search(statement.sql)
    return [table, match["table"].strip('"').rsplit(".", 1)[-1].lower()] if match else [table, ""]


def _free_server_name(migration: Migration, ctx: CheckContext, statement: Statement, table: str,
                      name: str) -> str:
    """The name PostgreSQL gives an unnamed constraint: its default, or, when an earlier constraint
    on the table (this revision's or an ancestor's) already holds that name and nothing dropped it
    since, the default with the first free number after it (warehouse's second unnamed CHECK on
    release_files.sha256_digest got `release_files_sha256_digest_check1`: a help naming the first
    would fail)."""
    taken: set[str] = set()
    dropped: set[str] = set()
    before = [s for s in migration.statements if s.line < statement.line]
    for earlier in [*reversed(list(ctx.ancestors(migration))), None]:
        statements = before if earlier is None else earlier.statements
        if earlier is not None and table.upper() not in earlier.upper_sql:
            continue
        for other in statements:
            for on, given, kind, _, condition in other.facts.constraints:
                if on == table:
                    made = (given or server_constraint_name(on, kind, other.sql, condition)).lower()
                    taken.add(made)
                    dropped.discard(made)
            for gone in _DROPPED_CONSTRAINT.findall(other.sql):
                dropped.add(gone.lower())
    taken -= dropped
    if name.lower() not in taken:
        return name
    return next(f"{name}{n}" for n in range(1, len(taken) + 2) if f"{name}{n}".lower() not in taken)


_DROPPED_CONSTRAINT = re.compile(r'(?i)\bDROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?"?(\w+)')
_KEY_COLUMNS = r"(?i)\bFOREIGN\s+KEY\s*\((?P<columns>[^)]*)\)"


def _only_new_empty_columns(migration: Migration, statement: Statement, table: str) -> str:
    """The key's column when it is one this revision added earlier, nullable and without a default,
    and nothing filled since: every row holds NULL, so the check finds nothing; "" otherwise."""
    match = re.search(_KEY_COLUMNS, statement.sql)
    columns = [c.strip().strip('"').lower() for c in match["columns"].split(",")] if match else []
    if len(columns) != 1:
        return ""
    position = next((i for i, op in enumerate(migration.operations) if op.line == statement.line), None)
    for op, added_to, spec in migration.added_columns():
        if op.name == "add_column" and added_to.lower() == table and isinstance(spec.name, str) \
                and spec.name.lower() == columns[0] and op.line <= statement.line:
            empty = not spec.not_null and spec.server_default is None and not spec.generated
            filled = any(u.fills(table, columns[0]) and (position is None or u.position <= position)
                         for u in migration.updates)
            return spec.name if empty and not filled else ""
    return ""


def _condition_code(statement: Statement, call: Operation | None, given: str) -> str:
    """A CHECK's condition for the help's call, as the code or the SQL writes it; "..." elsewhere."""
    if call is not None and call.name == "create_check_constraint":
        condition = call.arg(2, "condition")
        return repr(condition) if isinstance(condition, str) else '"..."'
    written = written_check(statement.sql, given) if "CHECK" in statement.sql.upper() else None
    return repr(written) if written else '"..."'


def _convention_prefixes(ctx: CheckContext, kind: str) -> bool:
    """The project's convention builds this kind's names on the name given (%(constraint_name)s)."""
    template = ctx.conventions.get(CONVENTION_KEYS.get(kind, "")) if ctx.conventions else None
    return bool(template) and "%(constraint_name)s" in str(template)


def _sql_schema(statement: Statement, call: Operation | None) -> dict[str, str]:
    """The schema raw SQL qualifies its table with (`ALTER TABLE "events"."t"`), for the help: the
    operations' own schema= is found from the call."""
    schema = qualifying_schema(statement.sql) if call is None else None
    return {"schema": schema} if schema else {}


def renamed(migration: Migration, ctx: CheckContext, kind: str) -> Iterator[Hit]:
    """Renames of one kind ("column" or "table") of objects this revision did not create."""
    return (hit for _, hit in renames(migration, ctx, kind))


def renames(migration: Migration, ctx: CheckContext, kind: str) -> Iterator[tuple[Statement, Hit]]:
    """The statement and hit of each rename of one kind of object this revision did not create."""

    if "RENAME" not in migration.upper_sql and "CHANGE" not in migration.upper_sql:
        return
    op_index: dict[int, int] | None = None  # built at the first rename
    for statement, created in sql_walk(migration, ctx):
        if "RENAME" not in statement.sql.upper() and "CHANGE" not in statement.sql.upper():
            continue
        if op_index is None:
            op_index = {op.line: index for index, op in reversed(list(enumerate(migration.operations)))}
        for found, table, old, new in statement.facts.renames:
            at = _rename_call(migration, statement.line, old, new) if found == "column" else None
            if at is None:
                at = op_index.get(statement.line)
            if found == "column" and at is not None and (table.lower(), old.lower()) in \
                    migration.columns_added_before(at):
                continue  # a column this revision added: no running code reads it yet
            if found == kind and (table or old) not in created:
                if kind == "table" and ((_raw_sql(migration, at)
                                         and _index_by_its_name(migration, ctx, old))
                                        or _kept_as_view(migration, statement, old, new)):
                    continue
                # an UPDATE rewriting the renamed column changes what it means: the old name
                # cannot simply be kept under a new attribute
                rewritten = kind == "column" and any(u.fills(table, new) for u in migration.updates)
                replaced = kind == "column" and _added_after(migration, statement.line, table, old)
                converted = replaced and _filled_from(migration, ctx, statement.line, table, old, new)
                call = migration.operations[at] if at is not None else None  # the call that renames it
                table, old, new = _written_names(statement, call, table, old, new)
                subject = f"{table}.{old}" if table else old
                aliases = _column_aliases(migration, statement, old, new) if kind == "table" else ""
                gone = _renamed_away(migration, ctx, old) if kind == "table" else None
                made = _made_again(migration, statement, old) if kind == "table" else None
                # another table renamed into the old name after it (GeoNature's t_user_error_list)
                moved_in = _renamed_into(migration, statement, old) if kind == "table" and not made else None
                # the new table filled in the same revision (irma copies each web file's id into it)
                filled = next((u.line for u in migration.updates if made and u.line > made
                               and u.inserts(old)), None) or (made and _core_insert(migration, old, made))
                # renamed aside, then dropped: a view of the old name on it would block that drop
                drop = _dropped_later(migration, statement, new) if kind == "table" else None
                yield statement, sql_hit(statement, subject, table=table, old=old, new=new, aliases=aliases,
                                         qold=sql_ident(old), qnew=sql_ident(new),
                                         by=gone[0] if gone else "", was=gone[1] if gone else "",
                                         made=str(made or (moved_in[0] if moved_in else "")),
                                         filled=str(filled or ""), other=moved_in[1] if moved_in else "",
                                         dropped=str(drop or ""),
                                         variant="gone" if gone else "refilled" if filled else
                                         "dropped" if drop and not made and not moved_in else
                                         "swapped" if made else "renamed_in" if moved_in else
                                         "converted" if converted else "replaced" if replaced else
                                         "rewritten" if rewritten else
                                         "default" if ctx.maps_models else "unmapped")


def _rename_call(migration: Migration, line: int, old: str, new: str) -> int | None:
    """The position of the alter_column that renames `old` to `new` at `line`: a helper called for
    several columns (ooni's convert_json_to_array) makes one call per column on the same line."""
    for index, op in enumerate(migration.operations):
        if op.line == line and op.name == "alter_column" and \
                str(op.kwargs.get("new_column_name", "")).lower() == new.lower():
            _, rest = op.table_and_rest()
            column = op.kwargs.get("column_name", rest[0] if rest else None)
            if isinstance(column, str) and column.lower() == old.lower():
                return index
    return None


def _dropped_later(migration: Migration, rename: Statement, table: str) -> int | None:
    """The line where the revision drops `table`, the name a rename gave, after that rename
    (privacyidea's base revision renames Realm to Realm_old, copies its rows out, then drops it)."""
    name, after = table.lower(), False
    for statement in migration.statements:
        if statement is rename:
            after = True
        elif after and statement.sql[:4].upper() == "DROP" and any(
                kind == "table" and gone.lower() == name for kind, _, gone in dropped(statement.sql)):
            return statement.line
    return None


def _made_again(migration: Migration, rename: Statement, table: str) -> int | None:
    """The line where the revision, after renaming `table` aside, creates a table of that name again
    (ADE-Scheduler swaps in a new, empty user table); None where it does not."""
    name = table.lower()
    after = False
    for statement in migration.statements:
        if statement is rename:
            after = True
        elif after and "CREATE" in statement.sql[:20].upper() and name in statement.sql[:200].lower() \
                and (statement.facts.created_table or "").lower() == name:
            return statement.line
    return None


def _renamed_into(migration: Migration, rename: Statement, table: str) -> tuple[int, str] | None:
    """(line, old name) of a later rename in the revision that gives another table this table's
    old name: the two swap names; None where none does."""
    name = table.lower()
    after = False
    for statement in migration.statements:
        if statement is rename:
            after = True
        elif after and "RENAME" in statement.sql.upper():
            other = next((old for kind, _, old, new in statement.facts.renames
                          if kind == "table" and new.lower() == name), None)
            if other is not None:
                return statement.line, other
    return None


def _core_insert(migration: Migration, table: str, after: int) -> int | None:
    """The line, after `after`, of a Core insert into the table through a variable that holds it
    (irma's file_web_table.insert().values(...) in a loop over rows, or op.bulk_insert of it),
    which rendering cannot see run; None where there is none."""
    holders = re.findall(rf"""(?m)^\s*(\w+)\s*=\s*(?:\w+\.)?[Tt]able\(\s*['"]{re.escape(table)}['"]""",
                         migration.source)
    if not holders:
        return None
    insert = re.compile(rf"\b(?:{'|'.join(holders)})\.insert\(|\bbulk_insert\(\s*(?:{'|'.join(holders)})\b")
    return next((number for number, text in enumerate(migration.source.splitlines(), 1)
                 if number > after and insert.search(text)), None)


def _renamed_away(migration: Migration, ctx: CheckContext, table: str) -> tuple[str, str] | None:
    """(revision, new name) of the nearest ancestor that renamed the table away, where none since
    made a table of that name again: the rename finds no table (crowd_gram renames
    projectallocation to agentallocation in two revisions in a row)."""
    name = table.lower()
    for ancestor in ctx.ancestors(migration):
        for op in reversed(ancestor.operations):
            if op.name == "create_table" and isinstance(made := op.arg(0, "table_name"), str) \
                    and made.lower() == name:
                return None
            if op.name == "rename_table" and isinstance(old := op.arg(0, "old_table_name"), str) \
                    and isinstance(new := op.arg(1, "new_table_name"), str):
                if new.lower() == name:
                    return None
                if old.lower() == name:
                    return ancestor.revision.id, new
    return None


def _column_aliases(migration: Migration, at: Statement, old_table: str, new_table: str) -> str:
    """`, new AS old` for each column the revision renames on a table it renames (osparc renames
    study_tags to projects_tags and its study_id to project_id): a view of the old name must give
    the running release its old column names too. A column renamed before the table is under the
    old name, after it under the new one (capella gives a renamed table's old name to another)."""
    aliases = []
    before = True
    for statement in migration.statements:
        if statement is at:
            before = False
            continue
        if "RENAME" not in statement.sql.upper():
            continue
        on = old_table.lower() if before else new_table.lower()
        # as the SQL spells them: a quoted camelCase name ("linkedClaimId", feedback's) keeps its case
        aliases += [f", {_written_ident(statement, new)} AS {_written_ident(statement, old)}"
                    for found, table, old, new in statement.facts.renames
                    if found == "column" and table.lower() == on and old.lower() != new.lower()
                    # an UPDATE rewriting the renamed column changed what it holds: no alias gives it back
                    and not any(u.fills(table, new) for u in migration.updates)]
    return "".join(dict.fromkeys(aliases))


def _written_ident(statement: Statement, name: str) -> str:
    return sql_ident(as_written(statement.sql, name))


def _written_names(statement: Statement, call: Operation | None, table: str, old: str, new: str
                   ) -> tuple[str, str, str]:
    """The renamed object's names as the call or the SQL spells them: PostgreSQL keeps the case of
    a quoted name, and Alembic quotes a mixed-case one (privacyidea renames "Realm", not realm)."""
    given: tuple[object, object, object] = (None, None, None)
    if call is not None and call.name == "rename_table":
        given = (None, call.arg(0, "old_table_name"), call.arg(1, "new_table_name"))
    elif call is not None and call.name == "alter_column":
        target, rest = call.table_and_rest()
        given = (target, call.kwargs.get("column_name", rest[0] if rest else None),
                 call.kwargs.get("new_column_name"))
    return tuple(as_written(statement.sql, name, code if isinstance(code, str) else None)  # type: ignore[return-value]
                 for name, code in zip((table, old, new), given, strict=True))


def _kept_as_view(migration: Migration, rename: Statement, old: str, new: str) -> bool:
    """After renaming the table the revision creates a view of the old name that selects every
    column of the new one, all its rows (lms keeps module_item_configurations so) or those a WHERE
    keeps (query-service's files, the latest version of each): PostgreSQL updates such a view in
    place of its table, so the previous release's reads and writes still work."""
    view = re.compile(rf'(?is)^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:"?\w+"?\.)?"?{re.escape(old)}"?'
                      rf'\s+AS\s*\(?\s*SELECT\s+\*\s+FROM\s+(?:"?\w+"?\.)?"?{re.escape(new)}"?'
                      r'(\s+WHERE\s.*?)?\s*\)?\s*;?\s*$')
    after = migration.statements[migration.statements.index(rename) + 1:]
    return any((match := view.match(statement.sql)) and _updatable_filter(match[1] or "")
               for statement in after)


def _updatable_filter(where: str) -> bool:
    """A view's WHERE that leaves it updatable: no GROUP BY, HAVING, LIMIT, OFFSET or set operation
    at its top level (a subquery in parentheses may have them)."""
    depth, top = 0, []
    for char in where:
        depth += char == "("
        top.append(char if depth == 0 else " ")
        depth -= char == ")"
    return re.search(r"(?i)\b(GROUP\s+BY|HAVING|LIMIT|OFFSET|UNION|INTERSECT|EXCEPT|ORDER\s+BY)\b",
                     "".join(top)) is None


def _filled_from(migration: Migration, ctx: CheckContext, line: int, table: str, column: str,
                 renamed: str) -> bool:
    """The column added back under the old name holds another kind of value and is filled from the
    renamed one, row by row, in this revision (notification-api's Date day = to_date(day_string, ...)):
    a type change made by copy, whose values stay what they were. Not a fill that reads another
    table (a username looked up as an id), nor one of the same kind, which rewrites the values
    themselves (search-local-land-charge-api's absolute URLs made relative)."""
    from migrate_lint.revisions.coltypes import old_type, other_kind, type_name

    table = table.lower()
    if not any(u.fills(table, column) and u.reads and f"{table}.{renamed.lower()}" in u.reads
               and all(read.rpartition(".")[0] == table for read in u.reads) for u in migration.updates):
        return False
    new = next((spec.type_name for op, added_to, spec in migration.added_columns() if op.line > line
                and added_to.lower() == table and isinstance(spec.name, str)
                and spec.name.lower() == column.lower()), "")
    return other_kind(type_name(old_type(migration, ctx.ancestors(migration), table, column, line)), new)


def _added_after(migration: Migration, line: int, table: str, column: str) -> bool:
    """The revision adds a column of this name to the table after `line`."""
    return any(op.line > line and added_to.lower() == table.lower() and isinstance(spec.name, str)
               and spec.name.lower() == column.lower() for op, added_to, spec in migration.added_columns())


def _raw_sql(migration: Migration, op_index: int | None) -> bool:
    return op_index is None or migration.operations[op_index].name == "execute"


_INDEX_SUFFIXES = ("_pkey", "_key", "_idx", "_index", "_fkey", "_seq")


def _index_by_its_name(migration: Migration, ctx: CheckContext, name: str) -> bool:
    """`ALTER TABLE app_pkey RENAME TO project_pkey` renames an index (PostgreSQL takes ALTER TABLE
    for any relation): a name ending as PostgreSQL names keys, indexes and sequences, that no
    revision up to this one created as a table."""
    lowered = name.lower()
    if not lowered.endswith(_INDEX_SUFFIXES):
        return False
    return all(lowered not in m.created_before(None) for m in (migration, *ctx.ancestors(migration)))


def unfiltered(migration: Migration, ctx: CheckContext, verb: str) -> Iterator[Hit]:
    """UPDATE or DELETE statements without WHERE on tables this revision did not create."""

    if verb not in migration.upper_sql:
        return
    for statement, created in sql_walk(migration, ctx):
        if not statement.sql.upper().startswith(verb):
            continue
        fact = statement.facts.unfiltered
        # emptying a table the revision drops after it loses nothing the drop does not
        if fact and fact[0] == verb and fact[1] not in created and \
                not (verb == "DELETE" and fact[1].lower() in tables_dropped_after(migration, statement.line)):
            yield sql_hit(statement, fact[1], table=fact[1])


def tables_dropped_after(migration: Migration, line: int, in_transaction: bool = False) -> set[str]:
    """Tables the revision drops below `line`, by op.drop_table or by SQL, in lower case; with
    in_transaction, only drops in the revision's transaction (not in an autocommit block)."""
    if "DROP" not in migration.upper_sql:
        return set()
    return {(table or name).lower() for statement in migration.statements
            if statement.line > line and not (in_transaction and statement.autocommit)
            for kind, table, name in statement.facts.dropped if kind == "table"}


_CREATE_OTHER_TABLE = (r"(?i)^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+TABLE\s+"
                                 r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<table>[\w\".]+)")


def raw_drops(migration: Migration, kind: str, op_name: str) -> Iterator[tuple[Statement, str, str]]:
    """(statement, table, name) for each table or column dropped by SQL that no `op_name` call wrote
    (op.execute() scripts, helpers), on tables this revision did not create."""
    if "DROP" not in migration.upper_sql:
        return  # most revisions drop nothing
    walk = migration.statements_after_creates
    covered = {op.line for op in migration.operations if op.name == op_name} | {
        op.batch_line for op in migration.operations if op.name == op_name and op.batch_line is not None}
    temporary: set[str] = set()  # CREATE TEMP TABLE ... AS: scratch tables a script drops again
    for statement, created in walk:
        if match := re.match(_CREATE_OTHER_TABLE, statement.sql):
            temporary.add(match["table"].strip('"').rsplit(".", 1)[-1].lower())
        if statement.line in covered or "DROP" not in statement.sql.upper():
            continue
        for found, table, name in statement.facts.dropped:
            if found == kind and (table or name) not in created | temporary \
                    and not (kind == "table" and _scratch(migration, statement, table or name)):
                yield statement, table, name


_IF_EXISTS = re.compile(r"(?i)\bDROP\s+TABLE\s+IF\s+EXISTS\b")


def _scratch(migration: Migration, drop: Statement, table: str) -> bool:
    """`DROP TABLE IF EXISTS t` before the revision creates t and drops it again: a scratch table
    made afresh (fence copies client aside into migration_client, then drops it), never one a
    release used."""
    if not _IF_EXISTS.search(drop.sql):
        return False
    later = migration.statements[migration.statements.index(drop) + 1:]
    made = next((i for i, s in enumerate(later) if s.facts.created_table == table), None)
    return made is not None and any(found == "table" and (owner or name) == table
                                    for s in later[made + 1:] for found, owner, name in s.facts.dropped)


def blocking(migration: Migration, ctx: CheckContext, kind: str) -> Iterator[tuple[Statement, str, str]]:
    """(statement, table or index, detail) for raw DDL of one kind ("lock", "reindex", "trigger")
    on PostgreSQL tables this revision did not create."""
    if not ctx.postgresql:
        return
    for statement, created in migration.statements_after_creates:
        for found, target, detail in statement.facts.blocking:
            if found == kind and target not in created:
                yield statement, target, detail


def reads_only(sql: str) -> bool:
    """A SET, SHOW or SELECT that leaves nothing behind for a later failure to leave half done (a
    SELECT INTO makes a table: it does)."""
    return bool(re.match(r"(?i)\s*(?:SET|RESET|SHOW|SELECT)\b", sql)) \
        and not re.match(r"(?is)\s*SELECT\b.*\bINTO\b", sql)


def outside_transaction(statement: Statement, migration: Migration | None = None) -> str:
    """Where a help puts the concurrent form: into an autocommit block, or, for a call already in
    one (SimpleLogin's index clean-up), where it is. A block after other statements of the revision
    commits them first, alone (rucio drops a foreign key, builds the index, adds the key again): the
    help says so, and offers a revision of its own."""
    if statement.autocommit:
        return "in the autocommit block it is already in:"
    for other in migration.statements if migration is not None else ():
        if other is statement:
            break
        if not other.autocommit and not reads_only(other.sql):
            return ("outside the transaction, best in a revision of its own (an autocommit block here first "
                    "commits what this revision did before it, on its own): "
                    "with op.get_context().autocommit_block():")
    return "outside the transaction: with op.get_context().autocommit_block():"
