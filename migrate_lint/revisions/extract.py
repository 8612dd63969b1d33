"""From a revision's AST to its Operations (op.* and batch_op.* calls) and the UPDATEs it runs."""

from __future__ import annotations

import ast
import contextlib
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from migrate_lint.revisions.dialects import DialectNames, branches
from migrate_lint.revisions.migration import (
    ANY_COLUMN,
    ANY_TABLE,
    CREATE_ALL,
    SQL_WRAPPERS,
    Call,
    DataUpdate,
    Operation,
    Ref,
    Unknown,
    is_table_factory,
)

NOT_OPERATIONS = frozenset({"f", "inline_literal"})
# SQL that writes rows, or that looks up the rows holding NULL for the code to handle
_UPDATE_WORD = re.compile(r"\b(?:update|delete|insert|truncate)\b|\bselect\b[\s\S]*\bis\s+null\b",
                          re.IGNORECASE)
COMPUTED = "__computed__"  # an f-string's part the source cannot tell, in SQL it fills
# f"UPDATE t SET {assignments} ...": a SET clause the code builds, of columns it does not name
_COMPUTED_SET = rf"(?is)^\s*UPDATE\s+(?:ONLY\s+)?([\w.\"]+)\s+SET\s+{COMPUTED}\s*(?:WHERE\b|$)"
MAX_HELPER_DEPTH = 8


@dataclass(frozen=True)
class _Context:
    """Where a call is met: its entry function, the batches open around it, autocommit, dialects."""

    function: str
    batches: dict[str, tuple[Any, int, Any]] = field(default_factory=dict)  # name -> (table, line, schema)
    autocommit: bool = False
    depth: int = 0
    dialects: frozenset[str] | None = None  # inside `if bind.dialect.name == ...`: where it runs


def dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _text(node: ast.expr) -> str:
    """The expression's source, for messages; a valid but deeply nested one (hundreds of chained
    `+`) exceeds the recursion ast.unparse needs, and is then only named."""
    try:
        return ast.unparse(node)
    except RecursionError:
        return f"<a {type(node).__name__} expression too deeply nested to show>"


class _Values:
    """Turns argument expressions into literal values, Calls, Refs or Unknown."""

    def __init__(self, constants: dict[str, Any], library: frozenset[str],
                 dialect: DialectNames | None = None) -> None:
        self.constants = constants
        self.library = library  # names bound to SQLAlchemy/Alembic: their calls are declarative values
        self.dialect = dialect or DialectNames()

    def bound(self, names: dict[str, Any]) -> _Values:
        """These values with some names bound (a loop variable to one item)."""
        return _Values({**self.constants, **names}, self.library, self.dialect)

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(item for e in node.elts for item in self._items(e))
        if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
            return {self.value(k): self.value(v) for k, v in zip(node.keys, node.values, strict=True)
                    if k is not None}
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.Name) and node.id in self.library:
            return Ref(node.id)  # `Boolean` of `from sqlalchemy import Column, Boolean` (beaker's)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp | ast.JoinedStr):
            text = None
            with contextlib.suppress(RecursionError):  # hundreds of chained `+`: left as an expression
                text = self._text_of(node)
            if text is not None:
                return text  # "ix_" + table, "uq_%s" % table, f"fk_{table}" with literal parts: a name
        if isinstance(node, ast.Attribute) and (name := dotted(node)):
            loop = self.constants.get(name.split(".", 1)[0])
            if isinstance(loop, Unknown) and (each := _EACH.match(loop.source)):
                return Unknown(f"each {name} of {each['over']}")  # cls.__tablename__ of `for cls in ...`
            return Ref(name)
        return Unknown(_text(node))

    def _items(self, node: ast.expr) -> tuple[Any, ...]:
        """The values an element of a literal tuple gives: `*NAMES` gives each item of a known
        constant (a dict's keys, as iterating it does)."""
        if not isinstance(node, ast.Starred):
            return (self.value(node),)
        spread = self.value(node.value)
        return tuple(spread) if isinstance(spread, tuple | list | dict) else (Unknown(_text(node)),)

    def _text_of(self, node: ast.expr) -> str | None:
        """A string built from literal parts with +, % or an f-string; None when a part is not known."""
        if isinstance(node, ast.JoinedStr):
            parts = [self._text_of(v.value) if isinstance(v, ast.FormattedValue) and v.conversion == -1
                     and v.format_spec is None else v.value if isinstance(v, ast.Constant) else None
                     for v in node.values]
            return "".join(parts) if all(isinstance(p, str) for p in parts) else None  # type: ignore[arg-type]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            left = self._text_of(node.left)
            right = self.value(node.right) if isinstance(node.op, ast.Mod) else self._text_of(node.right)
            if isinstance(node.op, ast.Add):
                return left + right if isinstance(left, str) and isinstance(right, str) else None
            items = right if isinstance(right, tuple) else (right,)
            if isinstance(left, str) and all(isinstance(v, str | int) for v in items):
                with contextlib.suppress(TypeError, ValueError, KeyError):
                    return left % right
            return None
        if isinstance(node, ast.BinOp):
            return None  # a - b, a >> b: not a name
        value = self.value(node)
        return value if isinstance(value, str) else None

    def call(self, node: ast.Call) -> Any:
        func = dotted(node.func)
        if func is not None and func.endswith(".f") and len(node.args) == 1 and not node.keywords:
            return self.value(node.args[0])  # op.f("name"), batch_op.f("name"): a final name
        if func is None or func.split(".", 1)[0] not in self.library:
            return Unknown(_text(node))
        if func.endswith(".f") and len(node.args) == 1:  # op.f("name"): a final name
            return self.value(node.args[0])
        args, kwargs = self.arguments(node)
        return Call(func, args, kwargs)

    def arguments(self, node: ast.Call) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                spread = self._items(arg)  # `sa.Enum(*OLD_LABELS, name=...)` of a list constant
                args.extend(spread)
                if any(isinstance(item, Unknown) for item in spread):
                    break  # positions after an unknown *args are unknowable
                continue
            args.append(self.value(arg))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg:
                kwargs[kw.arg] = self.value(kw.value)
                continue
            spread = self.value(kw.value)
            if isinstance(spread, dict) and all(isinstance(key, str) for key in spread):
                kwargs.update(spread)  # **{"nullable": False}, or a name bound to such a dict literal
            else:
                kwargs["**"] = Unknown(_text(kw.value))
        return tuple(args), kwargs


LIBRARIES = frozenset({"sqlalchemy", "alembic", "sqlmodel", "sqlalchemy_utils", "geoalchemy2",
                       "alembic_postgresql_enum"})
# The statements that hold others, functions and classes aside (their bodies are scopes of their
# own): only these are looked into, and only these bind names in the scope (besides assignments).
BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)
BINDS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)
# A parsed tree holds exactly these classes (the parser makes no subclasses), so the kind of each
# statement the analysis meets is looked up in a set rather than tried against each class in turn
_BLOCK_KINDS = frozenset(BLOCKS)
_BIND_KINDS = frozenset(BINDS)
_SCOPE_KINDS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of a body, nested blocks included, nested functions and classes not."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if type(stmt) not in _BLOCK_KINDS:
            continue
        for attr in ("body", "orelse", "finalbody"):
            stack.extend(reversed(getattr(stmt, attr, None) or ()))
        for block in getattr(stmt, "handlers", ()) or getattr(stmt, "cases", ()):
            stack.extend(reversed(block.body))


def _bound_names(stmt: ast.stmt) -> Iterator[tuple[str, ast.expr | None]]:
    """Names a statement binds, with the value when it is a plain assignment."""
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            for node in ast.walk(target) if not isinstance(target, ast.Name) else (target,):
                if isinstance(node, ast.Name):
                    yield node.id, stmt.value if node is target else None
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target, ast.Name):
        yield stmt.target.id, stmt.value if isinstance(stmt, ast.AnnAssign) else None
    elif isinstance(stmt, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
        targets = [stmt.target] if isinstance(stmt, ast.For | ast.AsyncFor) else [
            i.optional_vars for i in stmt.items if i.optional_vars is not None]
        for target in targets:
            yield from ((n.id, None) for n in ast.walk(target) if isinstance(n, ast.Name))


@dataclass
class Scope:
    """What one body binds: literal constants, SQLAlchemy/Alembic names, `sa.table` variables."""

    constants: dict[str, Any] = field(default_factory=dict)
    library: set[str] = field(default_factory=set)
    tables: dict[str, str] = field(default_factory=dict)
    dialect: DialectNames = field(default_factory=DialectNames)

    @classmethod
    def of(cls, body: list[ast.stmt], outer: Scope | None = None, dialects: bool = True) -> Scope:
        """`dialects=False`: the file never names a dialect, so no name here can hold one."""
        scope = cls(dict(outer.constants), set(outer.library), dict(outer.tables),
                    outer.dialect.copy()) if outer else cls()
        counts: dict[str, int] = {}
        values: dict[str, ast.expr | None] = {}
        functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        for stmt in _statements(body):
            kind = type(stmt)
            if kind is ast.Assign and len(stmt.targets) == 1 and type(stmt.targets[0]) is ast.Name:  # type: ignore[attr-defined]
                name = stmt.targets[0].id  # type: ignore[attr-defined]  # `name = value`, as _bound_names
                counts[name] = counts.get(name, 0) + 1
                values[name] = stmt.value  # type: ignore[attr-defined]
            elif kind in _BIND_KINDS:
                for name, value in _bound_names(stmt):
                    counts[name] = counts.get(name, 0) + 1
                    values[name] = value
            elif kind is ast.Import or kind is ast.ImportFrom:
                scope.library |= _library_names(stmt)  # type: ignore[arg-type]
            elif kind is ast.ClassDef and (table := _tablename(stmt)) is not None:  # type: ignore[arg-type]
                scope.tables[stmt.name] = table  # type: ignore[attr-defined]  # a model the revision declares
            elif dialects and (kind is ast.FunctionDef or kind is ast.AsyncFunctionDef):
                functions.append(stmt)  # type: ignore[arg-type]
        for name, value in values.items():
            scope.constants.pop(name, None)
            if counts[name] == 1 and type(value) is ast.Constant:
                scope.constants[name] = value.value  # type: ignore[union-attr]
            elif counts[name] == 1 and type(value) is ast.Call and _type_call(value, scope.library):  # type: ignore[arg-type]
                # `status_enum = sa.Enum(..., name="status")`, then `type_=status_enum`: the type it names
                scope.constants[name] = _Values(scope.constants, frozenset(scope.library)).call(value)  # type: ignore[arg-type]
            elif counts[name] == 1 and type(value) is ast.Call and _sql_wrapper(value):  # type: ignore[arg-type]
                # `_FILL = sa.text("UPDATE ...")`, then op.execute(_FILL): the SQL it runs
                scope.constants[name] = _Values(scope.constants, frozenset(scope.library)).call(value)  # type: ignore[arg-type]
            elif counts[name] == 1 and isinstance(value, ast.Tuple | ast.List) and any(
                    type(e) is ast.Starred for e in value.elts):
                # `_ALL = ("user_id", *_FILLED)`: the items, where each part is a known constant
                items = _Values(scope.constants, frozenset(scope.library)).value(value)
                if not any(isinstance(item, Unknown) for item in items):
                    scope.constants[name] = items
            elif counts[name] == 1 and type(value) is ast.Dict and value.keys and all(  # type: ignore[attr-defined]
                    type(key) is ast.Constant and isinstance(key.value, str) for key in value.keys):  # type: ignore[attr-defined]
                # `dt_args = {"existing_type": sa.DateTime(), "nullable": False}`, then **dt_args
                scope.constants[name] = _Values(scope.constants, frozenset(scope.library)).value(value)  # type: ignore[arg-type]
            elif counts[name] == 1 and (type(value) is ast.JoinedStr or type(value) is ast.BinOp) \
                    and _text_parts(value) is not None:  # type: ignore[arg-type]
                # `fill_stmt = f"UPDATE ... {enum.name}"`: its text, or Unknown with its source when a
                # part is not known, which _bound_sql reads again for what the SQL writes
                with contextlib.suppress(RecursionError):
                    scope.constants[name] = _Values(scope.constants, frozenset(scope.library)).value(value)  # type: ignore[arg-type]
            elif counts[name] == 1 and value is not None and \
                    (folded := _folded(value, scope.constants)) is not None:
                scope.constants[name] = folded  # cg's `new_options = sorted(old_options + ("taxprofiler",))`
            elif counts[name] == 1 and value is not None:
                with contextlib.suppress(ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    scope.constants[name] = ast.literal_eval(value)
        if dialects:
            scope.dialect.learn((n, v) for n, v in values.items() if counts[n] == 1 and v is not None)
            for function in functions:
                scope.dialect.learn_function(function)
        for name, value in values.items():
            table = _table_of(value, scope.constants) if type(value) in _TABLE_HOLDERS else None
            if table is not None:
                scope.tables[name] = table
        return scope


MAX_FOLDED = 1000  # items of a folded constant: more is data, not labels


def _folded(node: ast.expr, constants: dict[str, Any]) -> tuple[str | int, ...] | None:
    """A tuple of literals the module computes from literals alone: `sorted(...)`, `tuple(...)`,
    `list(...)` and `+` of tuples and lists of strings or numbers, or of constants holding them;
    None for anything else (a value only running the code can tell)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1 \
            and not node.keywords and node.func.id in ("sorted", "tuple", "list"):
        items = _folded(node.args[0], constants)
        if items is None or node.func.id != "sorted":
            return items
        return tuple(sorted(items)) if len({type(i) for i in items}) <= 1 else None  # type: ignore[type-var]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left, constants), _folded(node.right, constants)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Name):
        held = constants.get(node.id)
        items = tuple(held) if isinstance(held, tuple | list) else None
    elif isinstance(node, ast.Tuple | ast.List) and all(isinstance(e, ast.Constant) for e in node.elts):
        items = tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    else:
        return None
    if items is None or len(items) > MAX_FOLDED or \
            not all(isinstance(i, str | int) and not isinstance(i, bool) for i in items):
        return None
    return items


def _library_names(stmt: ast.Import | ast.ImportFrom) -> set[str]:
    """Names an import binds to SQLAlchemy, Alembic and their extensions (`sa`, `Column`, ...)."""
    if isinstance(stmt, ast.Import):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names
                if a.name.split(".")[0] in LIBRARIES}
    if (stmt.module or "").split(".")[0] in LIBRARIES:
        return {a.asname or a.name for a in stmt.names}
    return set()


_TABLE_HOLDERS = frozenset({ast.Call, ast.Subscript})  # the only values _table_of() finds a table in


def _table_of(value: ast.expr | None, constants: dict[str, Any]) -> str | None:
    """The table a variable holds: `sa.table("users", ...)`, `sa.Table(NAME, ...)` or
    `metadata.tables["users"]` (after a reflect); None for anything else."""
    if isinstance(value, ast.Call) and value.args and \
            is_table_factory((dotted(value.func) or "").rsplit(".", 1)[-1]):
        name = value.args[0]
    elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute) and \
            value.value.attr == "tables":
        name = value.slice
    else:
        return None
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        return name.value
    if isinstance(name, ast.Name) and isinstance(constants.get(name.id), str):
        return constants[name.id]  # type: ignore[no-any-return]
    return None


# SQLAlchemy classes that build schema objects rather than a column type: a variable holding one
# stays a name (checks tell a table variable by its name, and a Column is often changed before use)
_STRUCTURES = frozenset({"Table", "MetaData", "Column", "Index", "Sequence", "ForeignKey", "Computed",
                         "Identity", "DDL"})


def _type_call(call: ast.Call, library: set[str]) -> bool:
    """`sa.Enum(...)`, `postgresql.ENUM(...)`, `sa.String(36)`: a SQLAlchemy type's constructor."""
    name = dotted(call.func)
    short = name.rsplit(".", 1)[-1] if name else ""
    return _schema_constructor(call, frozenset(library)) and short not in _STRUCTURES \
        and not short.endswith("Constraint")


def _schema_constructor(call: ast.Call, library: frozenset[str]) -> bool:
    """`sa.Column(...)`, `sa.String(50)`, `ForeignKeyConstraint(...)`: SQLAlchemy classes whose
    arguments are read as values and never hold op.* calls or SQL to run."""
    name = dotted(call.func)
    if name is None or name.split(".", 1)[0] not in library:
        return False
    short = name.rsplit(".", 1)[-1]
    return short[:1].isupper() and short not in SQL_WRAPPERS  # sa.DDL("UPDATE ...") is SQL to run


def names_dialects(source: str | None) -> bool:
    """Whether a revision's text may test its dialect: every such test reads an attribute named
    `dialect`, `engine` or `url` (dialects.py), and an ASCII text without them has none. Most
    revisions have none, and then their scopes and `if` tests are not searched for one."""
    return source is None or not source.isascii() or "dialect" in source or "engine" in source \
        or ".url" in source


def _does_nothing(function: ast.FunctionDef) -> bool:
    """A body of `pass`, `...` or a docstring: it calls nothing (most downgrades of old revisions)."""
    return all(isinstance(stmt, ast.Pass)
               or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
               for stmt in function.body)


class Extractor:
    def __init__(self, tree: ast.Module, dialects: bool = True, module: Scope | None = None) -> None:
        """`dialects=False` when the file never names a dialect (names_dialects); `module`: the
        module's Scope when another Extractor of the same tree already built it."""
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.op_names = {"op"} | {
            alias.asname for node in tree.body if isinstance(node, ast.ImportFrom)
            and node.module == "alembic" for alias in node.names if alias.name == "op" and alias.asname
        }
        # `from alembic.op import create_index`: rucio calls Alembic's operations by their bare names
        self.op_functions = {
            alias.asname or alias.name: alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
            and node.module == "alembic.op" for alias in node.names if alias.name not in NOT_OPERATIONS
        }
        self.dialects = dialects
        self.module = module if module is not None else Scope.of(tree.body, dialects=dialects)
        self.tables: dict[str, str] = dict(self.module.tables)
        self.operations: list[Operation] = []
        self.updates: list[DataUpdate] = []
        self.strings: list[tuple[str, int, int, frozenset[str] | None]] = []
        self.visited: set[str] = set()
        self.tree = tree
        self.stack: list[str] = []

    @cached_property
    def connections(self) -> frozenset[str]:
        """Names that hold Alembic's connection (`conn = op.get_bind()`), anywhere in the module, or
        an ORM session bound to it (`session = Session(bind=conn)`), whose statements run in the
        same transaction (fence copies a table aside with session.execute(text(...)))."""
        assignments = [node for node in ast.walk(self.tree)
                       if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)]
        found = {target.id for node in assignments if _is_connection(node.value)
                 for target in node.targets if isinstance(target, ast.Name)}
        found |= {target.id for node in assignments if _session_of(node.value, found)  # type: ignore[arg-type]
                  for target in node.targets if isinstance(target, ast.Name)}
        return frozenset(found)

    @cached_property
    def commits(self) -> bool:
        """Whether the revision commits or flushes a session (asked only when a loop sets row
        attributes): a commit() or flush() call, or a `with session.begin():` block, which commits
        as it ends (aurweb's `with db.begin():` around its loop)."""
        return any((isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and n.func.attr in ("commit", "flush"))
                   or (isinstance(n, ast.With) and any(
                       isinstance(i.context_expr, ast.Call) and isinstance(i.context_expr.func, ast.Attribute)
                       and i.context_expr.func.attr == "begin" for i in n.items))
                   for n in ast.walk(self.tree))

    def run(self, direction: str = "upgrade") -> None:
        entry_points = [direction, *sorted(n for n in self.functions if n.startswith(direction + "_"))]
        for name in entry_points:
            if name in self.functions and name not in self.visited:
                self._function(name, _Context(function=name))

    def _function(self, name: str, ctx: _Context, bindings: dict[str, Any] | None = None) -> None:
        self.visited.add(name)
        self.stack.append(name)
        node = self.functions[name]
        scope = Scope.of(node.body, self.module, self.dialects)
        self.tables.update(scope.tables)
        params = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
        for param in params:  # a parameter no call binds to a literal reads as what it is, not as a name
            scope.constants[param] = Unknown(f"the {param} argument of {name}()")
        scope.constants.update(_literal_defaults(node.args))  # augur's change_x(upgrade=True)
        scope.constants.update(bindings or {})
        self._body(node.body, ctx, _Values(scope.constants, frozenset(scope.library), scope.dialect))
        self.stack.pop()

    def _bind(self, call: ast.Call, values: _Values) -> dict[str, Any]:
        """Literal arguments of a helper call, by parameter name; the rest stay unknown."""
        node = self.functions[call.func.id]  # type: ignore[attr-defined]
        names = [a.arg for a in node.args.posonlyargs + node.args.args]
        args, kwargs = values.arguments(call)
        bound = {name: value for name, value in zip(names, args, strict=False)}
        bound.update({k: v for k, v in kwargs.items() if k != "**"})
        # an argument the call passes but the source cannot tell overrides the parameter's default
        return {k: v if not isinstance(v, Unknown) else Unknown(f"the {k} argument of {node.name}()")
                for k, v in bound.items()}

    def _body(self, body: list[ast.stmt], ctx: _Context, values: _Values) -> None:
        for stmt in body:
            kind = type(stmt)
            if kind is ast.Expr:  # the usual statement, a call such as op.add_column(...)
                self._expression(stmt.value, ctx, values)  # type: ignore[attr-defined]
                continue
            if kind in _SCOPE_KINDS:
                continue
            if isinstance(stmt, ast.If) and (truth := _known_truth(stmt.test, values)) is not None:
                self._expression(stmt.test, ctx, values)
                self._body(stmt.body if truth else stmt.orelse, ctx, values)  # the branch that runs
                continue
            if isinstance(stmt, ast.If) and self.dialects and (split := branches(stmt.test, values.dialect)):
                ctx = self._dialect_branches(stmt, split, ctx, values)
                continue
            if isinstance(stmt, ast.For) and (columns := _orm_loop_columns(stmt, lambda: self.commits)):
                self.updates.append(DataUpdate(ANY_TABLE, frozenset(columns), stmt.lineno,
                                               len(self.operations), ctx.dialects))
            if isinstance(stmt, ast.For | ast.AsyncFor):
                self._loop(stmt, ctx, values)
                continue
            if isinstance(stmt, ast.With | ast.AsyncWith):
                inner = ctx
                for item in stmt.items:
                    self._expression(item.context_expr, ctx, values)
                    inner = self._enter(item, inner, values)
                self._body(stmt.body, inner, values)
                continue
            for _, child in ast.iter_fields(stmt):
                if isinstance(child, list) and child and isinstance(child[0], ast.stmt):
                    self._body(child, ctx, values)
                elif isinstance(child, list):
                    for item in child:
                        if isinstance(item, ast.expr):
                            self._expression(item, ctx, values)
                        elif isinstance(item, ast.ExceptHandler | ast.match_case):
                            self._body(item.body, ctx, values)
                elif isinstance(child, ast.expr):
                    self._expression(child, ctx, values)

    def _loop(self, stmt: ast.For | ast.AsyncFor, ctx: _Context, values: _Values) -> None:
        """A loop's body once per item when it iterates over literals (`for t in ("a", "b")`, or a
        constant holding them), so each call names its real table; otherwise once, with the loop
        variable standing for "each <name> of the loop over <iterable> (line N)", never a name."""
        self._expression(stmt.iter, ctx, values)
        items = _loop_items(stmt.iter, values)
        names = [n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)]
        if items is None:
            over = f"the loop over {_text(stmt.iter)} (line {stmt.lineno})"
            # and what the body computes from them (`table = cls.__tablename__`) differs per pass too
            unknown = {name: Unknown(f"each {name} of {over}") for name in [*names, *_derived(stmt, names)]}
            self._body(stmt.body, ctx, values.bound(unknown))
        for item in items or ():
            self._body(stmt.body, ctx, values.bound(_unpacked(stmt.target, item)))
        self._body(stmt.orelse, ctx, values)

    def _dialect_branches(self, stmt: ast.If, split: tuple[frozenset[str], frozenset[str]],
                          ctx: _Context, values: _Values) -> _Context:
        """Each branch of a dialect test with the dialects it runs on; the context for what follows
        (after `if dialect != "postgresql": return`, the rest runs on PostgreSQL only)."""
        self._expression(stmt.test, ctx, values)
        within = ctx.dialects if ctx.dialects is not None else split[0] | split[1]
        self._body(stmt.body, replace(ctx, dialects=within & split[0]), values)
        self._body(stmt.orelse, replace(ctx, dialects=within & split[1]), values)
        leaves = [bool(b) and isinstance(b[-1], ast.Return | ast.Raise) for b in (stmt.body, stmt.orelse)]
        if leaves[0] and not leaves[1]:
            return replace(ctx, dialects=within & split[1])
        if leaves[1] and not leaves[0]:
            return replace(ctx, dialects=within & split[0])
        return ctx

    def _enter(self, item: ast.withitem, ctx: _Context, values: _Values) -> _Context:
        expr = item.context_expr
        if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
            return ctx
        if expr.func.attr == "autocommit_block":
            return replace(ctx, autocommit=True)
        if expr.func.attr == "batch_alter_table" and dotted(expr.func.value) in self.op_names:
            args, kwargs = values.arguments(expr)
            table = kwargs.get("table_name", args[0] if args else Unknown(""))
            if isinstance(item.optional_vars, ast.Name):
                batch = (table, expr.lineno, kwargs.get("schema", args[1] if len(args) > 1 else None))
                return replace(ctx, batches={**ctx.batches, item.optional_vars.id: batch})
        return ctx

    def _expression(self, expr: ast.expr, ctx: _Context, values: _Values) -> None:
        """Calls (in evaluation order, outer first) and UPDATE-looking strings inside an expression."""
        stack: list[ast.AST] = [expr]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Constant:
                value = node.value  # type: ignore[attr-defined]
                if type(value) is str and _UPDATE_WORD.search(value):
                    self.strings.append((value, node.lineno, len(self.operations),  # type: ignore[attr-defined]
                                         ctx.dialects))
                continue
            if kind is ast.Name:
                # a module-level SQL string (test_observer's `fill_stages_stmt = f"UPDATE ..."`)
                if (text := _bound_sql(values, node.id)) is not None:  # type: ignore[attr-defined]
                    self.strings.append((text, node.lineno, len(self.operations), ctx.dialects))  # type: ignore[attr-defined]
                continue
            if (kind is ast.JoinedStr or kind is ast.BinOp) and (parts := _text_parts(node)) is not None:  # type: ignore[arg-type]
                # f"UPDATE {table} SET ..." or "UPDATE " + table + " SET ...": what it fills, of
                # some table where a part is one the code computes
                text = _joined_text(values, parts)
                if _UPDATE_WORD.search(text):
                    self.strings.append((text, node.lineno, len(self.operations), ctx.dialects))  # type: ignore[attr-defined]
                continue
            if kind is ast.Call and (parts := _format_parts(node)) is not None:  # type: ignore[arg-type]
                # "UPDATE {table} SET ...".format(table=name): as an f-string is read (ggrc's loops)
                text = _joined_text(values, parts)
                if _UPDATE_WORD.search(text):
                    self.strings.append((text, node.lineno, len(self.operations), ctx.dialects))  # type: ignore[attr-defined]
                stack.extend(reversed([*node.args, *node.keywords]))  # type: ignore[attr-defined]
                continue
            if kind is ast.Call:
                self._call(node, ctx, values)  # type: ignore[arg-type]
                if _schema_constructor(node, values.library):  # type: ignore[arg-type]
                    continue
                # what iter_child_nodes() gives, in its order, without its generic walk over fields
                children: list[ast.AST] = [node.func, *node.args, *node.keywords]  # type: ignore[attr-defined]
            elif kind is ast.Attribute or kind is ast.keyword:
                children = [node.value]  # type: ignore[attr-defined]
            else:
                children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr_context)]
            stack.extend(reversed(children))

    def _call(self, node: ast.Call, ctx: _Context, values: _Values) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            base, name = func.value.id, func.attr
            if base in self.op_names and name not in NOT_OPERATIONS:
                self._record(node, name, ctx, values)
            elif base in ctx.batches and name not in NOT_OPERATIONS:
                self._record(node, name, ctx, values, batch=ctx.batches[base])
            elif name == "execute" and base in self.connections and _literal_sql(node):
                self._record(node, name, ctx, values)  # conn.execute(text("...")): SQL a render emits too
        elif isinstance(func, ast.Attribute) and func.attr == "execute" and isinstance(func.value, ast.Call) \
                and _literal_sql(node) and _is_connection(func.value):
            self._record(node, "execute", ctx, values)  # op.get_bind().execute("...")
        elif isinstance(func, ast.Name) and func.id in self.op_functions and func.id not in self.functions:
            self._record(node, self.op_functions[func.id], ctx, values)
        elif isinstance(func, ast.Name) and func.id in self.functions and func.id not in self.stack \
                and ctx.depth < MAX_HELPER_DEPTH:
            self._function(func.id, replace(ctx, function=func.id, depth=ctx.depth + 1),
                           self._bind(node, values))
        if isinstance(func, ast.Attribute) and func.attr == "execute" and node.args \
                and (emptied := _core_delete_all(node.args[0], self.tables)) is not None:
            # execute(sa.delete(T)) with no where(): the table is emptied (bazarr, before a key change)
            self.updates.append(DataUpdate(emptied, frozenset(), node.lineno, len(self.operations),
                                           ctx.dialects, "empty"))
        if isinstance(func, ast.Attribute) and func.attr == "values":
            self._core_update(node, ctx, values)
        elif isinstance(func, ast.Attribute) and func.attr in ("where", "delete") and (deleted := (
                _core_delete_of_nulls if func.attr == "where" else _orm_delete_of_nulls)(node, self.tables)):
            self.updates.append(DataUpdate(deleted[0], frozenset({deleted[1]}), node.lineno,
                                           len(self.operations), ctx.dialects))
        elif isinstance(func, ast.Attribute) and func.attr == "update" \
                and (columns := _orm_update_columns(node)):
            self.updates.append(DataUpdate(ANY_TABLE, frozenset(columns), node.lineno,
                                           len(self.operations), ctx.dialects))
        elif isinstance(func, ast.Attribute) and func.attr in ("create_all", "create"):
            self._python_create(node, func, ctx)

    def _record(self, node: ast.Call, name: str, ctx: _Context, values: _Values,
                batch: tuple[Any, int, Any] | None = None) -> None:
        args, kwargs = values.arguments(node)
        if legacy := LEGACY_KEYWORDS.get(name):
            kwargs = {legacy.get(key, key): value for key, value in kwargs.items()}
        self.operations.append(Operation(
            name=name, args=args, kwargs=kwargs, function=ctx.function, line=node.lineno,
            end_line=node.end_lineno or node.lineno, column=node.col_offset + 1,
            batch_table=batch[0] if batch else None, autocommit=ctx.autocommit,
            batch_line=batch[1] if batch else None, dialects=ctx.dialects,
            batch_schema=batch[2] if batch else None))

    def _python_create(self, node: ast.Call, func: ast.Attribute, ctx: _Context) -> None:
        """`metadata.create_all(bind, tables=[Model.__table__])` or `Model.__table__.create(bind)`:
        tables this revision creates without Alembic (recorded as a CREATE_ALL pseudo-operation)."""
        if func.attr == "create_all":
            listed = next((kw.value for kw in node.keywords if kw.arg == "tables"), None)
            items = listed.elts if isinstance(listed, ast.List | ast.Tuple) else []
        else:
            items = [func.value]
        tables = tuple(t for t in (_created_table(item, self.tables) for item in items) if t)
        if tables:
            self.operations.append(Operation(
                name=CREATE_ALL, args=tables, kwargs={}, function=ctx.function, line=node.lineno,
                end_line=node.end_lineno or node.lineno, column=node.col_offset + 1, dialects=ctx.dialects))

    def _core_update(self, node: ast.Call, ctx: _Context, values: _Values) -> None:
        """`tbl.update().values(col=...)` or `sa.update(tbl).values(...)` on a known `sa.table`."""
        table = _updated_table(node.func.value, self.tables, named=values.value)  # type: ignore[attr-defined]
        if table is None and _any_update(node.func.value):  # type: ignore[attr-defined]
            table = ANY_TABLE
        if table is None:
            return
        columns = {kw.arg for kw in node.keywords if kw.arg}
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                columns |= {_column_key(k) for k in arg.keys if k is not None} - {None}  # type: ignore[arg-type]
        if columns:
            self.updates.append(
                DataUpdate(table, frozenset(columns), node.lineno, len(self.operations), ctx.dialects))


def _format_parts(node: ast.Call) -> list[ast.expr] | None:
    """The parts of `"template".format(...)`, as _text_parts gives an f-string's: the template's
    literals and, for each field, the argument it names; None for any other call, or a field this
    cannot place (`{0.name}`, a conversion or a format spec keep it as it was)."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "format" and isinstance(func.value, ast.Constant)
            and isinstance(func.value.value, str)):
        return None
    keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    parts: list[ast.expr] = []
    automatic = 0
    try:
        fields = list(string.Formatter().parse(func.value.value))
    except ValueError:
        return None
    for literal, name, spec, conversion in fields:
        if literal:
            parts.append(ast.Constant(literal))
        if name is None:
            continue
        if spec or conversion:
            return None
        if name == "":
            name, automatic = str(automatic), automatic + 1
        if name.isdigit():
            if int(name) >= len(node.args) or isinstance(node.args[int(name)], ast.Starred):
                return None
            parts.append(node.args[int(name)])
        elif name in keywords:
            parts.append(keywords[name])
        else:
            return None
    return parts


def _text_parts(node: ast.JoinedStr | ast.BinOp) -> list[ast.expr] | None:
    """The parts a string is built from, in order: an f-string's literals and values, or the
    operands of a chain of `+` that starts with a string literal; None for any other operation."""
    if isinstance(node, ast.JoinedStr):
        return [part.value if isinstance(part, ast.FormattedValue) else part for part in node.values]
    parts: list[ast.expr] = []
    left: ast.expr = node
    while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
        parts.append(left.right)
        left = left.left
    parts.append(left)
    parts.reverse()
    first = parts[0]
    return parts if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _sql_wrapper(call: ast.Call) -> bool:
    """`sa.text("...")`, `DDL("...")`: literal SQL wrapped to run."""
    return (dotted(call.func) or "").rsplit(".", 1)[-1] in SQL_WRAPPERS and bool(call.args) \
        and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)


def _literal_sql(call: ast.Call) -> bool:
    """The call's first argument is SQL written in the revision: a string or an f-string, or text()
    / DDL() of one."""
    argument = call.args[0] if call.args else None
    if isinstance(argument, ast.Call) and (dotted(argument.func) or "").rsplit(".", 1)[-1] in SQL_WRAPPERS \
            and argument.args:
        argument = argument.args[0]
    return (isinstance(argument, ast.Constant) and isinstance(argument.value, str)) or \
        isinstance(argument, ast.JoinedStr)


def _session_of(call: ast.Call, connections: set[str]) -> bool:
    """`Session(bind=conn)`, `orm.Session(conn)`: a session on Alembic's connection."""
    if (dotted(call.func) or "").rsplit(".", 1)[-1] != "Session":
        return False
    bound = next((k.value for k in call.keywords if k.arg == "bind"), call.args[0] if call.args else None)
    return bound is not None and ((isinstance(bound, ast.Name) and bound.id in connections)
                                  or _is_connection(bound))


def _is_connection(expression: ast.expr) -> bool:
    """Alembic's connection, whose statements run in the migration's transaction as op.execute's
    do: `op.get_bind()`, `op.get_context().bind`, `context.get_bind()`."""
    text = _text(expression).removesuffix("()")
    return text.endswith(("op.get_bind", "context.get_bind")) or text.endswith("get_context().bind")


def _literal_defaults(arguments: ast.arguments) -> dict[str, Any]:
    """Parameters whose default is a literal True, False, None, number or string, with that value."""
    positional = arguments.posonlyargs + arguments.args
    with_default = positional[len(positional) - len(arguments.defaults):]
    keyword_only = zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    pairs = [*zip(with_default, arguments.defaults, strict=True),
             *((a, d) for a, d in keyword_only if d is not None)]
    return {a.arg: d.value for a, d in pairs if isinstance(d, ast.Constant)}


def _known_truth(test: ast.expr, values: _Values) -> bool | None:
    """Whether an `if` test is true, where it is a flag the source fixes (a literal, a name bound
    to True/False/None, `not` of one); None otherwise."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _known_truth(test.operand, values)
        return None if inner is None else not inner
    value = test.value if isinstance(test, ast.Constant) else \
        values.constants.get(test.id, Unknown("")) if isinstance(test, ast.Name) else Unknown("")
    return bool(value) if value is None or isinstance(value, bool) else None


def _joined_text(values: _Values, parts: list[ast.expr]) -> str:
    """A string's text, each part the source cannot tell written as COMPUTED."""
    return "".join(part.value if isinstance(part, ast.Constant) and isinstance(part.value, str)
                   else _text_or(values, part, COMPUTED) for part in parts)


def _bound_sql(values: _Values, name: str) -> str | None:
    """The UPDATE-looking text a name is bound to: a string constant, or an f-string whose parts
    the source does not all tell (a module constant left Unknown, read again from its source)."""
    bound = values.constants.get(name)
    if isinstance(bound, Call) and bound.short in SQL_WRAPPERS and bound.args:
        bound = bound.args[0]
    if isinstance(bound, str):
        return bound if _UPDATE_WORD.search(bound) else None
    if not (isinstance(bound, Unknown) and bound.source[:2] in ('f"', "f'")):
        return None
    try:
        node = ast.parse(bound.source, mode="eval").body
    except (SyntaxError, RecursionError):
        return None
    parts = _text_parts(node) if isinstance(node, ast.JoinedStr | ast.BinOp) else None
    text = _joined_text(values, parts) if parts is not None else None
    return text if text is not None and _UPDATE_WORD.search(text) else None


def _text_or(values: _Values, node: ast.expr, otherwise: str) -> str:
    """An f-string part as text where the source tells it (a literal, a loop's item), else otherwise."""
    with contextlib.suppress(RecursionError):
        if isinstance(text := values._text_of(node), str):
            return text
    return otherwise


MAX_LOOP_ITEMS = 50  # a longer literal list is data, not a list of tables


def _loop_items(node: ast.expr, values: _Values) -> tuple[Any, ...] | None:
    """The literal items a loop iterates over (also through reversed/sorted/list/tuple), or None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1 and \
            node.func.id in ("reversed", "sorted", "list", "tuple") and not node.keywords:
        items = _loop_items(node.args[0], values)
        return tuple(reversed(items)) if items is not None and node.func.id == "reversed" else \
            tuple(sorted(items, key=repr)) if items is not None and node.func.id == "sorted" else items
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args \
            and node.func.attr in ("items", "keys", "values") and isinstance(node.func.value, ast.Name):
        # `for column, default in FILLED.items()` over a dict constant
        mapping = values.value(node.func.value)
        if not isinstance(mapping, dict) or any(isinstance(v, Unknown | Call | Ref)
                                                for v in mapping.values()):
            return None
        found = tuple(mapping.items()) if node.func.attr == "items" else \
            tuple(mapping) if node.func.attr == "keys" else tuple(mapping.values())
        return found if found and len(found) <= MAX_LOOP_ITEMS else None
    if not isinstance(node, ast.Tuple | ast.List | ast.Name | ast.Set):
        return None
    found = values.value(node) if not isinstance(node, ast.Set) else \
        tuple(values.value(e) for e in node.elts)
    if isinstance(found, list | set | frozenset):
        found = tuple(found)
    if not isinstance(found, tuple) or not found or len(found) > MAX_LOOP_ITEMS or \
            any(isinstance(item, Unknown | Call | Ref) for item in found):
        return None
    return found


_EACH = re.compile(r"each [\w.]+ of (?P<over>the loop over .*)$")


def _derived(loop: ast.For | ast.AsyncFor, names: list[str]) -> list[str]:
    """Names the loop's body assigns from its loop variables, outside nested functions."""
    found: list[str] = []
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        if type(node) in _SCOPE_KINDS:
            continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
            found.append(node.targets[0].id)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _unpacked(target: ast.expr, item: Any) -> dict[str, Any]:
    """Loop variables bound to one item (`for name, kind in PAIRS` unpacks each pair)."""
    if isinstance(target, ast.Name):
        return {target.id: item}
    if isinstance(target, ast.Tuple | ast.List) and isinstance(item, tuple | list) and \
            len(item) == len(target.elts):
        bound: dict[str, Any] = {}
        for sub, value in zip(target.elts, item, strict=True):
            bound.update(_unpacked(sub, value))
        return bound
    return {n.id: Unknown(n.id) for n in ast.walk(target) if isinstance(n, ast.Name)}


def _created_table(node: ast.expr, tables: dict[str, str]) -> str | None:
    """`Model.__table__` (Flask-SQLAlchemy's default name: the class name in snake_case) or a
    variable holding `sa.Table("name", ...)`."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__" and isinstance(node.value, ast.Name):
        return _model_table(node.value.id)
    if isinstance(node, ast.Name):
        return tables.get(node.id)
    return None


def _model_table(model: str) -> str:
    """The table Flask-SQLAlchemy names a model class's: the class name in snake_case."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", model).lower()


def _column_key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute):  # tbl.c.col
        return node.attr
    return None


_QUERY_CALLS = frozenset({"query", "filter", "filter_by", "where"})


# The keyword names of Alembic before 0.8, which it accepted long after (group-based-policy's
# create_foreign_key(name=..., source=..., referent=...)): read as today's
LEGACY_KEYWORDS = {
    "create_primary_key": {"name": "constraint_name", "cols": "columns"},
    "create_foreign_key": {"name": "constraint_name", "source": "source_table", "referent": "referent_table"},
    "create_unique_constraint": {"name": "constraint_name", "source": "table_name", "local_cols": "columns"},
    "create_check_constraint": {"name": "constraint_name", "source": "table_name"},
    "drop_constraint": {"name": "constraint_name"},
    "create_index": {"name": "index_name"},
    "drop_index": {"name": "index_name", "tablename": "table_name"},
}


def _tablename(model: ast.ClassDef) -> str | None:
    """The literal `__tablename__` of a model class the revision declares for its data steps."""
    for stmt in model.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id == "__tablename__" and isinstance(stmt.value, ast.Constant) \
                and isinstance(stmt.value.value, str):
            return stmt.value.value
    return None


def _orm_delete_of_nulls(node: ast.Call, tables: dict[str, str]) -> tuple[str, str] | None:
    """(table, column) of `session.query(M).filter(M.col.is_(None)).delete()` (or `M.col == None`)
    on a model the revision declares: the rows where the column is NULL are gone (optuna)."""
    if node.args or not isinstance(node.func, ast.Attribute):
        return None
    filtered = node.func.value
    if not (isinstance(filtered, ast.Call) and isinstance(filtered.func, ast.Attribute)
            and filtered.func.attr in ("filter", "where") and len(filtered.args) == 1):
        return None
    query = filtered.func.value
    if not (isinstance(query, ast.Call) and isinstance(query.func, ast.Attribute)
            and query.func.attr == "query" and len(query.args) == 1
            and isinstance(query.args[0], ast.Name) and query.args[0].id in tables):
        return None
    test = filtered.args[0]
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "is_" \
            and len(test.args) == 1 and isinstance(test.args[0], ast.Constant) and test.args[0].value is None:
        column = test.func.value
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        column = test.left
    else:
        return None
    if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Name) \
            and column.value.id == query.args[0].id:
        return tables[query.args[0].id], column.attr
    return None


def _orm_update_columns(node: ast.Call) -> set[str]:
    """Columns an ORM bulk update sets: peewee's `Model.update(col=...)` (a class, by its capital) or
    SQLAlchemy's `session.query(M).filter(...).update({"col": ...})`. Its table is the model's, which
    the syntax tree cannot name; a plain dict's `.update()` is neither."""
    receiver = node.func.value  # type: ignore[attr-defined]
    if isinstance(receiver, ast.Name) and receiver.id[:1].isupper() and not node.args:
        return {kw.arg for kw in node.keywords if kw.arg}
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute) \
            and receiver.func.attr in _QUERY_CALLS and node.args and isinstance(node.args[0], ast.Dict):
        return {key for k in node.args[0].keys if k is not None and (key := _column_key(k))}
    return set()


def _any_update(node: ast.expr) -> bool:
    """`name.update()` or `sa.update(name)` on a name that holds some table (a loop variable)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "update":
            if isinstance(sub.func.value, ast.Name) and not sub.args and not sub.keywords:
                return True
            if dotted(sub.func) in ("sa.update", "sqlalchemy.update") and sub.args \
                    and isinstance(sub.args[0], ast.Name):
                return True
    return False


_ROW_SOURCES = frozenset({"query", "all", "fetchall", "scalars", "execute", "yield_per"})


_KEY_SUFFIXES = ("id", "name", "uuid", "key")  # the foreign-key column of a relationship `rel`: rel_id, ...


def _orm_loop_columns(loop: ast.For, commits: Callable[[], bool]) -> set[str]:
    """Columns an ORM loop sets on every row it reads (`for row in session.query(M): row.c = ...`),
    when the revision commits or flushes the session, or the loop saves each row (`row.save()`,
    peewee's and Django's way): without that nothing is written."""
    rows = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    saves = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "save"
                and isinstance(n.func.value, ast.Name) and n.func.value.id in rows
                for stmt in loop.body for n in ast.walk(stmt))
    # rows read by a query, or held in a variable a query filled (`for ann in query:`, h's batched
    # backfills): objects whose attributes the loop sets and the session then commits
    reads_rows = isinstance(loop.iter, ast.Name) or any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _ROW_SOURCES
        for n in ast.walk(loop.iter))
    if not (saves or (reads_rows and commits())):
        return set()
    assigned = {target.attr for stmt in loop.body for node in ast.walk(stmt)
                if isinstance(node, ast.Assign | ast.AugAssign)
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                and target.value.id in rows}
    # `row.branch = obj` sets a relationship, which writes its foreign-key column (copr's
    # chroot.distgit_branch fills distgit_branch_name)
    return assigned | {f"{attr}_{suffix}" for attr in assigned for suffix in _KEY_SUFFIXES}


def _core_delete_all(node: ast.expr, tables: dict[str, str]) -> str | None:
    """The table `sa.delete(T)` or `T.delete()` deletes every row of, where nothing filters it: a
    variable holding a `sa.table`, or a model class (named as Flask-SQLAlchemy names its table)."""
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "delete" and not node.args:
        target = func.value  # T.delete()
    elif (dotted(func) or "").rsplit(".", 1)[-1] == "delete" and len(node.args) == 1:
        target = node.args[0]  # sa.delete(T)
    else:
        return None  # a where() or anything else around the delete: not every row
    known = _updated_table(node, tables, "delete")  # a `sa.table` variable, or one written inline
    return known or (_model_table(target.id) if isinstance(target, ast.Name) else None)


def _core_delete_of_nulls(node: ast.Call, tables: dict[str, str]) -> tuple[str, str] | None:
    """(table, column) of `sa.delete(t).where(t.c.col.is_(None))` or `t.delete().where(...)` on a
    known `sa.table`: the rows where the column is NULL are gone, as after a backfill (dstack)."""
    base = node.func.value  # type: ignore[attr-defined]
    if not isinstance(base, ast.Call) or len(node.args) != 1 or node.keywords:
        return None
    table = _updated_table(base, tables, "delete")
    test = node.args[0]
    if table is None or not (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute)
                             and test.func.attr == "is_" and len(test.args) == 1
                             and isinstance(test.args[0], ast.Constant) and test.args[0].value is None
                             and isinstance(test.func.value, ast.Attribute)):
        return None
    return table, test.func.value.attr


def _updated_table(node: ast.expr, tables: dict[str, str], verb: str = "update",
                   named: Callable[[ast.expr], Any] | None = None) -> str | None:
    """The known `sa.table` a Core statement works on: `t.update()` or `sa.update(t)` (or `delete`).
    `named` gives a value to an inline table's name, a loop variable's item (szurubooru's
    `sa.table(table, ...).update()` in `for table in tables`); without it, only a literal counts."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        if isinstance(func, ast.Attribute) and func.attr == verb \
                and isinstance(func.value, ast.Name) and func.value.id in tables:
            return tables[func.value.id]
        if isinstance(func, ast.Attribute) and func.attr == verb and not sub.args \
                and (inline := _inline_table(func.value, named)):
            return inline
        if (dotted(func) or "").rsplit(".", 1)[-1] == verb and sub.args:
            target = sub.args[0]
            if isinstance(target, ast.Name) and target.id in tables:
                return tables[target.id]
            # sa.update(sa.table("secrets", sa.column("name"), schema="secrets")): the table inline
            if inline := _inline_table(target, named):
                return inline
    return None


def _inline_table(node: ast.expr, named: Callable[[ast.expr], Any] | None) -> str | None:
    """The name of an `sa.table("name", ...)` written in place, as a literal or as `named` gives it."""
    if not (isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1] == "table"
            and node.args):
        return None
    name = node.args[0]
    value = name.value if isinstance(name, ast.Constant) else named(name) if named else None
    return value if isinstance(value, str) else None


def downgrade_operations(tree: ast.Module, source: str | None = None, module: Scope | None = None
                         ) -> tuple[Operation, ...]:
    """The op.* calls of `downgrade()` and its helpers (rules about whether it can run read them).
    `source`: the tree's text, for names_dialects; `module`: its module Scope, if already built."""
    entry_points = [f for f in tree.body if isinstance(f, ast.FunctionDef)
                    and (f.name == "downgrade" or f.name.startswith("downgrade_"))]
    if all(_does_nothing(f) for f in entry_points):
        return ()  # nothing runs, so nothing is called: no Scope to build
    extractor = Extractor(tree, names_dialects(source), module)
    extractor.run("downgrade")
    return tuple(extractor.operations)


def extract(tree: ast.Module, source: str | None = None
            ) -> tuple[tuple[Operation, ...], tuple[DataUpdate, ...]]:
    """Operations in execution order and the UPDATEs found in `upgrade()` and its helpers."""
    return _extract(Extractor(tree, names_dialects(source)))


def extract_both(tree: ast.Module, source: str | None = None
                 ) -> tuple[tuple[Operation, ...], tuple[DataUpdate, ...], tuple[Operation, ...]]:
    """extract() and downgrade_operations() of one tree, sharing the module's Scope."""
    extractor = Extractor(tree, names_dialects(source))
    operations, updates = _extract(extractor)
    return operations, updates, downgrade_operations(tree, source, extractor.module)


def _extract(extractor: Extractor) -> tuple[tuple[Operation, ...], tuple[DataUpdate, ...]]:
    extractor.run()
    updates = list(extractor.updates)
    if extractor.strings:
        from migrate_lint.sql.writes import data_writes

        for text, line, position, dialects in extractor.strings:
            updates.extend(DataUpdate(ANY_TABLE if w.table == COMPUTED else w.table, w.columns, line,
                                      position, dialects, w.kind, _known_reads(w.reads))
                           for w in data_writes(text))
            if match := re.match(_COMPUTED_SET, text):
                table = match[1].strip('"').rsplit(".", 1)[-1]
                updates.append(DataUpdate(ANY_TABLE if table == COMPUTED else table, frozenset({ANY_COLUMN}),
                                          line, position, dialects))
    return tuple(extractor.operations), tuple(sorted(updates, key=lambda u: u.position))


def _known_reads(reads: frozenset[str] | None) -> frozenset[str] | None:
    """What the SQL reads, a name an f-string computes standing for any table or column."""
    if reads is None:
        return None
    known = set()
    for read in reads:
        table, _, column = read.rpartition(".")
        known.add(f"{ANY_TABLE if table == COMPUTED else table}."
                  f"{ANY_COLUMN if column == COMPUTED else column}")
    return frozenset(known)
