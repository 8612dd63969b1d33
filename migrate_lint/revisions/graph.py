"""Revision headers read with `ast` (never imported) and the RevisionGraph built from them."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrate_lint.revisions.migration import Revision

HEADER_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")


@dataclass(frozen=True)
class HeaderError:
    """A header value that cannot be read without running the file."""

    line: int
    name: str
    source: str


@dataclass(frozen=True)
class Header:
    """The resolved header of one file, or None when the file declares no `revision`."""

    revision: Revision | None
    problems: tuple[HeaderError, ...] = ()


_MISSING = object()


def _resolve(node: ast.expr, constants: dict[str, object]) -> object:
    """Evaluate a header value made of literals and earlier module-level constants only."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_resolve(elt, constants) for elt in node.elts)
    return _MISSING


def _as_ids(value: object) -> tuple[str, ...] | None:
    """None, a string, or a sequence of strings as a tuple; anything else is None."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v)
    return None


def _assignments(tree: ast.Module) -> Iterator[tuple[str, ast.expr, int]]:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    yield target.id, stmt.value, stmt.lineno
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
            yield stmt.target.id, stmt.value, stmt.lineno


def read_header(tree: ast.Module, path: Path) -> Header:
    constants: dict[str, object] = {}
    found: dict[str, tuple[object, int, ast.expr]] = {}
    for name, value, line in _assignments(tree):
        resolved = _resolve(value, constants)
        if resolved is not _MISSING:
            constants[name] = resolved
        else:
            constants.pop(name, None)
        if name in HEADER_NAMES:
            found[name] = (resolved, line, value)
    if "revision" not in found:
        return Header(None)
    problems: list[HeaderError] = []
    values: dict[str, tuple[str, ...]] = {}
    for name in HEADER_NAMES:
        resolved, line, node = found.get(name, (None, 1, None))
        ids = _as_ids(resolved)
        if ids is None and name == "branch_labels" and node is not None:
            # Labels name branches, they do not link revisions: the graph is still known. Each
            # computed label stands for itself by its source (`cli.CONTRACT_BRANCH`), so branches
            # with different labels stay apart (multiple-heads).
            items = node.elts if isinstance(node, ast.Tuple | ast.List) else [node]
            ids = tuple(i.value if isinstance(i, ast.Constant) and isinstance(i.value, str)
                        else ast.unparse(i) for i in items)
        elif ids is None:
            problems.append(HeaderError(line, name, ast.unparse(node) if node else "?"))
            ids = ()
        values[name] = ids
    rev_ids = values["revision"]
    if len(rev_ids) != 1:
        if not problems:
            resolved, line, node = found["revision"]
            problems.append(HeaderError(line, "revision", ast.unparse(node)))
        return Header(None, tuple(problems))
    revision = Revision(
        id=rev_ids[0],
        down_revisions=values["down_revision"],
        depends_on=values["depends_on"],
        branch_labels=values["branch_labels"],
        path=path,
        line=found["revision"][1],
        down_line=found.get("down_revision", (None, found["revision"][1]))[1],
    )
    return Header(revision, tuple(problems))


@dataclass(frozen=True)
class GraphProblem:
    """A structural problem of the revision graph, at the revision and line it concerns."""

    kind: str  # "duplicate", "missing", "cycle", "unreachable"
    revision: Revision
    line: int
    detail: dict[str, str] = field(default_factory=dict)


class RevisionGraph:
    """The revisions of one history and the edges their headers declare."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        self.by_id: dict[str, Revision] = {}
        self.duplicates: list[tuple[Revision, Revision]] = []
        for rev in sorted(revisions, key=lambda r: r.path.as_posix()):
            if rev.id in self.by_id:
                self.duplicates.append((self.by_id[rev.id], rev))
            else:
                self.by_id[rev.id] = rev
        self.labels = {label: rev.id for rev in self.by_id.values() for label in rev.branch_labels}
        self.children: dict[str, list[str]] = {rid: [] for rid in self.by_id}
        self._problems: list[GraphProblem] | None = None
        self._branch_labels: dict[str, frozenset[str]] = {}
        for rev in self.by_id.values():
            for parent in self.parents(rev):
                self.children[parent].append(rev.id)

    def resolve(self, ref: str, allow_label: bool) -> str | None:
        if ref in self.by_id:
            return ref
        if allow_label and ref in self.labels:
            return self.labels[ref]
        return None

    def parents(self, rev: Revision) -> list[str]:
        """Known parents through down_revision and depends_on (labels allowed in depends_on)."""
        found = [p for p in rev.down_revisions if p in self.by_id]
        found += [r for d in rev.depends_on if (r := self.resolve(d, allow_label=True))]
        return found

    def heads(self) -> list[Revision]:
        """Revisions no other revision names as its down_revision (as `alembic heads`)."""
        named = {p for rev in self.by_id.values() for p in rev.down_revisions}
        return [rev for rid, rev in self.by_id.items() if rid not in named]

    def ancestors(self, rev_id: str) -> Iterator[Revision]:
        """Every ancestor of a revision, nearest first (breadth-first over parents)."""
        seen = {rev_id}
        queue = deque(self.parents(self.by_id[rev_id]))
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            rev = self.by_id[current]
            yield rev
            queue.extend(self.parents(rev))

    def descendants(self, rev_id: str) -> set[str]:
        """Every revision that has rev_id among its ancestors."""
        later, queue = set(), list(self.children[rev_id])
        while queue:
            child = queue.pop()
            if child not in later:
                later.add(child)
                queue.extend(self.children[child])
        return later

    def branch_labels_of(self, rev_id: str) -> frozenset[str]:
        """Branch labels on a revision and its ancestors through down_revision: the named branch it
        belongs to (as in Alembic, depends_on orders revisions across branches without joining them).
        Each revision's set is found once, from its parents' (a history asks for every revision's)."""
        if not self.labels:
            return frozenset()
        memo, visiting = self._branch_labels, set()
        stack = [(rev_id, False)]
        while stack:
            current, parents_done = stack.pop()
            if current in memo or current not in self.by_id:
                continue
            rev = self.by_id[current]
            if parents_done:
                labels = set(rev.branch_labels)
                for parent in rev.down_revisions:
                    labels |= memo.get(parent, frozenset())
                memo[current] = frozenset(labels)
            elif current not in visiting:  # a cycle (revision-cycle reports it) is walked once
                visiting.add(current)
                stack.append((current, True))
                stack.extend((parent, False) for parent in rev.down_revisions if parent not in memo)
        return memo.get(rev_id, frozenset())

    def problems(self) -> list[GraphProblem]:
        """Structural problems of the graph (found once; each graph rule reads its own kind)."""
        if self._problems is None:
            self._problems = list(self._find_problems())
        return self._problems

    def _find_problems(self) -> Iterator[GraphProblem]:
        for first, again in self.duplicates:
            yield GraphProblem("duplicate", again, again.line,
                               {"revision": again.id, "other": first.path.as_posix()})
        branch = self._tied_branch()
        for rev in self.by_id.values():
            for ref in rev.down_revisions:
                if ref not in self.by_id:
                    yield GraphProblem("missing", rev, rev.down_line,
                                       {"revision": rev.id, "ref": ref, "field": "down_revision"})
            for ref in rev.depends_on:
                if self.resolve(ref, allow_label=True) is None:
                    detail = {"revision": rev.id, "ref": ref, "field": "depends_on"}
                    if branch:
                        detail |= {"variant": "elsewhere", "labels": branch}
                    yield GraphProblem("missing", rev, rev.line, detail)
        yield from self._cycles()
        yield from self._unreachable()

    def _tied_branch(self) -> str:
        """The labels of a base that depends on a revision defined nowhere here: such a history is
        one package's branch of an application's history, tied to other packages' version locations
        (every Invenio module's base depends on invenio-db's), and its dependencies on revisions it
        does not hold are taken to be theirs. Empty for a history that is whole."""
        for rev in self.by_id.values():
            if not rev.down_revisions and rev.branch_labels and any(
                    self.resolve(ref, allow_label=True) is None for ref in rev.depends_on):
                return ", ".join(rev.branch_labels)
        return ""

    def _unreachable(self) -> Iterator[GraphProblem]:
        """Revisions that no head leads down to: `alembic upgrade heads` never applies them (their
        descendants loop back on themselves, so no head exists above them)."""
        reached: set[str] = set()
        queue = [rev.id for rev in self.heads()]
        while queue:
            rev_id = queue.pop()
            if rev_id not in reached:
                reached.add(rev_id)
                queue.extend(self.parents(self.by_id[rev_id]))
        for rev_id, rev in self.by_id.items():
            if rev_id not in reached and not self._on_cycle(rev_id):  # cycles are revision-cycle's
                yield GraphProblem("unreachable", rev, rev.line, {"revision": rev_id})

    def _on_cycle(self, rev_id: str) -> bool:
        seen: set[str] = set()
        queue = self.parents(self.by_id[rev_id])
        while queue:
            current = queue.pop()
            if current == rev_id:
                return True
            if current not in seen:
                seen.add(current)
                queue.extend(self.parents(self.by_id[current]))
        return False

    def _cycles(self) -> Iterator[GraphProblem]:
        """One problem per cycle, reported on the revision that closes it."""
        state: dict[str, int] = {}  # 1 on the current path, 2 finished
        for start in self.by_id:
            if start in state:
                continue
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self.parents(self.by_id[start])))]
            path = [start]
            state[start] = 1
            while stack:
                node, parents = stack[-1]
                nxt = next(parents, None)
                if nxt is None:
                    state[node] = 2
                    stack.pop()
                    path.pop()
                elif state.get(nxt) == 1:
                    loop = [*path[path.index(nxt):], nxt]
                    rev = self.by_id[node]
                    yield GraphProblem("cycle", rev, rev.down_line,
                                       {"revision": node, "cycle": " -> ".join(loop)})
                elif nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, iter(self.parents(self.by_id[nxt]))))
