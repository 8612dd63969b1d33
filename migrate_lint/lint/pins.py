"""Help the project's SQLAlchemy cannot run, said so: `postgresql_not_valid=True` came in SQLAlchemy
1.4.32, and a project that pins an older release (open-event-server pins 1.3.23) gets an error from
it, so a help that asks for it gets a note on writing the constraint as SQL instead. The pin is read
as text from the dependency files, as the drivers are."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

from migrate_lint.finding import Finding
from migrate_lint.revisions.drivers import dependency_files

NOT_VALID = "postgresql_not_valid=True"
NOT_VALID_SINCE = (1, 4, 32)
MISSING = "which has no postgresql_not_valid"  # in the note: the fixer then writes no NOT VALID call
NOTE = (" But this project pins SQLAlchemy {version} ({where}), " + MISSING + " (it "
        "came in 1.4.32): write the constraint as SQL instead, op.execute('ALTER TABLE ... ADD CONSTRAINT "
        "... NOT VALID'), or upgrade SQLAlchemy.")
# `SQLAlchemy==1.3.23`, `"sqlalchemy<1.4"`, Poetry's `SQLAlchemy = "1.3.23"` or `"~1.3"`; not
# SQLAlchemy-Utils and the like
_PIN = re.compile(r"""(?im)^\s*["']?sqlalchemy(?![\w.-])(?:\[[^\]\n]*\])?["']?\s*"""
                  r"""(?:=\s*["']|(?=[=<~]))(?P<op>===|==|~=|<=|<|~|\^)?\s*(?P<version>\d+(?:\.\d+){0,2})""")


def _older(op: str, version: tuple[int, ...]) -> bool:
    """Whether every release the requirement admits is older than postgresql_not_valid."""
    if op in ("", "==", "===", "<="):
        return version < NOT_VALID_SINCE
    if op == "<":
        return version <= NOT_VALID_SINCE
    if op in ("~", "~="):  # the same minor release (~= with three parts, Poetry's ~)
        return version[:2] < NOT_VALID_SINCE[:2]
    return False  # ^ and the rest admit newer releases


@cache
def pinned_before_not_valid(root: str) -> tuple[str, str] | None:
    """(version, file) when the dependency files pin SQLAlchemy below 1.4.32; else None."""
    for where, text in dependency_files(root):
        for match in _PIN.finditer(text):
            version = tuple(int(part) for part in match["version"].split("."))
            if _older(match["op"] or "", version):
                return match["version"], where
    return None


def noted(findings: list[Finding], root: Path) -> list[Finding]:
    """The findings, with the note on each help that asks for postgresql_not_valid."""
    if not any(f.help and NOT_VALID in f.help for f in findings):
        return findings
    pinned = pinned_before_not_valid(str(root))
    if pinned is None:
        return findings
    note = NOTE.format(version=pinned[0], where=pinned[1])
    return [replace(f, help=f.help + note) if f.help and NOT_VALID in f.help else f for f in findings]
