"""Help the project's env.py would make fail, said so: where env.py enters a transaction of its own
before Alembic's, `op.get_context().autocommit_block()` fails an assertion, so a help that builds
something concurrently in such a block gets a note on what to do instead."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from migrate_lint.finding import Finding

_ASKS_FOR_BLOCK = re.compile(r"autocommit[_ ]block")  # the code, or the words ("... in an autocommit block")
NOTE = (" But this project's env.py enters a transaction of its own before Alembic's ({env}:{line}), and "
        "inside it autocommit_block() fails an assertion: let Alembic open the transaction "
        "(context.begin_transaction() on a connection with none), or run this step outside the "
        "revision, on an AUTOCOMMIT connection.")


def noted(findings: list[Finding], env: Path, line: int | None) -> list[Finding]:
    """The findings, with the note on each help that asks for an autocommit block."""
    if line is None:
        return findings
    note = NOTE.format(env=env.as_posix(), line=line)
    return [replace(f, help=f.help + note) if f.help and asks_for_block(f.help) else f for f in findings]


def asks_for_block(text: str) -> bool:
    return bool(_ASKS_FOR_BLOCK.search(text))
