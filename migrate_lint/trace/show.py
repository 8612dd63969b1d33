"""The trace report as text (what a reviewer reads), JSON (the full trace) or Markdown. Shows what
run.py found; decides nothing."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from migrate_lint.errors import inert_markdown, printable
from migrate_lint.trace.blocking import totals
from migrate_lint.trace.model import Trace
from migrate_lint.trace.run import TraceOutcome


def _name(path: str | None) -> str:
    return Path(path).name if path else "-"


def text(outcome: TraceOutcome, markdown: bool = False) -> str:
    recorded = outcome.trace
    bullet = "- " if markdown else "  "
    head = "## " if markdown else ""
    sub = "### " if markdown else ""
    say = inert_markdown if markdown else printable  # names and SQL come from the checked files
    lines = [head + say(f"trace of {outcome.history.as_posix()} on {recorded.backend} "
                        f"{recorded.server_version}: {len(recorded.statements)} statements in "
                        f"{len(recorded.commits)} transactions, {recorded.total:.3f} s"), ""]
    by_revision: dict[str | None, list[str]] = {}
    for window in outcome.windows:
        by_revision.setdefault(window.revision, []).append(window.describe())
    for statement in recorded.statements:
        extra = []
        if statement.autocommit and statement.path:  # its locks ended as it committed: never seen held
            extra.append(f"ran outside the migration's transaction (autocommit), {statement.duration:.3f} s")
        extra += [f"rewrote {t}" for t in statement.rewritten]
        extra += [f"read every row of {t}" for t in statement.scanned
                  if t not in statement.rewritten and not t.startswith("alembic_version")]
        extra += [f"holds metadata lock {kind} on {table} until the commit"
                  for table, kind in statement.metadata_locks.items()]
        if statement.algorithm:
            extra.append(f"ALGORITHM={statement.algorithm}: {statement.meaning}")
        # a failed autocommit statement (CREATE INDEX CONCURRENTLY) can leave its index behind
        extra += [f"left index {i} invalid" for i in statement.invalid_indexes
                  if statement.error is None or statement.autocommit]
        extra += [f"left {c} not validated" for c in statement.unvalidated if statement.error is None]
        if statement.error:
            extra.append(f"failed: {statement.error}")
        if extra:
            by_revision.setdefault(statement.revision, []).append(
                f"{_name(statement.path)}:{statement.line or '-'}: " + "; ".join(dict.fromkeys(extra)))
    order = list(dict.fromkeys(s.revision for s in recorded.statements))
    for revision in order:
        entries = by_revision.get(revision)
        if not entries:
            continue
        lines.append(sub + say(f"revision {revision or '(bookkeeping)'}"))
        lines += [bullet + say(entry) for entry in dict.fromkeys(entries)]
        lines.append("")
    blocked = totals(outcome.windows)
    lines.append(f"{sub}whole upgrade")
    if not blocked:
        lines.append(bullet + "no table was blocked for reads or writes")
    for table, seconds in blocked.items():
        lines.append(bullet + say(f"{table}: reads blocked {seconds['reads']:.3f} s, writes blocked "
                                  f"{seconds['writes']:.3f} s"))
    lines.append("")
    if outcome.verdicts:
        lines.append(f"{sub}findings against the server")
        for verdict in outcome.verdicts:
            lines.append(bullet + say(f"{verdict.kind} ({verdict.severity}) {_name(verdict.path)}:"
                                      f"{verdict.line or '-'}: {verdict.text}"))
            # a merged finding: each call it reports, held to the rule on its own
            nested = "  - " if markdown else "    "
            lines += [nested + say(f"line {part.line} ({part.subject}): {part.kind}: the server {part.text}")
                      for part in verdict.parts]
        lines.append("")
    item = "- " if markdown else ""  # a list in Markdown, not one run-on paragraph
    if recorded.filled:
        filled = ", ".join(f"{t} ({n})" for t, n in recorded.filled.items() if n)
        lines.append(item + say(f"--rows: filled {filled}"))
    for table, why in recorded.unfilled.items():
        lines.append(item + say(f"--rows: could not fill {table}: {why}"))
    if recorded.failure:
        lines += [say(f"the upgrade stopped: {recorded.failure}"), ""]
    for note in outcome.notes:
        lines.append(item + say(f"note: {note}"))
    return "\n".join(lines) + "\n"


def _plain(recorded: Trace) -> dict[str, Any]:
    """asdict(recorded) without its deep copy (a statement's fields are plain values, dicts and
    lists of them): a twentieth of the time on a long trace."""
    return {**vars(recorded), "statements": [vars(s) for s in recorded.statements],
            "commits": [vars(c) for c in recorded.commits]}


def as_json(outcome: TraceOutcome) -> str:
    data = {"history": outcome.history.as_posix(), "trace": _plain(outcome.trace),
            "windows": [asdict(w) | {"seconds": round(w.seconds, 6), "text": w.describe()}
                        for w in outcome.windows],
            "blocked": totals(outcome.windows), "verdicts": [asdict(v) for v in outcome.verdicts],
            "notes": outcome.notes}
    return json.dumps(data, indent=2) + "\n"


def render(outcome: TraceOutcome, format: str) -> str:
    if format == "json":
        return as_json(outcome)
    return text(outcome, markdown=format == "markdown")
