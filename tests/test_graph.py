"""Revision headers read with ast, and the RevisionGraph."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from migrate_lint.checks.multiple_heads import fork_points
from migrate_lint.revisions.graph import RevisionGraph, read_header
from migrate_lint.revisions.migration import Revision


def header(source: str):
    return read_header(ast.parse(source), Path("x.py"))


@pytest.mark.parametrize(("source", "down"), [
    ('revision = "b"\ndown_revision = None', ()),
    ('revision = "b"\ndown_revision = "a"', ("a",)),
    ('revision = "b"\ndown_revision = ("a", "c")', ("a", "c")),
    ('revision = "b"\ndown_revision = ["a", "c"]', ("a", "c")),
    ('revision: str = "b"\ndown_revision: Union[str, None] = "a"', ("a",)),
    ('PARENT = "a"\nrevision = "b"\ndown_revision = PARENT', ("a",)),
    ('revision = "b"', ()),
])
def test_header_forms(source, down):
    result = header(source)
    assert result.problems == ()
    assert result.revision.id == "b" and result.revision.down_revisions == down


def test_labels_and_depends_on():
    rev = header('revision = "b"\ndown_revision = None\nbranch_labels = ("shop",)\n'
                 'depends_on = "core"').revision
    assert rev.branch_labels == ("shop",) and rev.depends_on == ("core",)


def test_unresolvable_values_are_reported_not_guessed():
    result = header('import os\nrevision = "b"\ndown_revision = os.environ["X"]')
    [problem] = result.problems
    assert (problem.line, problem.name, problem.source) == (3, "down_revision", "os.environ['X']")


def test_unresolvable_revision_leaves_the_file_out():
    result = header("revision = make_id()\ndown_revision = None")
    assert result.revision is None and result.problems[0].name == "revision"


def test_a_file_without_revision_is_not_a_revision():
    assert header("def helper():\n    pass\n").revision is None


def rev(rid: str, *down: str, labels: tuple[str, ...] = ()) -> Revision:
    return Revision(rid, down, (), labels, Path(f"{rid}.py"))


def test_heads_fork_and_ancestors():
    graph = RevisionGraph([rev("a"), rev("b", "a"), rev("c", "b"), rev("d", "b")])
    heads = sorted(graph.heads(), key=lambda r: r.id)
    assert [h.id for h in heads] == ["c", "d"]
    assert fork_points(graph, heads) == ["b"]
    assert [r.id for r in graph.ancestors("c")] == ["b", "a"]


def test_problems_missing_duplicate_cycle():
    graph = RevisionGraph([rev("a", "zz"), rev("b", "c"), rev("c", "b"),
                           Revision("a", (), (), (), Path("copy.py"))])
    kinds = sorted((p.kind, p.revision.id) for p in graph.problems())
    assert kinds == [("cycle", "c"), ("duplicate", "a"), ("missing", "a")]


def test_cycle_safe_ancestors_terminate():
    graph = RevisionGraph([rev("a", "b"), rev("b", "a")])
    assert [r.id for r in graph.ancestors("a")] == ["b"]


def test_branch_labels_are_inherited():
    graph = RevisionGraph([rev("a", labels=("core",)), rev("b", "a")])
    assert graph.branch_labels_of("b") == {"core"}
