"""Inline directives: parsing, scope, unused and unexplained suppressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from migrate_lint.finding import Finding, Location, Severity
from migrate_lint.lint.suppress import apply
from migrate_lint.revisions.directives import parse_directives


def test_parse_forms():
    source = textwrap.dedent('''
        # migrate-lint: file-ignore[ML201, drop-table] -- legacy folder
        op.drop_column("a", "b")  # migrate-lint: ignore[drop-column]
        # migrate-lint: ignore[ML202] -- reason here

        op.drop_table("x")
        s = "# migrate-lint: ignore[ML201]"
        op.execute("x")  # noqa
    ''')
    directives = parse_directives(source)
    assert [(d.kind, d.rules, d.reason, d.line, d.target_line) for d in directives] == [
        ("file-ignore", ("ML201", "drop-table"), "legacy folder", 2, 2),
        ("ignore", ("drop-column",), "", 3, 3),
        ("ignore", ("ML202",), "reason here", 4, 6),
    ]


def finding(code: str, line: int, end_line: int | None = None) -> Finding:
    return Finding(code, code, Severity.ERROR, "m", Location(Path("f.py"), line, 1, end_line or line))


RESOLVE = {"ML201": "ML201", "drop-column": "ML201", "ML202": "ML202"}.get


def enabled(_path: Path) -> frozenset[str]:
    return frozenset({"ML201", "ML202"})


def test_directive_anywhere_in_a_multiline_call():
    source = 'op.drop_column(\n  "a",\n  "b")  # migrate-lint: ignore[ML201]\n'
    directives = {Path("f.py"): parse_directives(source)}
    outcome = apply([finding("ML201", 1, 3)], directives, RESOLVE, enabled, False)
    assert outcome.kept == [] and len(outcome.suppressed) == 1 and outcome.hits == []


def test_unused_unknown_and_reasonless():
    directives = {Path("f.py"): parse_directives(
        "x  # migrate-lint: ignore[ML202, nope]\n"
        "y  # migrate-lint: ignore[ML201]\n")}
    outcome = apply([finding("ML201", 2)], directives, RESOLVE, enabled, require_reason=True)
    assert [f.code for f in outcome.kept] == ["ML201"]
    assert sorted((code, hit.line, hit.subject) for code, _, hit in outcome.hits) == [
        ("ML902", 1, "nope"), ("ML903", 1, "ML202"), ("ML903", 2, "ML201")]


def test_rules_not_enabled_are_not_unused():
    directives = {Path("f.py"): parse_directives("x  # migrate-lint: ignore[ML202]\n")}
    outcome = apply([], directives, RESOLVE, lambda _p: frozenset({"ML201"}), False)
    assert outcome.hits == []


def test_untokenizable_source_has_no_directives():
    assert parse_directives('x = """\n# migrate-lint: ignore[ML201]\n') == []
