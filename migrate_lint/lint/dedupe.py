"""One finding per risk: per rule and source location (a helper called twice, one statement doing
the same risky thing to several columns), and per rule, table and revision file for rules whose
findings on one table are one lock risk (three indexes built on one table without CONCURRENTLY)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from migrate_lint.finding import Finding

MAX_NAMED = 5
WHOLE_REVISION = "*"  # the table of a per-revision rule's findings: one group per revision file


def one_per_location(findings: list[Finding]) -> list[Finding]:
    """The first finding of each (rule, path, line, column), its message naming the other
    subjects found there; order is kept."""
    first: dict[tuple[object, ...], int] = {}
    others: dict[int, list[str]] = {}
    kept: list[Finding] = []
    for finding in findings:
        loc = finding.location
        key = (finding.code, loc.path, loc.line, loc.column)
        if key not in first:
            first[key] = len(kept)
            kept.append(finding)
            continue
        named = others.setdefault(first[key], [])
        if finding.subject != kept[first[key]].subject and finding.subject not in named:
            named.append(finding.subject)
    for index, subjects in others.items():
        if not subjects:
            continue
        kept[index] = replace(kept[index], message=f"{kept[index].message} (the same line also: "
                                                   f"{_listed(subjects)})")
    return kept


def one_per_table(findings: Iterable[Finding], nouns: dict[str, str]) -> list[Finding]:
    """Findings of a per-table rule (`nouns`: code -> what its objects are called) on the same table
    in the same file as one: the first by line, its message naming the others and their lines, its
    help and location kept, every finding it stands for in `merged`. Run after suppressions and the
    baseline, which judge each finding on its own; already merged findings are merged afresh."""
    findings = list(findings)
    already = {finding.merged: finding for finding in findings if finding.merged}  # kept with their fix
    ordered = sorted((part for finding in findings for part in finding.parts), key=Finding.sort_key)
    groups: dict[tuple[str, object, str, object], list[Finding]] = {}
    kept: list[list[Finding]] = []
    for finding in ordered:
        if finding.code not in nouns or not finding.table:
            kept.append([finding])
            continue
        table = finding.table if '"' in finding.table else finding.table.lower()
        # a lesser case (an index that only a database made outside the history may hold) never
        # hides a warning behind its own message: each severity is a group of its own
        key = (finding.code, finding.location.path, table, finding.severity)
        if key not in groups:
            groups[key] = []
            kept.append(groups[key])
        groups[key].append(finding)
    return [already.get(tuple(group)) or _merged(group, nouns.get(group[0].code, "")) for group in kept]


def _merged(group: list[Finding], noun: str) -> Finding:
    first = group[0]
    if len(group) == 1:
        return first
    named: dict[str, list[int]] = {}
    for other in group[1:]:
        name = _object(other)
        # a subject that only marks its line (`commit:36`) names nothing but the line
        named.setdefault("" if re.fullmatch(r"\w+:\d+", name) else name, []).append(other.location.line)
    # a rule whose subject is the table itself (an UPDATE of it) names only the lines
    lines = [f"{name} ({where})" if name and name.lower() != first.table.lower() else where
             for name, at in named.items()
             for where in [f"{'line' if len(at) == 1 else 'lines'} {', '.join(map(str, at))}"]]
    more = len(group) - 1
    what = noun if more == 1 else _plural(noun)
    where = "in this revision" if first.table == WHOLE_REVISION else f"on {first.table}"
    message = f"{first.message} (and {more} more {what} {where}: {_listed(lines)})"
    return replace(first, message=message, merged=tuple(group))


def _object(finding: Finding) -> str:
    """The finding's own object: its subject less the table (`users.ix_b` -> `ix_b`)."""
    if finding.table == WHOLE_REVISION:
        return finding.subject
    prefix = finding.table.rsplit(".", 1)[-1] + "."
    subject = finding.subject
    return subject[len(prefix):] if subject.lower().startswith(prefix.lower()) else subject


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("x", "s", "ch", "sh")) else "s")


def _listed(names: list[str]) -> str:
    return ", ".join(names[:MAX_NAMED]) + (f" and {len(names) - MAX_NAMED} more"
                                           if len(names) > MAX_NAMED else "")


_QUALIFIED = r'(?<![\w."])("(?:[^"]|"")+"|\w+)\s*\.\s*("(?:[^"]|"")+"|\w+)(?![\w"])'


def qualified(table: str, subject: str, statements: Iterable[str]) -> str:
    """The table with its schema when the SQL at the finding's line names one, on the table
    (`ON accounts.users`) or on the object (`DROP INDEX accounts.ix_users_a`): the SQL facts keep
    bare names, and `accounts.users` is not `users`."""
    wanted = [name.lower() for name in (table, subject.rsplit(".", 1)[-1]) if name]
    for sql in statements:
        if "." not in sql:  # the common case, without a regular expression
            continue
        found = {match[2].strip('"').lower(): match[1] for match in re.finditer(_QUALIFIED, sql)}
        qualifier = next((found[name] for name in wanted if name in found), None)
        if qualifier is not None:
            schema = qualifier.lower() if '"' not in qualifier else qualifier  # "Accounts" is not accounts
            return f"{schema.strip(chr(34)) if schema == schema.lower() else schema}.{table}"
    return table
