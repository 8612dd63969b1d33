"""Help the project's env.py would make fail, said so: where env.py enters a transaction of its own
before Alembic's, `op.get_context().autocommit_block()` fails an assertion, so a help that builds
something concurrently in such a block gets a note on what to do instead; where env.py maps the
schema with `schema_translate_map`, SQL a help writes in op.execute() names no schema, so it gets a
note to add the schema there."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from migrate_lint.finding import Finding

_ASKS_FOR_BLOCK = re.compile(r"autocommit[_ ]block")  # the code, or the words ("... in an autocommit block")
BLOCK_FAILS = "inside it autocommit_block() fails an assertion"  # the fixer then writes no such block
NOTE = (" But this project's env.py enters a transaction of its own before Alembic's ({env}:{line}), and "
        f"{BLOCK_FAILS}: let Alembic open the transaction "
        "(context.begin_transaction() on a connection with none), or run this step outside the "
        "revision, on an AUTOCOMMIT connection.")


def noted(findings: list[Finding], env: Path, line: int | None, note: str = NOTE,
          wanted: re.Pattern[str] = _ASKS_FOR_BLOCK) -> list[Finding]:
    """The findings, with the note (naming env.py's line) on each help that `wanted` matches: by
    default, each that asks for an autocommit block."""
    if line is None:
        return findings
    text = note.format(env=env.as_posix(), line=line)
    return [replace(f, help=f.help + text) if f.help and wanted.search(f.help) else f for f in findings]


def asks_for_block(text: str) -> bool:
    return bool(_ASKS_FOR_BLOCK.search(text))


RAW_SQL = re.compile(r"\bop\.execute\(")  # a help that writes SQL for op.execute()
SCHEMA_NOTE = (" This project's env.py maps tables into a schema with schema_translate_map ({env}:{line}), "
               "which op.* calls follow and SQL in op.execute() does not: qualify the table with that "
               "schema in the SQL.")
