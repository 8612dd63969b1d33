"""Database errors a revision catches and goes on from: `try: op.add_column(...) except Exception:
pass` or `with suppress(ProgrammingError):` around a statement, read from the syntax tree. On
PostgreSQL the failed statement has already aborted the migration's transaction, so going on is
not possible (swallowed-database-error)."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

# What a database error is raised as: SQLAlchemy's and the drivers' classes, or anything at all.
_BROAD = frozenset({"Exception", "BaseException"})
_DATABASE_ERRORS = frozenset({
    "SQLAlchemyError", "DBAPIError", "DatabaseError", "OperationalError", "ProgrammingError",
    "IntegrityError", "InternalError", "NotSupportedError", "DataError", "StatementError",
    "NoSuchTableError", "InvalidRequestError", "Error",
})
_DRIVERS = frozenset({"psycopg", "psycopg2", "asyncpg", "pg8000", "pymysql", "MySQLdb", "mysql"})
# op.* calls that run nothing on the database
_NOT_STATEMENTS = frozenset({"f", "get_bind", "get_context", "inline_literal", "implementation_for",
                             "register_operation", "invoke"})
# methods that send SQL on a connection or session
_SENDS = frozenset({"execute", "exec_driver_sql", "flush", "commit", "scalar", "scalars", "bulk_insert",
                    "create_all", "drop_all", "bulk_save_objects", "bulk_insert_mappings",
                    "bulk_update_mappings"})


@dataclass(frozen=True)
class Swallow:
    """One place where a database error is caught and the revision goes on."""

    line: int  # of the `except` (or the `with suppress(...)`)
    column: int
    caught: str  # how it catches, as written: "except Exception", "except:", "suppress(ProgrammingError)"
    function: str  # the function the try is in
    first: int  # the lines of the guarded statements
    last: int
    helpers: tuple[str, ...]  # module functions the guarded lines call
    beside_op: bool  # SQL is sent otherwise than by an op.* call (conn.execute(), a session)


def _names(node: ast.expr | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, ast.Tuple):
        return [name for element in node.elts for name in _names(element)]
    return [ast.unparse(node)]


def _database_error(written: str) -> bool:
    parts = written.split(".")
    if parts[-1] in _BROAD or (len(parts) > 1 and (parts[0] in _DRIVERS or "errors" in parts[:-1])):
        return True
    return parts[-1] in _DATABASE_ERRORS and (len(parts) == 1 or parts[0] in ("sa", "sqlalchemy")
                                              or "exc" in parts[:-1])


def _goes_on(handler: ast.ExceptHandler) -> bool:
    """Whether the handler lets the revision continue: no raise, no exit, no rollback (which ends
    the failed transaction, a different story)."""
    for node in ast.walk(handler):
        if isinstance(node, ast.Raise):
            return False
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                node.func.id if isinstance(node.func, ast.Name) else ""
            if name in ("exit", "_exit", "abort", "rollback", "fail") or _sends_rollback(node):
                return False
    return True


def _sends_rollback(call: ast.Call) -> bool:
    """`op.execute("ROLLBACK")`, `conn.execute(text("rollback"))`: the handler ends the failed
    transaction in SQL."""
    argument = call.args[0] if call.args else None
    if isinstance(argument, ast.Call) and argument.args:
        argument = argument.args[0]
    return isinstance(argument, ast.Constant) and isinstance(argument.value, str) \
        and argument.value.strip().rstrip(";").strip().lower() in ("rollback", "rollback transaction",
                                                                    "abort")


def _sends_sql(nodes: list[ast.stmt], functions: dict[str, ast.FunctionDef]
              ) -> tuple[bool, tuple[str, ...], bool]:
    """Whether the statements send SQL (op.*, .execute() and the like), directly or through a
    function of the module they call; which such functions they call; and whether any SQL goes
    otherwise than through op.*."""
    helpers = []
    sends = beside_op = False
    for statement in nodes:
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute):
                if isinstance(func.value, ast.Name) and func.value.id in ("op", "batch_op") \
                        and func.attr not in _NOT_STATEMENTS:
                    sends = True
                elif func.attr in _SENDS:
                    sends = beside_op = True
            elif isinstance(func, ast.Name) and func.id in functions:
                inner, _, other = _sends_sql(functions[func.id].body, {})
                if inner:
                    sends, beside_op = True, beside_op or other
                    helpers.append(func.id)
    return sends, tuple(helpers), beside_op


def _savepoint(nodes: list[ast.stmt]) -> bool:
    return any(isinstance(node, ast.Attribute) and node.attr == "begin_nested"
               for statement in nodes for node in ast.walk(statement))


def _suppressed(item: ast.withitem) -> list[str]:
    call = item.context_expr
    if isinstance(call, ast.Call) and ast.unparse(call.func).split(".")[-1] == "suppress":
        return [name for arg in call.args for name in _names(arg)]
    return []


def _opens_savepoint(node: ast.AST) -> bool:
    return isinstance(node, ast.With) and any(
        isinstance(inner, ast.Attribute) and inner.attr == "begin_nested"
        for item in node.items for inner in ast.walk(item.context_expr))


def _outside_savepoints(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """The function's nodes in ast.walk's order, but none inside a `with ...begin_nested():`, where
    a failure rolls back only to the savepoint."""
    todo: deque[ast.AST] = deque([function])
    while todo:
        node = todo.popleft()
        yield node
        if not _opens_savepoint(node):
            todo.extend(ast.iter_child_nodes(node))


def _caught_by_try(node: ast.Try) -> tuple[ast.ExceptHandler, str] | None:
    """The first handler that catches a database error and goes on, with how it is written."""
    for handler in node.handlers:
        caught = _names(handler.type)
        if (not caught or any(map(_database_error, caught))) and _goes_on(handler):
            return handler, f"except {', '.join(caught)}" if caught else "except:"
    return None


def _following(function: ast.FunctionDef) -> dict[int, ast.stmt]:
    """Each statement's next one in its block, by id."""
    found: dict[int, ast.stmt] = {}
    for node in ast.walk(function):
        for block in (getattr(node, name, None) for name in ("body", "orelse", "finalbody")):
            if isinstance(block, list):
                found.update((id(a), b) for a, b in pairwise(block))
    return found


def _stored(nodes: list[ast.stmt] | list[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _stops_after(function: ast.FunctionDef, node: ast.Try, handler: ast.ExceptHandler,
                 following: ast.stmt | None) -> bool:
    """The statement after the try reads a name only the try's body binds: when the statement
    fails, the revision stops there with an UnboundLocalError instead of going on (auth-api's
    `root_group_id = session.execute(...).scalar()`, then `if root_group_id is None`)."""
    if following is None:
        return False
    before = [n for n in ast.walk(function) if isinstance(n, ast.stmt) and n.end_lineno is not None
              and n.end_lineno < node.lineno and n is not function]
    unbound = _stored(node.body) - _stored(handler.body) - _stored(before)  # type: ignore[arg-type]
    return any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in unbound
               for n in ast.walk(following))


def _in_function(function: ast.FunctionDef, functions: dict[str, ast.FunctionDef]) -> list[Swallow]:
    found = []
    following: dict[int, ast.stmt] | None = None  # built at the first try that swallows
    for node in _outside_savepoints(function):
        if not isinstance(node, ast.Try | ast.With) or _savepoint(node.body):
            continue
        at: ast.stmt | ast.ExceptHandler = node
        if isinstance(node, ast.Try):
            caught = _caught_by_try(node)
            at, written = caught if caught else (node, "")
            if caught:
                following = following if following is not None else _following(function)
                if _stops_after(function, node, caught[0], following.get(id(node))):
                    continue
        else:
            names = [name for item in node.items for name in _suppressed(item)]
            written = f"suppress({', '.join(names)})" if any(map(_database_error, names)) else ""
        sends, helpers, beside_op = _sends_sql(node.body, functions) if written else (False, (), False)
        if sends:
            found.append(Swallow(at.lineno, at.col_offset + 1, written, function.name, node.body[0].lineno,
                                 node.body[-1].end_lineno or node.lineno, helpers, beside_op))
    return found


@lru_cache(maxsize=256)
def swallowed(source: str) -> tuple[Swallow, ...]:
    """The places in upgrade() and the functions it calls where a database error is caught and the
    revision goes on."""
    if "try:" not in source and "suppress(" not in source:
        return ()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return ()
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    upgrades = [f for name, f in functions.items() if name.startswith("upgrade")]
    called = {node.func.id for f in upgrades for node in ast.walk(f)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions}
    reached = [f for name, f in functions.items()
               if name.startswith("upgrade") or (name in called and not name.startswith("downgrade"))]
    return tuple(swallow for function in reached for swallow in _in_function(function, functions))
