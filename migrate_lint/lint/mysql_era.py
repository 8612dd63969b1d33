"""A history checked as PostgreSQL that began on MySQL: the revisions up to the last one whose SQL
quotes names with backquotes, which PostgreSQL rejects, ran on MySQL (art17-consultation loads a
MySQL dump in its first revision, writes `ALTER TABLE \\`wiki\\` DROP PRIMARY KEY` in its 24th,
and moved to PostgreSQL years later). What the PostgreSQL-bound rules say of those revisions (its
locks, a NOT NULL column that fails on existing rows) is not what happened where they ran: their
findings there are info, saying why. The rules every database shares (a dropped column, the
graph, an application import) keep their severity."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from migrate_lint.finding import Finding, Severity
from migrate_lint.revisions.graph import RevisionGraph

# a name backquoted where SQL names a table: MySQL's quoting, a syntax error on PostgreSQL
_BACKQUOTED = re.compile(r"(?i)\b(?:TABLE|INTO|UPDATE|FROM|JOIN|EXISTS)\s+`[^`\s]+`")
NOTE = (" (revision {last}, at or after this one, quotes names with backquotes, which only MySQL "
        "takes: this revision ran on MySQL, not on the PostgreSQL this history is checked for now{moved})")
MOVED = ": {severity} lowered to info"


def ran_on_mysql(graph: RevisionGraph, source_of: Callable[[str], str]) -> tuple[frozenset[str], str]:
    """(the revisions that ran on MySQL, the last of them to write MySQL's quoting): every
    revision that writes it and all their ancestors; empty where none writes it."""
    writers = [rev_id for rev_id in graph.by_id if _writes_backquoted_sql(source_of(rev_id))]
    if not writers:
        return frozenset(), ""
    ran = set(writers)
    for rev_id in writers:
        ran.update(r.id for r in graph.ancestors(rev_id))
    last = max(writers, key=lambda rev_id: sum(1 for _ in graph.ancestors(rev_id)))
    return frozenset(ran), last


def _writes_backquoted_sql(text: str) -> bool:
    """A string of the code, not its docstrings or comments, quotes a table's name with backquotes
    (`"ALTER TABLE \\`{0}\\` DROP PRIMARY KEY"`): Markdown prose quotes names so too."""
    if "`" not in text or not _BACKQUOTED.search(text):
        return False  # most revisions: no backquote at all
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    prose = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # f"UPDATE `{table}` ...": its parts, joined
            written = "".join(str(v.value) if isinstance(v, ast.Constant) else "x" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            written = node.value
        else:
            continue
        if _BACKQUOTED.search(str(written)):
            return True
    return False


def noted(findings: list[Finding], graph: RevisionGraph, source_of: Callable[[str], str],
          bound: Iterable[str]) -> list[Finding]:
    """The findings, those of the PostgreSQL-bound rules (`bound`) on revisions that ran on MySQL
    moved to info."""
    codes = frozenset(bound)
    if not any(f.code in codes and f.severity > Severity.INFO for f in findings):
        return findings
    ran, last = ran_on_mysql(graph, source_of)
    if not ran:
        return findings
    return [_held_back(f, last) if f.code in codes and f.revision in ran else f for f in findings]


def _held_back(finding: Finding, last: str) -> Finding:
    moved = MOVED.format(severity=finding.severity.label) if finding.severity > Severity.INFO else ""
    return replace(finding, severity=Severity.INFO,
                   message=finding.message + NOTE.format(last=last, moved=moved))
