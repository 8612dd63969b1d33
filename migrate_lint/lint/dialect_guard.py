"""PostgreSQL-only help in a history that runs on other databases too: where revisions branch on
the dialect (conda-store runs on SQLite by default and on PostgreSQL in production), the SQL or the
autocommit block a help asks for breaks the other databases unless it is guarded, so those helps
say so. A help whose steps every database runs (swallowed-database-error's inspect-first and
savepoint) gets no note: guarding them would skip them elsewhere. The branches are the ones the
syntax tree already found (each operation's dialects)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from migrate_lint.finding import Finding
from migrate_lint.revisions.facts import FileFacts

NOTE = (" This history runs on other databases too ({name} branches on the dialect, line {line}): put "
        'these steps under `if op.get_bind().dialect.name == "postgresql":`.')

# what a help asks for that only PostgreSQL runs
POSTGRESQL_STEPS = re.compile(r"concurrently|NOT VALID|VALIDATE CONSTRAINT|USING INDEX|autocommit[_ ]block"
                              r"|lock_timeout|statement_timeout|SET LOCAL|::", re.IGNORECASE)


def _first_branch(targets: Mapping[Path, FileFacts]) -> tuple[Path, int] | None:
    """The first operation that runs on some dialects only, as (file, line)."""
    for path, facts in targets.items():
        for op in facts.operations:
            if op.dialects is not None:
                return path, op.line
    return None


def _in_postgresql_branch(facts: FileFacts | None, line: int) -> bool:
    """The finding's own call already runs on PostgreSQL only, so the help's steps go beside it."""
    return facts is not None and any(op.line == line and op.dialects == frozenset({"postgresql"})
                                     for op in facts.operations)


def noted(findings: list[Finding], targets: Mapping[Path, FileFacts],
          postgresql_only: frozenset[str]) -> list[Finding]:
    """The findings, with the note on each help of a PostgreSQL-only rule."""
    if not any(_asks_postgresql_steps(f, postgresql_only) for f in findings):
        return findings
    branch = _first_branch(targets)
    if branch is None:
        return findings
    note = NOTE.format(name=branch[0].name, line=branch[1])
    return [replace(f, help=f.help + note) if _asks_postgresql_steps(f, postgresql_only)
            and not _in_postgresql_branch(targets.get(f.location.path), f.location.line) else f
            for f in findings]


def _asks_postgresql_steps(finding: Finding, postgresql_only: frozenset[str]) -> bool:
    return bool(finding.help) and finding.code in postgresql_only \
        and bool(POSTGRESQL_STEPS.search(finding.help))
