"""One database's help in a history that runs on other databases too: where revisions branch on
the dialect (conda-store runs on SQLite by default and on PostgreSQL in production; spiff-arena's
revisions, made on MySQL, run on PostgreSQL and SQLite too), the SQL or the autocommit block a
PostgreSQL help asks for, or the `SET foreign_key_checks` a MySQL help asks for, breaks the other
databases unless it is guarded, so those helps say so. A help whose steps every database runs
(swallowed-database-error's inspect-first and savepoint) gets no note: guarding them would skip
them elsewhere. The branches are the ones the syntax tree already found (each operation's
dialects)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from migrate_lint.finding import Finding
from migrate_lint.revisions.facts import FileFacts

NOTE = (" This history runs on other databases too ({name} branches on the dialect, line {line}): put "
        "these steps under `if op.get_bind().dialect.name {test}:`.")

# per dialect: what a help asks for that only that database runs, and the test that guards it
STEPS = {
    "postgresql": (re.compile(r"concurrently|NOT VALID|VALIDATE CONSTRAINT|USING INDEX|autocommit[_ ]block"
                              r"|lock_timeout|statement_timeout|SET LOCAL|::", re.IGNORECASE),
                   '== "postgresql"', frozenset({"postgresql"})),
    "mysql": (re.compile(r"foreign_key_checks|ALGORITHM\s*=|LOCK\s*=\s*(?:NONE|SHARED)|DROP PRIMARY KEY"
                         r"|lock_wait_timeout", re.IGNORECASE),
              'in ("mysql", "mariadb")', frozenset({"mysql", "mariadb"})),
}


def _first_branch(targets: Mapping[Path, FileFacts]) -> tuple[Path, int] | None:
    """The first operation that runs on some dialects only, as (file, line)."""
    for path, facts in targets.items():
        for op in facts.operations:
            if op.dialects is not None:
                return path, op.line
    return None


def _in_branch(facts: FileFacts | None, line: int, names: frozenset[str]) -> bool:
    """The finding's own call already runs on this database only, so the help's steps go beside it."""
    return facts is not None and any(op.line == line and op.dialects is not None and op.dialects <= names
                                     for op in facts.operations)


def noted(findings: list[Finding], targets: Mapping[Path, FileFacts], dialect: str,
          own_rules: frozenset[str]) -> list[Finding]:
    """The findings, with the note on each help of a rule of `dialect` alone (`own_rules`)."""
    steps, test, names = STEPS["mysql" if dialect == "mariadb" else dialect]
    asking = [bool(f.help) and f.code in own_rules and bool(steps.search(f.help)) for f in findings]
    if not any(asking):
        return findings
    branch = _first_branch(targets)
    if branch is None:
        return findings
    note = NOTE.format(name=branch[0].name, line=branch[1], test=test)
    return [replace(f, help=f.help + note) if asks
            and not _in_branch(targets.get(f.location.path), f.location.line, names) else f
            for f, asks in zip(findings, asking, strict=True)]
