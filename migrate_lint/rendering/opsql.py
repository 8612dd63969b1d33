"""The SQL an op.* call stands for, written from the AST alone, so SQL rules work without rendering.

Used for --no-execute and for revisions that could not be rendered. It covers the calls the SQL
rules read; values that are not literals become neutral placeholders, never guesses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from migrate_lint.revisions.migration import Call, ColumnSpec, Operation, Ref, Statement, Unknown
from migrate_lint.sql.facts import SqlFacts

TYPES = {"String": "VARCHAR", "Unicode": "VARCHAR", "Text": "TEXT", "UnicodeText": "TEXT",
         "Integer": "INTEGER", "BigInteger": "BIGINT", "SmallInteger": "SMALLINT", "Boolean": "BOOLEAN",
         "DateTime": "TIMESTAMP", "Date": "DATE", "Float": "FLOAT", "Numeric": "NUMERIC", "JSON": "JSON",
         "JSONB": "JSONB", "UUID": "UUID", "Uuid": "UUID", "LargeBinary": "BYTEA"}

# sqlalchemy_utils' TypeDecorators, by what their `impl` renders on PostgreSQL (a ChoiceType given
# `impl=` renders that type instead): Flask histories use them, and their SQL is fixed by the library
LIBRARY_TYPES = {"ChoiceType": "VARCHAR(255)", "EmailType": "VARCHAR(255)", "URLType": "TEXT",
                 "CountryType": "VARCHAR(2)", "CurrencyType": "VARCHAR(3)", "LocaleType": "VARCHAR(10)",
                 "TimezoneType": "VARCHAR(50)", "IPAddressType": "VARCHAR(50)", "ColorType": "VARCHAR(20)",
                 "PhoneNumberType": "VARCHAR(20)", "UUIDType": "UUID", "ArrowType": "TIMESTAMP"}


_MARKED_NAME = r"""^\w+\.(?:f|conv)\((?P<q>['"])(?P<name>[^'"]+)(?P=q)\)$"""


def given_name(value: Any) -> str | None:
    """A name as the code gives it: a literal, or op.f("...") / batch_op.f("...") / conv("...")."""
    if isinstance(value, Call) and value.short in ("f", "conv") and value.args:
        value = value.args[0]
    elif isinstance(value, Unknown) and (match := re.match(_MARKED_NAME, value.source)):
        value = match["name"]  # batch_op.f("..."): batch_op is not a library name the AST resolves
    return value if isinstance(value, str) and value else None


def _ident(value: Any) -> str:
    """A name for the SQL written here: as given, else the expression that computes it, else
    "unnamed" (never a placeholder that reads like a real name)."""
    if (name := given_name(value)) is not None:
        return name
    return value.source if isinstance(value, Unknown) and value.source else "unnamed"


def _cased(name: str) -> str:
    """A name as Alembic renders it: quoted where its case matters ("GEOMETRY", "linkedClaimId")."""
    return f'"{name}"' if name != name.lower() and re.fullmatch(r"\w+", name) else name


def _columns(value: Any) -> str:
    items = value if isinstance(value, tuple) else (value,)
    return ", ".join(_ident(v) for v in items)


def is_array(value: Any) -> bool:
    """`sa.ARRAY(sa.Text())`, `postgresql.ARRAY(sa.String)`: an array of a type the code names."""
    return isinstance(value, Call) and value.short == "ARRAY" and bool(value.args) \
        and isinstance(value.args[0], Call | Ref)


def non_native_enum(value: Any) -> bool:
    """`sa.Enum(..., native_enum=False)`: stored as a VARCHAR (with a CHECK of its labels only
    under create_constraint=True), never as a database enum type."""
    return isinstance(value, Call) and value.short == "Enum" and value.kwargs.get("native_enum") is False


def enum_length(value: Call) -> int | None:
    """The VARCHAR length SQLAlchemy gives a non-native Enum: `length=`, else its longest label;
    None when the labels come from a Python enum class, whose members the AST cannot see."""
    length = value.kwargs.get("length")
    if isinstance(length, int) and not isinstance(length, bool):
        return length
    labels = value.args
    if labels and all(isinstance(label, str) for label in labels):
        return max(len(label) for label in labels)
    return None


def type_sql(value: Any, dialect: str = "") -> str:
    """The SQL a column type renders; on PostgreSQL a native enum is its type's name, as Alembic writes it."""
    if is_array(value):
        return f"{type_sql(value.args[0], dialect)}[]"  # as PostgreSQL writes it: VARCHAR[], TEXT[]
    impl = value.kwargs.get("impl") if isinstance(value, Call) and value.short == "ChoiceType" else None
    if isinstance(impl, Call | Ref):
        return type_sql(impl, dialect)
    if dialect == "postgresql" and isinstance(value, Call) and value.short in ("Enum", "ENUM") \
            and not non_native_enum(value) and isinstance(name := value.kwargs.get("name"), str):
        return name
    if dialect in ("mysql", "mariadb") and isinstance(value, Call) and value.short in ("Enum", "ENUM") \
            and not non_native_enum(value) and value.args and all(isinstance(a, str) for a in value.args):
        labels = ", ".join("'" + label.replace("'", "''") + "'" for label in value.args)
        return f"ENUM({labels})"  # as SQLAlchemy renders it there: the labels are the type
    if isinstance(value, Call | Ref) and value.short in LIBRARY_TYPES:
        return LIBRARY_TYPES[value.short]
    if non_native_enum(value) and (size := enum_length(value)) is not None:
        return f"VARCHAR({size})"  # as SQLAlchemy renders it: the same SQL in both layers
    if isinstance(value, Call | Ref):
        name = TYPES.get(value.short, value.short.upper())
        args = [str(a) for a in getattr(value, "args", ()) if isinstance(a, int)]
        kwargs = value.kwargs if isinstance(value, Call) else {}
        if dialect == "postgresql" and kwargs.get("timezone") is True and name in ("TIMESTAMP", "TIME"):
            name += "TZ"  # DateTime(timezone=True): as the rendered SQL reads back
        if not args:  # String(length=50), Numeric(precision=12, scale=2)
            size = kwargs.get("length", kwargs.get("precision"))
            args = [str(v) for v in (size, kwargs.get("scale") if size is not None else None)
                    if isinstance(v, int)]
        return f"{name}({', '.join(args)})" if args else name
    return "TEXT"


def default_sql(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Call) and value.short == "text" and value.args and isinstance(value.args[0], str):
        return value.args[0]
    if isinstance(value, Call) and ".func." in f".{value.func}.":
        return f"{value.short}()"
    if isinstance(value, Call) and value.short in ("true", "false", "null"):
        return value.short.upper()
    return "0"  # computed elsewhere: a constant as far as anything here can tell


def _sql(op: Operation, dialect: str) -> Iterator[tuple[str, SqlFacts | None]]:
    """(SQL, facts) for one call; facts are known from the call itself, so nothing is parsed,
    except literal SQL from op.execute() (facts None: parsed when a rule asks)."""
    name, batch = op.name, op.batch_table is not None
    if name in ON_ITS_TABLE:
        yield from _on_table_sql(op, dialect)
    elif name == "execute":
        from migrate_lint.sql.facts import split_statements

        if (sql := op.literal_sql) is not None:
            yield from ((statement, None) for statement in split_statements(sql, dialect))
    elif name == "bulk_insert":
        target = op.arg(0, "table")
        target = target.args[0] if isinstance(target, Call) and target.args else target
        yield f"INSERT INTO {_ident(target)} VALUES (1)", SqlFacts()
    elif name == "create_table":
        new_table = _ident(op.arg(0, "table_name"))
        yield f"CREATE TABLE {new_table} (id INTEGER)", SqlFacts(created_table=new_table.lower())
    elif name == "create_index":
        raw_table = op.batch_table if batch else op.arg(1, "table_name")
        index_table = _ident(raw_table)
        columns = op.arg(1 if batch else 2, "columns")
        first = (columns[0] if isinstance(columns, tuple) and columns else columns)
        # unnamed: SQLAlchemy's default convention, ix_<table>_<first column>
        index = given_name(op.arg(0, "index_name")) or (
            f"ix_{index_table}_{first}" if given_name(raw_table) and isinstance(first, str) else
            _ident(op.arg(0, "index_name")))
        unique = op.kwargs.get("unique") is True
        concurrently = op.kwargs.get("postgresql_concurrently") is True
        yield (f"CREATE {'UNIQUE ' if unique else ''}INDEX {'CONCURRENTLY ' if concurrently else ''}{index} "
               f"ON {_in_schema(op, index_table)} ({_columns(columns)})",
               SqlFacts(index=("create", index.lower(), index_table.lower(), concurrently, unique)))
    elif name == "drop_index":
        index = _ident(op.arg(0, "index_name"))
        concurrently = op.kwargs.get("postgresql_concurrently") is True
        if_exists = "IF EXISTS " if op.kwargs.get("if_exists") is True else ""  # Alembic 1.12+
        yield (f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}{if_exists}{_in_schema(op, index)}",
               SqlFacts(index=("drop", index.lower(), "", concurrently, False)))
    elif name in CONSTRAINTS:
        yield _constraint_sql(op)
    elif name == "drop_constraint" and (dropped := given_name(op.arg(0, "constraint_name"))):
        owner = _ident(op.batch_table if batch else op.arg(1, "table_name"))
        yield f"ALTER TABLE {owner} DROP CONSTRAINT {dropped}", SqlFacts()
    elif name == "rename_table":
        old, new = _ident(op.arg(0, "old_table_name")), _ident(op.arg(1, "new_table_name"))
        yield (f"ALTER TABLE {_in_schema(op, old)} RENAME TO {_cased(new)}",
               SqlFacts(renames=(("table", "", old.lower(), new.lower()),)))


# the calls whose first argument is their table (or whose batch names it)
ON_ITS_TABLE = frozenset({"add_column", "alter_column", "drop_column", "drop_table"})


def _on_table_sql(op: Operation, dialect: str) -> Iterator[tuple[str, SqlFacts | None]]:
    name = op.name
    table, rest = op.table_and_rest()
    ident = _ident(table)
    tbl = ident.lower()
    target = _in_schema(op, ident)  # as SQL names it: schema-qualified when the call says so
    if name == "add_column":
        column = op.kwargs.get("column", rest[0] if rest else None)
        spec = ColumnSpec.from_call(column) if isinstance(column, Call) else None
        if spec is not None:
            default, col = default_sql(spec.server_default), _ident(spec.name)
            column_type = type_sql(column.arg(1, "type_"), dialect)
            if spec.primary_key and column.kwargs.get("autoincrement") is not False and \
                    column_type in SERIALS and not _generated_sql(column):
                column_type = SERIALS[column_type]  # what Alembic renders for an integer key
            sql = (f"ALTER TABLE {target} ADD COLUMN {_cased(col)} {column_type}" + _generated_sql(column)
                   + (f" DEFAULT {default}" if default else "") + (" NOT NULL" if spec.not_null else ""))
            inline, after = _column_constraints(op, column, ident, col, target)
            # written inside ADD COLUMN: parsed like raw SQL, so both layers read them alike
            yield (sql + inline, None) if inline else \
                (sql, SqlFacts(added_columns=((tbl, col.lower(), spec.not_null, default),)))
            yield from after
    elif name == "alter_column":
        column = _ident(op.kwargs.get("column_name", rest[0] if rest else None))
        if "type_" in op.kwargs:
            new_type = type_sql(op.kwargs["type_"], dialect)
            old_check = _enum_check(op.kwargs.get("existing_type"), column)
            if old_check and old_check[0]:  # Alembic drops the old type's CHECK, adds the new one's after
                yield f"ALTER TABLE {target} DROP CONSTRAINT {old_check[0]}", None
            yield (f"ALTER TABLE {target} ALTER COLUMN {_cased(column)} TYPE {new_type}",
                   SqlFacts(altered_columns=((tbl, column.lower(), False, new_type),)))
            if new_check := _enum_check(op.kwargs["type_"], column):
                yield _add_check(target, tbl, *new_check)
        if op.kwargs.get("nullable") is False:
            yield (f"ALTER TABLE {target} ALTER COLUMN {_cased(column)} SET NOT NULL",
                   SqlFacts(altered_columns=((tbl, column.lower(), True, None),)))
        # server_default=None drops the default (False, Alembic's own default, leaves it): the
        # ALTER takes ACCESS EXCLUSIVE like any other, which later statements' findings must know.
        # MySQL's Alembic states the default inside the one MODIFY it writes for any other change.
        alone = not ({"type_", "new_column_name"} & op.kwargs.keys() or op.kwargs.get("nullable") is not None)
        if "server_default" in op.kwargs and (default := op.kwargs["server_default"]) is not False \
                and (alone or dialect not in ("mysql", "mariadb")):
            action = "DROP DEFAULT" if default is None else f"SET DEFAULT {default_sql(default)}"
            yield f"ALTER TABLE {target} ALTER COLUMN {_cased(column)} {action}", SqlFacts()
        if isinstance(new_name := op.kwargs.get("new_column_name"), str):
            # quoted where the case matters, as Alembic renders a mixed-case name ("linkedClaimId")
            yield (f"ALTER TABLE {target} RENAME COLUMN {_cased(column)} TO {_cased(new_name)}",
                   SqlFacts(renames=(("column", tbl, column.lower(), new_name.lower()),)))
    elif name == "drop_column":  # parsed like the rendered statement (the facts of what it drops)
        column = _ident(op.kwargs.get("column_name", rest[0] if rest else None))
        yield f"ALTER TABLE {target} DROP COLUMN {_cased(column)}", None
    elif name == "drop_table":
        yield f"DROP TABLE {target}", None


def _enum_check(value: Any, column: str) -> tuple[str, str] | None:
    """(name, condition) of the CHECK a non-native Enum with create_constraint=True carries, as
    Alembic's add_column and alter_column add it (name "" when the Enum has none as a literal).
    Labels from a Python enum class are not in the AST: the condition is then a neutral one."""
    if not non_native_enum(value) or value.kwargs.get("create_constraint") is not True:
        return None
    name = value.kwargs.get("name")
    name = name if isinstance(name, str) else ""
    labels = value.args
    if not labels or not all(isinstance(label, str) for label in labels):
        return name, "1 = 1"
    return name, f"{column} IN ({', '.join(default_sql(label) or '' for label in labels)})"


def _add_check(target: str, table: str, name: str, condition: str) -> tuple[str, SqlFacts]:
    named = f"CONSTRAINT {name} " if name else ""
    return (f"ALTER TABLE {target} ADD {named}CHECK ({condition})",
            SqlFacts(constraints=((table, name.lower(), "check", False, condition),)))


def _in_schema(op: Operation, name: str) -> str:
    """A table or index as Alembic names it: schema-qualified when the call says so, quoted where its
    case matters (fence's "User", which the server keeps apart from user)."""
    return f"{op.schema}.{_cased(name)}" if op.schema else _cased(name)


def _column_constraints(op: Operation, column: Call, table: str, col: str,
                        target: str) -> tuple[str, list[tuple[str, SqlFacts]]]:
    """What Alembic renders for a Column's own constraints in op.add_column: its clause inside ADD
    COLUMN (inline_references=True with one ForeignKey, inline_primary_key=True, a CheckConstraint
    with literal text), and the statements that follow (ADD FOREIGN KEY, ADD UNIQUE, CREATE INDEX
    for index=True)."""
    fks = [item for item in column.args[2:] if isinstance(item, Call) and item.short == "ForeignKey"]
    inline, after = "", []
    for fk in fks:
        target = fk.arg(0, "column")
        ref_table, _, ref_col = (target.rpartition(".") if isinstance(target, str)
                                 else ("unnamed", "", "unnamed"))
        references = f"REFERENCES {ref_table} ({ref_col})"
        if op.kwargs.get("inline_references") is True and len(fks) == 1:
            inline += f" {references}"
            continue
        name = given_name(fk.kwargs.get("name"))
        fact = (table.lower(), (name or "").lower(), "foreign key", False, "")
        after.append((f"ALTER TABLE {target} ADD {f'CONSTRAINT {name} ' if name else ''}FOREIGN KEY ({col}) "
                      f"{references}", SqlFacts(constraints=(fact,))))
    if column.kwargs.get("primary_key") is True and op.kwargs.get("inline_primary_key") is True:
        inline += " PRIMARY KEY"
    checks = [item for item in column.args[2:] if isinstance(item, Call) and item.short == "CheckConstraint"]
    for check in checks:
        condition = check.arg(0, "sqltext")
        if isinstance(condition, str):
            name = given_name(check.kwargs.get("name"))
            inline += f"{f' CONSTRAINT {name}' if name else ''} CHECK ({condition})"
    if enum_check := _enum_check(column.arg(1, "type_"), col):
        after.append(_add_check(target, table.lower(), *enum_check))
    unique = column.kwargs.get("unique") is True
    if column.kwargs.get("index") is True:  # SQLAlchemy's default name, ix_<table>_<column>
        index = f"ix_{table}_{col}"
        after.append((f"CREATE {'UNIQUE ' if unique else ''}INDEX {index} ON {target} ({col})",
                      SqlFacts(index=("create", index.lower(), table.lower(), False, unique))))
    elif unique:
        after.append((f"ALTER TABLE {target} ADD UNIQUE ({col})",
                      SqlFacts(constraints=((table.lower(), "", "unique", False, ""),))))
    return inline, after


SERIALS = {"INTEGER": "SERIAL", "BIGINT": "BIGSERIAL", "SMALLINT": "SMALLSERIAL"}


def _generated_sql(column: Call) -> str:
    """sa.Identity() and sa.Computed(...) as the clause Alembic renders (persisted unless False)."""
    for item in column.args[2:]:
        if isinstance(item, Call) and item.short == "Identity":
            return " GENERATED BY DEFAULT AS IDENTITY"
        if isinstance(item, Call) and item.short == "Computed" and item.kwargs.get("persisted") is not False:
            expression = item.arg(0, "sqltext")
            return f" GENERATED ALWAYS AS ({expression if isinstance(expression, str) else '0'}) STORED"
    return ""


CONSTRAINTS = {"create_foreign_key": "foreign key", "create_check_constraint": "check",
               "create_unique_constraint": "unique", "create_primary_key": "primary key"}


def _constraint_sql(op: Operation) -> tuple[str, SqlFacts]:
    batch = op.batch_table is not None
    raw_name = op.arg(0, "constraint_name")
    # a name the code computes is still the code's name, not one the server chooses
    name = given_name(raw_name) or (_computed(raw_name.source) if isinstance(raw_name, Unknown) else None)
    named = f"CONSTRAINT {name} " if name else ""
    shift = 0 if batch else 1
    table = _ident(op.batch_table if batch else op.arg(1, "table_name" if op.name != "create_foreign_key"
                                                       else "source_table"))
    condition = ""
    if op.name == "create_foreign_key":
        referent = op.arg(1 + shift, "referent_table")
        referent_schema = op.kwargs.get("referent_schema")
        referent_sql = _ident(referent) if not isinstance(referent_schema, str) else \
            f"{referent_schema}.{_ident(referent)}"
        body = (f"FOREIGN KEY ({_columns(op.arg(2 + shift, 'local_cols'))}) REFERENCES "
                f"{referent_sql} ({_columns(op.arg(3 + shift, 'remote_cols'))})")
    elif op.name == "create_check_constraint":
        raw = op.arg(1 + shift, "condition")
        if isinstance(raw, Call) and raw.short == "text" and raw.args:
            raw = raw.args[0]
        condition = raw if isinstance(raw, str) else "1 = 1"
        body = f"CHECK ({condition})"
    elif op.name == "create_unique_constraint":
        body = f"UNIQUE ({_columns(op.arg(1 + shift, 'columns'))})"
    else:
        body = f"PRIMARY KEY ({_columns(op.arg(1 + shift, 'columns'))})"
    not_valid = op.kwargs.get("postgresql_not_valid") is True
    fact = (table.lower(), name.lower() if name else "", CONSTRAINTS[op.name], not_valid,
            condition)
    return (f"ALTER TABLE {_in_schema(op, table)} ADD {named}{body}{_deferrable(op)}"
            f"{' NOT VALID' if not_valid else ''}",
            SqlFacts(constraints=(fact,)))


def _deferrable(op: Operation) -> str:
    """DEFERRABLE and INITIALLY as SQLAlchemy writes them after the constraint."""
    deferrable, initially = op.kwargs.get("deferrable"), op.kwargs.get("initially")
    clause = " DEFERRABLE" if deferrable is True else " NOT DEFERRABLE" if deferrable is False else ""
    return clause + (f" INITIALLY {initially.upper()}" if isinstance(initially, str) else "")


def _computed(source: str) -> str:
    """A name the code computes, shown as such: a variable's name is not the constraint's."""
    return f"(the name held by {source})" if source.isidentifier() else source


def after_commit(sqls: Iterable[str]) -> list[bool]:
    """For each statement, whether it runs after an op.execute("COMMIT") and before the next BEGIN:
    no transaction is open there (the driver does not know the COMMIT ended its own)."""
    flags, outside = [], False
    for sql in sqls:
        keyword = sql.split(None, 1)[0].upper().rstrip(";") if sql.strip() else ""
        outside = outside or keyword == "COMMIT"
        flags.append(outside)
        if keyword == "BEGIN":
            outside = False
    return flags


def statements_from_operations(operations: tuple[Operation, ...], dialect: str) -> tuple[Statement, ...]:
    """The SQL of the operations, each outside a transaction where the op's autocommit block or an
    op.execute("COMMIT") before it puts it, as when rendered."""
    written = [(op, sql, facts) for op in operations for sql, facts in _sql(op, dialect)]
    return tuple(Statement(sql, op.function, op.line, dialect, outside or op.autocommit, facts, op.column,
                           op.end_line)
                 for (op, sql, facts), outside in zip(written, after_commit(s for _, s, _ in written),
                                                       strict=True))
