"""One finding per rule and source location."""

from __future__ import annotations

from pathlib import Path

from migrate_lint.finding import Finding, Location, Severity
from migrate_lint.lint.dedupe import one_per_location


def finding(code: str, line: int, subject: str) -> Finding:
    return Finding(code, "x", Severity.WARNING, f"about {subject}", Location(Path("r.py"), line, 5),
                   "r1", subject)


def test_the_same_rule_at_the_same_place_is_one_finding_naming_every_subject():
    kept = one_per_location([finding("ML201", 9, "a.c"), finding("ML107", 9, "a.c"),
                             finding("ML201", 9, "b.c"), finding("ML201", 9, "a.c"),
                             finding("ML201", 10, "b.c")])
    assert [(f.code, f.location.line, f.subject, f.message) for f in kept] == [
        ("ML201", 9, "a.c", "about a.c (the same line also: b.c)"), ("ML107", 9, "a.c", "about a.c"),
        ("ML201", 10, "b.c", "about b.c")]
