"""lock_timeout settings in SQL text: `SET lock_timeout`, set_config() and libpq's `-c lock_timeout=`."""

from __future__ import annotations

import re
from dataclasses import dataclass

SET = re.compile(r"^\s*SET\s+(?:(SESSION|LOCAL)\s+)?lock_timeout\s*(?:=|\bTO\b)\s*(.+?)\s*;?\s*$",
                 re.IGNORECASE | re.DOTALL)
SET_CONFIG = re.compile(r"set_config\(\s*'lock_timeout'\s*,\s*'([^']*)'\s*,\s*(true|false)",
                        re.IGNORECASE)
RESET = re.compile(r"^\s*RESET\s+lock_timeout\s*;?\s*$", re.IGNORECASE)
OPTION = re.compile(r"-c\s*lock_timeout\s*=\s*([^\s&'\"]+)", re.IGNORECASE)  # libpq `options`
UNITS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
VALUE = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?$", re.IGNORECASE)


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
    match = VALUE.match(text.strip().strip("'\"").strip())
    if match is None:
        return None
    return int(float(match.group(1)) * UNITS[(match.group(2) or "ms").lower()])


def from_statement(sql: str, where: str) -> Timeout | None:
    """The lock_timeout a statement sets (RESET and DEFAULT mean none: the server's default, 0)."""
    if RESET.match(sql):
        return Timeout("DEFAULT", 0, where)
    if match := SET.match(sql):
        value = match.group(2).strip()
        ms = 0 if value.upper() in ("DEFAULT", "'DEFAULT'") else milliseconds(value)
        return None if ms is None else Timeout(value, ms, where, (match.group(1) or "").upper() == "LOCAL")
    if match := SET_CONFIG.search(sql):
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
