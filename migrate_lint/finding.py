"""Hit, Severity, Location, Finding and Report: the immutable results of a run."""

from __future__ import annotations

import enum
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Hit:
    """A fact a check found: where, about what, and the values its message needs. No wording."""

    line: int
    subject: str
    fields: Mapping[str, str] = field(default_factory=dict)
    column: int = 1
    end_line: int | None = None
    path: Path | None = None  # history checks say which file; revision checks leave it None


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    """Where a finding points: a file, its line and column (1-based), and the line its call ends on."""

    path: Path
    line: int
    column: int = 1
    end_line: int | None = None


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column), 1-based, with `content`."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    """How to fix a finding: "safe" or "unsafe" (it changes behaviour), in words and as edits."""

    applicability: str
    message: str
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One reported problem: the rule, its wording for this case, and where it is."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    revision: str | None = None
    subject: str = ""
    help: str = ""
    fix: Fix | None = None  # set by `check --fix`/`--diff` and the json and sarif formats
    table: str = ""  # the table of a finding its rule reports once per table (RuleSpec.per_table)
    merged: tuple[Finding, ...] = ()  # the findings, first included, this one reports (lint.dedupe)
    variant: str = "default"  # the wording its rule gave it: what deploy its risk needs (lint.deploy)

    @property
    def parts(self) -> tuple[Finding, ...]:
        """The findings this one stands for: itself, or each finding merged into it (each with its
        own line, subject and fingerprint)."""
        return self.merged or (self,)

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path.as_posix(), loc.line, loc.column, self.code)

    @property
    def fingerprint(self) -> str:
        """Code, revision and subject: stable when lines move or files are reformatted or renamed
        (the baseline, SARIF and GitLab all identify a finding by it)."""
        where = self.revision or self.location.path.name
        key = f"{self.code}|{where}|{self.subject}".encode("utf-8", "surrogateescape")  # a non-UTF-8 name
        return hashlib.sha256(key).hexdigest()[:20]


@dataclass(frozen=True)
class InputError:
    """Something the tool could not read or understand; it makes the run exit 2."""

    path: Path | None
    line: int | None
    message: str

    def describe(self) -> str:
        where = "" if self.path is None else display_path(self.path)
        if where and self.line:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class HistoryDialect:
    """The dialect a history was checked for and where it came from ("default: ..." if nowhere)."""

    path: Path
    dialect: str
    source: str


@dataclass(frozen=True)
class Report:
    """What one run found, held back and could not read: what every formatter renders."""

    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    baselined: tuple[Finding, ...] = ()
    files_checked: int = 0
    errors: tuple[InputError, ...] = field(default=())
    dialects: tuple[HistoryDialect, ...] = ()  # what each history was checked for, and why
    # findings whose risk needs what their revision's deploy rules out (`deploy`: offline, after-release)
    not_reported: tuple[Finding, ...] = ()
    not_reported_reasons: tuple[tuple[str, int], ...] = ()  # ("offline deploy (contract branch)", 4)

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= threshold)


def display_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it, always POSIX style."""
    cwd = os.getcwd()
    absolute = os.path.abspath(path)
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):  # the common case, without touching the disk
        return absolute[len(cwd.rstrip(os.sep)) + 1:].replace(os.sep, "/")  # normalised: as_posix()
    try:  # through symbolic links
        return path.resolve().relative_to(Path(cwd).resolve()).as_posix()
    except ValueError:
        return path.as_posix()
