"""Which findings the inline directives (revisions.directives) silence, and which directives are unused."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from migrate_lint.finding import Finding, Hit
from migrate_lint.revisions.directives import Directive


@dataclass
class Outcome:
    """Findings kept and suppressed, and the hits the directives themselves raise."""

    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    hits: list[tuple[str, Path, Hit]] = field(default_factory=list)  # ML902/ML903 facts


NOQA = "ML905"


def _covers(directive: Directive, finding: Finding) -> bool:
    if directive.kind == "file-ignore":
        return True
    loc = finding.location
    return loc.line <= directive.target_line <= (loc.end_line or loc.line)


def apply(findings: Iterable[Finding], directives: dict[Path, list[Directive]],
          resolve: Callable[[str], str | None], enabled: Callable[[Path], frozenset[str]],
          require_reason: bool, suggest: Callable[[str], str] = lambda rule: "") -> Outcome:
    """Split findings into kept and suppressed; report unused, unknown and unexplained directives,
    and `# noqa` comments that name a rule of ours but silence nothing."""
    outcome = Outcome()
    used: set[tuple[Path, int, str]] = set()
    for finding in findings:
        path = finding.location.path
        for directive in directives.get(path, ()):
            if directive.kind == "noqa" or (require_reason and not directive.reason):
                continue
            codes = {resolve(rule) for rule in directive.rules}
            if finding.code in codes and _covers(directive, finding):
                used.add((path, directive.line, finding.code))
                outcome.suppressed.append(finding)
                break
        else:
            outcome.kept.append(finding)
    for path, items in directives.items():
        for directive in items:
            for rule in directive.rules:
                code = resolve(rule)
                hit = Hit(directive.line, rule, {"rule": rule}, directive.column)
                if directive.kind == "noqa":
                    if code is not None and code in enabled(path):
                        outcome.hits.append((NOQA, path, Hit(hit.line, rule, {"rule": code}, hit.column)))
                elif code is None:
                    outcome.hits.append(("ML902", path, Hit(hit.line, rule, {
                        "rule": rule, "variant": "unknown", "suggestion": suggest(rule)}, hit.column)))
                elif require_reason and not directive.reason:
                    outcome.hits.append(("ML903", path, hit))
                elif code in enabled(path) and (path, directive.line, code) not in used:
                    outcome.hits.append(("ML902", path, hit))
    return outcome
