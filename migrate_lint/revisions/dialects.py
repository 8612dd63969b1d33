"""Dialect branches: which dialects an `if bind.dialect.name == "postgresql":` body runs on.

Revisions branch on `op.get_bind().dialect.name`, `op.get_context().dialect.name`,
`context.get_impl().bind.dialect.name`, `bind.engine.name`, the URL's scheme
(`str(bind.engine.url).startswith("mysql")`, `bind.engine.url.drivername`), the dialect with its
driver (`bind.dialect.dialect_description == "postgresql+psycopg2"`) or a variable holding one of
them. The AST
layer records, for each operation, the dialects it may run on, so that only the configured dialect's
branch is checked: the other branches are neither flagged nor allowed to hide its risks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

# Every dialect a revision may name; the configured one is always among them.
UNIVERSE = frozenset({"postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle"})
# the schemes a URL of each dialect may start with (a MariaDB server is often reached as mysql://)
SCHEMES = {"postgresql": ("postgresql", "postgres"), "mysql": ("mysql",), "mariadb": ("mariadb", "mysql"),
           "sqlite": ("sqlite",), "mssql": ("mssql",), "oracle": ("oracle",)}


def matches(configured: str, literal: str) -> bool:
    """Whether `dialect.name == literal` holds on the configured dialect. A MariaDB server reached
    through a `mysql://` URL calls itself "mysql", so a "mysql" branch runs on MariaDB too."""
    literal = literal.lower()
    return configured == literal or (configured == "mariadb" and literal == "mysql")


@dataclass
class DialectNames:
    """What one scope binds: names holding the dialect name, a dialect object, or a test of it."""

    names: set[str] = field(default_factory=set)
    objects: set[str] = field(default_factory=set)
    tests: dict[str, ast.expr] = field(default_factory=dict)
    urls: set[str] = field(default_factory=set)  # names holding the database URL (as text or object)
    literals: dict[str, str] = field(default_factory=dict)  # MYSQL_ENGINE = 'mysql': a dialect's name

    def learn(self, assignments: Iterable[tuple[str, ast.expr]]) -> None:
        """Single assignments of the scope, in source order: `name = bind.dialect.name`, ..."""
        for name, value in assignments:
            if self.is_name(value):
                self.names.add(name)
            elif self.is_url(value):
                self.urls.add(name)
            elif isinstance(value, ast.Attribute) and value.attr in ("dialect", "engine"):
                self.objects.add(name)  # its .name is the dialect's (manila's engine = bind.engine)
            elif isinstance(value, ast.Constant) and isinstance(value.value, str) \
                    and value.value.lower() in UNIVERSE:
                self.literals[name] = value.value
            elif _mentions(value, self):
                self.tests[name] = value

    def copy(self) -> DialectNames:
        return DialectNames(set(self.names), set(self.objects), dict(self.tests), set(self.urls),
                            dict(self.literals))

    def is_url(self, node: ast.expr) -> bool:
        """`bind.engine.url`, `bind.url`, `str(...)` of one, its `.drivername`, or a name holding one."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" \
                and len(node.args) == 1:
            return self.is_url(node.args[0])
        if isinstance(node, ast.Name):
            return node.id in self.urls
        if isinstance(node, ast.Attribute) and node.attr == "drivername":
            return self.is_url(node.value)
        if isinstance(node, ast.Attribute) and node.attr == "dialect_description":
            # "postgresql+psycopg2": the dialect and its driver, as a URL's scheme (murano)
            owner = node.value
            return (isinstance(owner, ast.Attribute) and owner.attr == "dialect") or (
                isinstance(owner, ast.Name) and owner.id in self.objects)
        if not isinstance(node, ast.Attribute) or node.attr != "url":
            return False
        owner = node.value  # bind.engine.url, op.get_bind().url, connection.url
        if isinstance(owner, ast.Call):
            owner = owner.func
            return isinstance(owner, ast.Attribute) and owner.attr == "get_bind"
        return isinstance(owner, ast.Name) or (isinstance(owner, ast.Attribute)
                                               and owner.attr in ("engine", "bind"))

    def learn_function(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """`def is_mysql(): return dialect_name() == "mysql"` (spiff-arena): a call of it, with no
        arguments, is the test it returns."""
        body = [stmt for stmt in function.body if not (isinstance(stmt, ast.Expr)
                                                       and isinstance(stmt.value, ast.Constant))]
        arguments = function.args
        if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None \
                and not (arguments.args or arguments.posonlyargs or arguments.kwonlyargs) \
                and _mentions(body[0].value, self):
            self.tests[function.name] = body[0].value

    def is_name(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            # the project's own helper that returns the dialect's name (spiff-arena's dialect_name())
            func = node.func
            called = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else ""
            return called.lower().endswith("dialect_name")
        if isinstance(node, ast.Attribute) and node.attr == "name":
            inner = node.value
            return (isinstance(inner, ast.Attribute) and inner.attr in ("dialect", "engine")) or (
                isinstance(inner, ast.Name) and inner.id in self.objects)
        return False


def _mentions(node: ast.expr, known: DialectNames) -> bool:
    return any(isinstance(n, ast.expr) and (known.is_name(n) or _url_test(n, known) is not None or (
        isinstance(n, ast.Name) and n.id in known.tests) or _description(n, known)) for n in ast.walk(node))


def _description(node: ast.expr, known: DialectNames) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "dialect_description" and known.is_url(node)


def _url_test(node: ast.expr, known: DialectNames) -> list[str] | None:
    """The prefixes of `<url>.startswith("mysql")` (or a tuple of them), None for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "startswith" and len(node.args) == 1 and known.is_url(node.func.value):
        return _literals(node.args[0], known)
    return None


def _literals(node: ast.expr, known: DialectNames) -> list[str] | None:
    if isinstance(node, ast.Name) and node.id in known.literals:
        return [known.literals[node.id]]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _truth(node: ast.expr, dialect: str, known: DialectNames, depth: int = 0) -> bool | None:
    """The test's value on `dialect`: True, False, or None when it depends on more than the dialect."""
    if depth > 20:
        return None
    if isinstance(node, ast.Name) and node.id in known.tests:
        return _truth(known.tests[node.id], dialect, known, depth + 1)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in known.tests \
            and not node.args and not node.keywords:
        return _truth(known.tests[node.func.id], dialect, known, depth + 1)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _truth(node.operand, dialect, known, depth + 1)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        values = [_truth(v, dialect, known, depth + 1) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # True decides an `or`, False an `and`
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    if (prefixes := _url_test(node, known)) is not None:
        return any(scheme.startswith(p.lower()) or p.lower().startswith(scheme)
                   for p in prefixes for scheme in SCHEMES.get(dialect, (dialect,)))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right, op = node.left, node.comparators[0], node.ops[0]
        if (known.is_name(right) or known.is_url(right)) and isinstance(op, ast.Eq | ast.NotEq):
            left, right = right, left
        literals = _literals(right, known)
        if known.is_url(left) and literals is not None and isinstance(op, ast.Eq | ast.NotEq | ast.In
                                                                          | ast.NotIn):
            # a whole URL scheme or driver name, "postgresql+psycopg2": its dialect is before the +
            on = any(scheme == literal.lower().split("+")[0].split(":")[0]
                     for literal in literals for scheme in SCHEMES.get(dialect, (dialect,)))
            return on if isinstance(op, ast.Eq | ast.In) else not on
        if not known.is_name(left) or literals is None:
            return None
        found = any(matches(dialect, literal) for literal in literals)
        if isinstance(op, ast.Eq | ast.In | ast.Is):
            return found
        if isinstance(op, ast.NotEq | ast.NotIn | ast.IsNot):
            return not found
    return None


def branches(test: ast.expr, known: DialectNames) -> tuple[frozenset[str], frozenset[str]] | None:
    """The dialects on which the `if` body may run, and those on which its `else` may run; None when
    the test does not look at the dialect."""
    if not _mentions(test, known):
        return None
    values = {dialect: _truth(test, dialect, known) for dialect in UNIVERSE}
    return (frozenset(d for d, v in values.items() if v is not False),
            frozenset(d for d, v in values.items() if v is not True))


def runs_on(dialects: frozenset[str] | None, configured: str) -> bool:
    """Whether code recorded under `dialects` (None: every dialect) runs on the configured one."""
    return dialects is None or configured in dialects
