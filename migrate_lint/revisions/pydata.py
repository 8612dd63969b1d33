"""Data migrations written in Python, read from a revision's syntax tree: commits, row-by-row loops
and Core UPDATEs with no WHERE. Rendering cannot see them (they need a database), so rules read
them here (commit-in-migration, row-by-row-update, update-without-where on unrendered revisions)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

from migrate_lint.revisions.migration import SQL_WRAPPERS, is_table_factory

ROW_SOURCES = frozenset({"query", "all", "fetchall", "scalars", "yield_per"})
FILTERS = frozenset({"where", "filter", "filter_by"})
# What any finding here needs in the text: a commit, a row source, a Core update, or an execute()
# that is not op.execute() (whose literal SQL is already among the statements).
_GATE = re.compile(r"\.commit\(|\.(?:query|all|fetchall|scalars|yield_per)\(|\.update\(|(?<!\bop)\.execute\(")
# The gate's literal parts: plain substring tests are ten times faster than the regex (which has no
# literal prefix to scan for), and a text with none of them cannot match it.
_GATE_WORDS = (".commit(", ".query(", ".all(", ".fetchall(", ".scalars(", ".yield_per(", ".update(",
               ".execute(")


@dataclass(frozen=True)
class PyData:
    """What a revision does through Python rather than op.*: commits, row loops, SQL it runs itself."""

    commits: tuple[tuple[int, int, str, str], ...] = ()  # (line, column, function, kind) of .commit() calls
    row_loops: tuple[tuple[int, int, str], ...] = ()  # (line, column, what it reads) of each loop
    unfiltered: tuple[tuple[int, int, str], ...] = ()  # (line, column, table) of UPDATEs without WHERE
    calls: tuple[tuple[str, int], ...] = ()  # (helper, line of its first call from an upgrade function)
    texts: tuple[tuple[int, int, str], ...] = ()  # (line, column, SQL) run by conn.execute(), not op's


def _tables(tree: ast.Module) -> dict[str, str]:
    """Variables holding `sa.table("name", ...)` / `Table("name", ...)`, anywhere in the file."""
    found = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)):
            continue
        func, args = node.value.func, node.value.args
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if is_table_factory(name) and args and isinstance(args[0], ast.Constant) \
                and isinstance(args[0].value, str):
            found[node.targets[0].id] = args[0].value
        elif is_table_factory(name) and args:  # `sa.Table(table, ...)` in a loop: never the variable's name
            found[node.targets[0].id] = f"the table named by {ast.unparse(args[0])}"
    return found


def _chain(node: ast.expr) -> list[str]:
    """Method names of a call chain, outermost first: `t.update().values(...).where(...)`."""
    names = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        names.append(node.func.attr)
        node = node.func.value
    return names


def _update_target(node: ast.Call) -> str | None:
    """The name a Core UPDATE writes: `t` of `t.update()...`, `Event` of `sa.update(Event)...` or
    `update(Event)...` (the function's first argument, not the module it is called on)."""
    while True:
        func = node.func
        inner = func.value if isinstance(func, ast.Attribute) else None
        if isinstance(inner, ast.Call):
            node = inner
            continue
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) != "update":
            return None
        if node.args and isinstance(node.args[0], ast.Name):  # sa.update(Event), update(Event)
            return node.args[0].id
        return inner.id if isinstance(inner, ast.Name) and not node.args else None  # t.update()


def _writes_rows(loop: ast.For) -> bool:
    """The loop body writes per row: an execute()/update() call (not an execute() of a SELECT), or
    an attribute set on the row."""
    rows = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    for node in (n for stmt in loop.body for n in ast.walk(stmt)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("execute", "update") and not _executes_query(node):
            return True
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in rows
                for t in node.targets):
            return True
    return False


_QUERY = re.compile(r"^\s*SELECT\b(?!.*\b(?:INTO|FOR\s+UPDATE)\b)", re.IGNORECASE | re.DOTALL)


def _executes_query(call: ast.Call) -> bool:
    """An execute() of literal SQL that only reads (OpenKAT's per-plugin `SELECT id FROM boefje
    WHERE plugin_id = ...`, collecting what one INSERT adds after the loop): no row is written."""
    if call.func.attr != "execute" or not call.args:  # type: ignore[attr-defined]
        return False
    sql = call.args[0]
    if isinstance(sql, ast.Call) and sql.args and _callee(sql) == "text":
        sql = sql.args[0]
    if isinstance(sql, ast.JoinedStr):  # an f-string: its literal parts tell what it runs
        text = "".join(part.value for part in sql.values
                       if isinstance(part, ast.Constant) and isinstance(part.value, str))
    elif isinstance(sql, ast.Constant) and isinstance(sql.value, str):
        text = sql.value
    else:
        return False
    return bool(_QUERY.match(text))


def _sets_core_rows(loop: ast.For, tables: dict[str, str]) -> bool:
    """`for row in session.query(t)` over a Core table (`t = sa.Table(...)`), whose body only sets
    attributes of the rows: a Core query yields read-only rows, so nothing is written per row (and
    SQLAlchemy 1.4+ raises at the first assignment), not one UPDATE per row."""
    queried = [n.args[0] for n in ast.walk(loop.iter) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Attribute) and n.func.attr == "query" and n.args]
    if not queried or not all(isinstance(q, ast.Name) and q.id in tables for q in queried):
        return False
    return not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and n.func.attr in ("execute", "update", "save")
                   for stmt in loop.body for n in ast.walk(stmt))


def _is_get_bind(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr == "get_bind"


# Sessions and connections of the application's own, on a connection apart from Alembic's
_OWN_FACTORIES = frozenset({"Session", "sessionmaker", "scoped_session", "create_session", "connect"})


@dataclass(frozen=True)
class _Binds:
    """The names a revision's function binds to its connection and to sessions."""

    connections: frozenset[str]  # names holding op.get_bind()
    joined: frozenset[str]  # sessions bound to it
    own: frozenset[str]  # sessions or connections made otherwise


def _binds(tree: ast.Module) -> _Binds:
    """Which names hold Alembic's connection, a session joined to it (`Session(bind=op.get_bind())`,
    through a name or a sessionmaker: SQLAlchemy joins it to the connection's transaction, so its
    commit() ends nothing; measured with SQLAlchemy 2), or a session of the application's own."""
    assigned: list[tuple[str, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.append((node.targets[0].id, node.value))
        elif isinstance(node, ast.With | ast.AsyncWith):
            assigned += [(item.optional_vars.id, item.context_expr) for item in node.items
                         if isinstance(item.optional_vars, ast.Name)]
    connections = {name for name, value in assigned if _is_get_bind(value)}
    # `Session.configure(bind=op.get_bind())` on a factory made earlier (pagure's scoped_session)
    factories: set[str] = {
        node.func.value.id for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "configure" and isinstance(node.func.value, ast.Name)
        and any(kw.arg == "bind" and (_is_get_bind(kw.value) or
                                      (isinstance(kw.value, ast.Name) and kw.value.id in connections))
                for kw in node.keywords)}
    sessions: set[str] = set()
    own: set[str] = set()
    for name, value in assigned:
        if not isinstance(value, ast.Call):
            continue
        callee = _callee(value)
        if callee == "scoped_session" and value.args and isinstance(value.args[0], ast.Call):
            # scoped_session(sessionmaker(bind=op.get_bind())): irma's session of Alembic's connection
            value = value.args[0]
            callee = "Session" if _callee(value) == "sessionmaker" else _callee(value)
        first = value.args[0] if value.args else None
        bind = next((kw.value for kw in value.keywords if kw.arg == "bind"), first)
        to_alembic = _is_get_bind(bind) or (isinstance(bind, ast.Name) and bind.id in connections)
        if callee == "sessionmaker" and to_alembic:
            factories.add(name)
        elif (callee == "Session" and to_alembic) or callee in factories:
            sessions.add(name)
        elif (callee in _OWN_FACTORIES and (bind is None or callee == "connect")) or \
                ("session" in callee.lower() and not to_alembic):
            # the application's own session helper (sync-engine's `with session_scope() as s`)
            own.add(name)
    return _Binds(frozenset(connections), frozenset(sessions), frozenset(own))


def _callee(call: ast.Call) -> str:
    """The called function's own name: `sessionmaker` of `orm.sessionmaker(...)`."""
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _commit_kind(receiver: ast.expr, binds: _Binds) -> str | None:
    """"own" for a commit on the application's session (`db.session`, a Session() of its own): a
    second connection; None for a session joined to Alembic's; "default" otherwise."""
    if isinstance(receiver, ast.Name) and receiver.id in binds.joined:
        return None
    if (isinstance(receiver, ast.Name) and receiver.id in binds.own) or \
            (isinstance(receiver, ast.Attribute) and receiver.attr == "session"):
        return "own"
    return "default"


@lru_cache(maxsize=256)
def read(source: str) -> PyData:
    if not any(word in source for word in _GATE_WORDS) or not _GATE.search(source):
        # most revisions: nothing to parse again
        return PyData()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return PyData()
    tables = _tables(tree)
    binds = _binds(tree)
    commits: list[tuple[int, int, str, str]] = []
    loops: list[tuple[int, int, str]] = []
    spans: list[tuple[int, int]] = []  # the lines of the loops found
    unfiltered: list[tuple[int, int, str]] = []
    texts: list[tuple[int, int, str]] = []
    calls: dict[str, int] = {}
    functions = [n for n in tree.body
                 if isinstance(n, ast.FunctionDef) and not n.name.startswith("downgrade")]
    names = {f.name for f in functions}
    for function in functions:
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names \
                    and function.name.startswith("upgrade"):
                calls.setdefault(node.func.id, node.lineno)
            method = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                else None
            if method == "commit" and isinstance(node, ast.Call) and not node.args and \
                    isinstance(node.func, ast.Attribute) and (kind := _commit_kind(node.func.value, binds)):
                commits.append((node.lineno, node.col_offset + 1, function.name, kind))
            if isinstance(node, ast.For) and _writes_rows(node) and not _sets_core_rows(node, tables):
                chain = [n for n in ast.walk(node.iter) if isinstance(n, ast.Call)
                         and isinstance(n.func, ast.Attribute) and n.func.attr in ROW_SOURCES]
                if chain and not any(f in _chain(node.iter) for f in FILTERS | {"limit", "first", "get"}) \
                        and not any(start < node.lineno <= end for start, end in spans):
                    # a loop inside one already found is the same risk (gertty's loop over a row's
                    # fetchall() inside the loop over the table's)
                    loops.append((node.lineno, node.col_offset + 1, ast.unparse(node.iter)[:80]))
                    spans.append((node.lineno, node.end_lineno or node.lineno))
            if method == "execute" and isinstance(node, ast.Call) and node.args:
                _execute(node, tables, unfiltered, texts)
    return PyData(tuple(commits), tuple(loops), tuple(unfiltered), tuple(calls.items()), tuple(texts))


def _execute(node: ast.Call, tables: dict[str, str], unfiltered: list[tuple[int, int, str]],
             texts: list[tuple[int, int, str]]) -> None:
    """`x.execute(t.update().values(...))` with no where(), and `conn.execute(text("UPDATE ..."))`
    (op.execute's literal SQL is already among the revision's statements)."""
    arg = node.args[0]
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name | ast.Attribute) \
            and (arg.func.id if isinstance(arg.func, ast.Name) else arg.func.attr) in SQL_WRAPPERS \
            and arg.args:
        arg = arg.args[0]
    where = (node.lineno, node.col_offset + 1)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        if not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "op"):
            texts.append((*where, arg.value))
    elif isinstance(arg, ast.Call):
        chain = _chain(arg)
        target = _update_target(arg)
        if target is not None and not FILTERS & set(chain):
            unfiltered.append((*where, tables.get(target, target)))
