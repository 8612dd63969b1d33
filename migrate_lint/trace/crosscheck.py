"""check's findings set against the trace: each lock or rewrite finding confirmed (the server did
what the rule says) or contradicted (it did not: what it did), and what the server did that no
finding names (trace-only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrate_lint.finding import Finding
from migrate_lint.trace.model import SQL_NAMES, Statement, Trace, blocks

LOCK_TAGS = ("locks",)


@dataclass(frozen=True)
class Verdict:
    kind: str  # confirmed, contradicted, trace-only
    severity: str  # info, warning, error
    code: str | None
    revision: str | None
    path: str | None
    line: int | None
    text: str


def _did(statements: list[Statement]) -> str:
    parts = []
    for statement in statements:
        for table, mode in statement.new_locks.items():
            fresh = " (made earlier in the same transaction: no other session could see it)" \
                if table in statement.fresh else ""
            parts.append(f"took {SQL_NAMES.get(mode, mode)} on {table}{fresh}")
        parts += [f"rewrote {table}" for table in statement.rewritten]
    return ", ".join(dict.fromkeys(parts)) or "took no lock that blocks reads or writes and rewrote nothing"


def _touches_only_fresh(statements: list[Statement], trace: Trace) -> bool:
    """Every table the statements name was made in the same transaction of the trace."""
    import re

    fresh = {table for s in statements for table in trace.made.get(str(s.transaction), [])}
    named = {word.strip('"').lower() for s in statements
             for word in re.findall(r'(?:ON|TABLE|INTO|REFERENCES)\s+("?[\w.]+"?)', s.sql, re.I)}
    return bool(named) and named <= {t.lower() for t in fresh}


def _blocking(statement: Statement) -> bool:
    return bool(set(statement.rewritten) - set(statement.fresh)) or any(
        any(blocks(mode)) for table, mode in statement.new_locks.items() if table not in statement.fresh)


def _enclosing(by_place: dict[tuple[str, int], list[Statement]], place: tuple[str, int]) -> list[Statement]:
    """A call inside `with op.batch_alter_table(...)` sends its SQL when the block ends, from the
    `with` line: the nearest line above the finding's that sent statements."""
    above = [line for path, line in by_place if path == place[0] and line < place[1]]
    return by_place[(place[0], max(above))] if above else []


def _rewrote(statement: Statement) -> bool:
    return bool(set(statement.rewritten) - set(statement.fresh))


def cross_check(trace: Trace, findings: list[Finding], lock_codes: set[str],
                rewrite_codes: frozenset[str] = frozenset()) -> list[Verdict]:
    """`rewrite_codes`: rules whose claim is a rewrite (their catalogue cases show one), held to it:
    an exclusive lock without a rewrite does not confirm "rewrites the whole table"."""
    by_place: dict[tuple[str, int], list[Statement]] = {}
    for statement in trace.statements:
        if statement.path and statement.line and statement.error is None:
            by_place.setdefault((str(Path(statement.path).resolve()), statement.line), []).append(statement)
    traced = {s.revision for s in trace.statements if s.revision}
    verdicts: list[Verdict] = []
    claimed: set[int] = set()
    for finding in findings:
        if finding.code not in lock_codes or finding.revision not in traced \
                or finding.revision == trace.failed_revision:  # it stopped there: nothing to hold it to
            continue
        # a merged finding (lint.dedupe) is held to what every call it reports ran
        places = [(str(part.location.path.resolve()), part.location.line) for part in finding.parts]
        statements = [s for place in places for s in by_place.get(place) or _enclosing(by_place, place)]
        if not statements:
            continue  # nothing ran from that line (another dialect's branch, an unreached path)
        claimed.update(s.index for s in statements)
        confirmed = any((_rewrote if finding.code in rewrite_codes else _blocking)(s) for s in statements)
        # its table was made earlier in the traced transaction (a history traced from empty in one
        # transaction): no other session could see it, so the server shows nothing either way
        unseen = not confirmed and not any(_blocking(s) for s in statements) \
            and _touches_only_fresh(statements, trace)
        kind = "confirmed" if confirmed else "not observed" if unseen else "contradicted"
        verdicts.append(Verdict(kind, finding.severity.label,
                                finding.code, finding.revision, str(finding.location.path),
                                finding.location.line,
                                f"{finding.code} {finding.name}: the server " + _did(statements)))
    for statement in trace.statements:
        if statement.index in claimed or statement.autocommit:
            continue
        heavy = [(t, m) for t, m in statement.new_locks.items() if any(blocks(m)) and statement.rows.get(t)]
        rewrites = [t for t in statement.rewritten if statement.rows.get(t)]
        if not heavy and not rewrites:
            continue
        # error when the lock lasts as long as the table is big (a rewrite, a scan under it); a
        # metadata-only change under ACCESS EXCLUSIVE is brief: a warning
        severe = rewrites or any(t in statement.scanned for t, _ in heavy)
        verdicts.append(Verdict("trace-only", "error" if severe else "warning", None, statement.revision,
                                statement.path, statement.line,
                                f"no finding, but the server {_did([statement])} (a table with rows): "
                                f"{statement.sql.splitlines()[0][:120]}"))
    return verdicts
