"""lock_timeout settings in SQL text: `SET lock_timeout`, set_config() and libpq's `-c lock_timeout=`."""

from __future__ import annotations

import re
from dataclasses import dataclass

SET = r"(?is)^\s*SET\s+(?:(SESSION|LOCAL)\s+)?lock_timeout\s*(?:=|\bTO\b)\s*(.+?)\s*;?\s*$"
SET_CONFIG = r"(?i)set_config\(\s*'lock_timeout'\s*,\s*'([^']*)'\s*,\s*(true|false)"
RESET = r"(?i)^\s*RESET\s+lock_timeout\s*;?\s*$"
OPTION = re.compile(r"-c\s*lock_timeout\s*=\s*([^\s&'\"]+)", re.IGNORECASE)  # libpq `options`
UNITS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
VALUE = r"(?i)^(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?$"


@dataclass(frozen=True)
class Timeout:
    """A lock_timeout in force: its value as written, in milliseconds (0: none), and where it was set."""

    text: str
    ms: int
    where: str
    local: bool = False  # SET LOCAL: ends with the transaction

    @property
    def active(self) -> bool:
        return self.ms > 0


def milliseconds(text: str) -> int | None:
    """PostgreSQL's reading of a lock_timeout value: a bare number is milliseconds. None: unreadable."""
    match = re.match(VALUE, text.strip().strip("'\"").strip())
    if match is None:
        return None
    return int(float(match.group(1)) * UNITS[(match.group(2) or "ms").lower()])


def from_statement(sql: str, where: str) -> Timeout | None:
    """The lock_timeout a statement sets (RESET and DEFAULT mean none: the server's default, 0)."""
    if re.match(RESET, sql):
        return Timeout("DEFAULT", 0, where)
    if match := re.match(SET, sql):
        value = match.group(2).strip()
        ms = 0 if value.upper() in ("DEFAULT", "'DEFAULT'") else milliseconds(value)
        return None if ms is None else Timeout(value, ms, where, (match.group(1) or "").upper() == "LOCAL")
    if match := re.search(SET_CONFIG, sql):
        ms = milliseconds(match.group(1))
        return None if ms is None else Timeout(match.group(1), ms, where, match.group(2).lower() == "true")
    return None


def from_options(text: str, where: str) -> Timeout | None:
    """`-c lock_timeout=2s` in libpq's options (connect_args, or a URL's options=, decoded)."""
    from urllib.parse import unquote_plus

    match = OPTION.search(unquote_plus(text))
    if match is None:
        return None
    ms = milliseconds(match.group(1))
    return None if ms is None else Timeout(match.group(1), ms, where)
