"""check's findings set against the trace: each lock, rewrite or key finding confirmed (the server
did what the rule says) or contradicted (it did not: what it did), a merged finding call by call,
and what the server did that no finding names (trace-only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from migrate_lint.finding import Finding
from migrate_lint.trace.model import SQL_NAMES, Statement, Trace, blocks, strength

LOCK_TAGS = ("locks",)


@dataclass(frozen=True)
class Part:
    """What the server did for one call of a merged finding (lint.dedupe)."""
    kind: str  # confirmed, contradicted, not observed
    line: int
    subject: str
    text: str  # what the server did, after "the server"


@dataclass(frozen=True)
class Verdict:
    kind: str  # confirmed, contradicted, not observed, trace-only
    severity: str  # info, warning, error
    code: str | None
    revision: str | None
    path: str | None
    line: int | None
    text: str
    parts: tuple[Part, ...] = ()  # a merged finding: one per call that ran (none for a single call)


# Per statement: the locks that block reads or writes it ran under, taken by an earlier statement
# of its transaction (locks last until the commit), as table -> (mode, the statement that took it).
Held = dict[int, dict[str, tuple[str, Statement]]]


def _held(trace: Trace) -> Held:
    """Only the tables the statement's SQL names: a lock held on another table says nothing of it."""
    held: Held = {}
    current: dict[str, tuple[str, Statement]] = {}
    transaction = None
    for statement in trace.statements:
        if statement.transaction != transaction:
            current, transaction = {}, statement.transaction
        named = _named([statement])
        held[statement.index] = {table: taken for table, taken in current.items()
                                 if _bare(table) in named or table.strip('"').lower() in named}
        for table, mode in statement.new_locks.items():
            if table not in statement.fresh and any(blocks(mode)) \
                    and strength(mode) > strength(current[table][0] if table in current else ""):
                current[table] = (mode, statement)
    return held


def _did(statements: list[Statement], held: Held) -> str:
    parts = []
    for statement in statements:
        if statement.autocommit:
            parts.append("ran outside the migration's transaction (autocommit): its locks ended as it "
                         "committed")
        for table, mode in statement.new_locks.items():
            fresh = " (made earlier in the same transaction: no other session could see it)" \
                if table in statement.fresh else ""
            parts.append(f"took {SQL_NAMES.get(mode, mode)} on {table}{fresh}")
        for table, (mode, taker) in held.get(statement.index, {}).items():
            if table not in statement.new_locks:
                parts.append(f"ran under {SQL_NAMES.get(mode, mode)} on {table}, held since line "
                             f"{taker.line or '-'}")
        parts += [f"rewrote {table}" for table in statement.rewritten]
        parts += [f"dropped or replaced the primary key of {table}" for table in statement.rekeyed]
    return ", ".join(dict.fromkeys(parts)) or "took no lock that blocks reads or writes and rewrote nothing"


def _named(statements: list[Statement]) -> set[str]:
    """The tables the statements' SQL names (lower case, unquoted), as written."""
    return {word.strip('"').lower() for s in statements
            for word in re.findall(r'(?:ON|TABLE|INTO|REFERENCES)\s+("?[\w.]+"?)', s.sql, re.I)}


def _bare(table: str) -> str:
    return table.rsplit(".", 1)[-1].strip('"').lower()


def _touches_only_fresh(statements: list[Statement], trace: Trace) -> bool:
    """Every table the statements name was made in the same transaction of the trace."""
    fresh = {table for s in statements for table in trace.made.get(str(s.transaction), [])}
    named = _named(statements)
    return bool(named) and named <= {t.lower() for t in fresh}


def _blocking(statement: Statement) -> bool:
    return _rewrote(statement) or any(
        any(blocks(mode)) for table, mode in statement.new_locks.items() if table not in statement.fresh)


def _rewrote(statement: Statement) -> bool:
    return bool(set(statement.rewritten) - set(statement.fresh))


def _rekeyed(statement: Statement, trace: Trace) -> bool:
    return bool(set(statement.rekeyed) - set(trace.made.get(str(statement.transaction), [])))


def _enclosing(by_place: dict[tuple[str, int], list[Statement]], place: tuple[str, int]) -> list[Statement]:
    """A call inside `with op.batch_alter_table(...)` sends its SQL when the block ends, from the
    `with` line: the nearest line above the finding's that sent statements."""
    above = [line for path, line in by_place if path == place[0] and line < place[1]]
    return by_place[(place[0], max(above))] if above else []


def _kind(statements: list[Statement], claim: str, trace: Trace, held: Held) -> str:
    """What the server showed of the rule's claim for the statements one call ran. `claim`:
    "rewrites" (held to a rewrite, not to the lock alone), "keys" (a primary key dropped or
    replaced) or "locks" (a lock that blocks reads or writes: its own, or one held on from earlier
    in its transaction, which blocked the same sessions while it ran)."""
    if claim == "rewrites":
        confirmed = any(_rewrote(s) for s in statements)
    elif claim == "keys":
        confirmed = any(_rekeyed(s, trace) for s in statements)
    else:
        confirmed = any(_blocking(s) or held.get(s.index) for s in statements)
    if confirmed:
        return "confirmed"
    if claim == "locks" and all(s.autocommit for s in statements):
        return "not observed"  # it committed as it ended: its locks were gone before they could be asked
    # its table was made earlier in the traced transaction (a history traced from empty in one
    # transaction): no other session could see it, so the server shows nothing either way
    if not any(_blocking(s) for s in statements) and _touches_only_fresh(statements, trace):
        return "not observed"
    return "contradicted"


def _verdict(finding: Finding, by_call: list[tuple[Finding, list[Statement]]], claim: str, trace: Trace,
             held: Held) -> Verdict:
    """A merged finding is held call by call: confirmed when each call that ran did what the rule
    says, contradicted when one did not (the verdict names it and what the server did instead)."""
    parts = tuple(Part(_kind(statements, claim, trace, held), part.location.line, part.subject,
                       _did(statements, held)) for part, statements in by_call if statements)
    kinds = {part.kind for part in parts}
    kind = next(k for k in ("contradicted", "confirmed", "not observed") if k in kinds)
    head = f"{finding.code} {finding.name}: "
    if len(parts) > 1 and kind == "contradicted":
        text = head + "; ".join(f"at line {p.line} ({p.subject}) the server {p.text}"
                                for p in parts if p.kind == "contradicted")
    else:
        text = head + "the server " + _did([s for _, statements in by_call for s in statements], held)
    return Verdict(kind, finding.severity.label, finding.code, finding.revision, str(finding.location.path),
                   finding.location.line, text, parts if len(by_call) > 1 else ())


def cross_check(trace: Trace, findings: list[Finding], lock_codes: set[str],
                claims: dict[str, str] | None = None) -> list[Verdict]:
    """`claims`: the rules whose claim is more than a lock (run.claims): "rewrites" or "keys"."""
    by_place: dict[tuple[str, int], list[Statement]] = {}
    for statement in trace.statements:
        if statement.path and statement.line and statement.error is None:
            by_place.setdefault((str(Path(statement.path).resolve()), statement.line), []).append(statement)
    traced = {s.revision for s in trace.statements if s.revision}
    held = _held(trace)
    verdicts: list[Verdict] = []
    claimed: set[int] = set()
    for finding in findings:
        if finding.code not in lock_codes or finding.revision not in traced \
                or finding.revision == trace.failed_revision:  # it stopped there: nothing to hold it to
            continue
        by_call = []  # a merged finding (lint.dedupe): what each call it reports ran
        for part in finding.parts:
            place = (str(part.location.path.resolve()), part.location.line)
            by_call.append((part, by_place.get(place) or _enclosing(by_place, place)))
        if not any(statements for _, statements in by_call):
            continue  # nothing ran from those lines (another dialect's branch, an unreached path)
        claimed.update(s.index for _, statements in by_call for s in statements)
        verdicts.append(_verdict(finding, by_call, (claims or {}).get(finding.code, "locks"), trace, held))
    return verdicts + _trace_only(trace, claimed)


def _trace_only(trace: Trace, claimed: set[int]) -> list[Verdict]:
    verdicts = []
    for statement in trace.statements:
        if statement.index in claimed:  # an autocommit one shows no lock, but a rewrite it did is seen
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
                                f"no finding, but the server {_did([statement], {})} (a table with rows): "
                                f"{statement.sql.splitlines()[0][:120]}"))
    return verdicts
