"""Help the project's own libraries cannot run, said so. `postgresql_not_valid=True` came in
SQLAlchemy 1.4.32 (open-event-server pins 1.3.23) and `autocommit_block()` in Alembic 1.2 (deed-api
pins 0.8.3): a help that asks for one the pinned release lacks gets a note on what works instead, and
the fixer leaves such a finding alone. Pins are read as text from the dependency files, as the
drivers are."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from migrate_lint.finding import Finding
from migrate_lint.revisions.drivers import dependency_files


@dataclass(frozen=True)
class Feature:
    """What a help asks of a library, and the release that brought it."""

    asked: re.Pattern[str]  # found in a help: the help asks for it
    package: str
    since: tuple[int, ...]
    missing: str  # in the note: the fixer then writes nothing that needs it
    instead: str


NOT_VALID = Feature(
    re.compile(r"postgresql_not_valid=True"), "SQLAlchemy", (1, 4, 32), "which has no postgresql_not_valid",
    "write the constraint as SQL instead, op.execute('ALTER TABLE ... ADD CONSTRAINT ... NOT VALID'), "
    "or upgrade SQLAlchemy")
AUTOCOMMIT = Feature(
    re.compile(r"autocommit[_ ]block"),  # the code, or the words ("... in an autocommit block")
    "Alembic", (1, 2), "which has no autocommit_block",
    "upgrade Alembic; on this release only op.execute('COMMIT') ends the revision's transaction, so "
    "the statement belongs in a revision of its own")
FEATURES = (NOT_VALID, AUTOCOMMIT)
NOTE = " But this project pins {package} {version} ({where}), {missing} (it came in {since}): {instead}."


def _pin(package: str) -> re.Pattern[str]:
    """`SQLAlchemy==1.3.23`, `"sqlalchemy<1.4"`, Poetry's `SQLAlchemy = "1.3.23"` or `"~1.3"`; not
    SQLAlchemy-Utils, alembic-utils and the like."""
    return re.compile(rf"""(?im)^\s*["']?{re.escape(package)}(?![\w.-])(?:\[[^\]\n]*\])?["']?\s*"""
                      r"""(?:=\s*["']|(?=[=<~]))(?P<op>===|==|~=|<=|<|~|\^)?\s*(?P<version>\d+(?:\.\d+){0,2})""")


def _older(op: str, version: tuple[int, ...], since: tuple[int, ...]) -> bool:
    """Whether every release the requirement admits is older than `since`."""
    if op in ("", "==", "===", "<="):
        return version < since
    if op == "<":
        return version <= since
    if op in ("~", "~="):  # the same minor release (~= with three parts, Poetry's ~)
        return version[:2] < since[:2]
    return False  # ^ and the rest admit newer releases


@cache
def pinned_below(root: str, package: str, since: tuple[int, ...]) -> tuple[str, str] | None:
    """(version, file) when the dependency files pin `package` below `since`; else None."""
    pattern = _pin(package)
    for where, text in dependency_files(root):
        for match in pattern.finditer(text):
            version = tuple(int(part) for part in match["version"].split("."))
            if _older(match["op"] or "", version, since):
                return match["version"], where
    return None


def noted(findings: list[Finding], root: Path) -> list[Finding]:
    """The findings, with a note on each help that asks for what the pinned release lacks."""
    for feature in FEATURES:
        if not any(f.help and feature.asked.search(f.help) for f in findings):
            continue
        pinned = pinned_below(str(root), feature.package, feature.since)
        if pinned is None:
            continue
        note = NOTE.format(package=feature.package, version=pinned[0], where=pinned[1],
                           missing=feature.missing, since=".".join(map(str, feature.since)),
                           instead=feature.instead)
        findings = [replace(f, help=f.help + note) if f.help and feature.asked.search(f.help) else f
                    for f in findings]
    return findings
