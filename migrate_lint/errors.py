"""UserError: a problem with the user's input, shown as one line with its file and line."""

from __future__ import annotations

import re
from pathlib import Path


class UserError(Exception):
    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        message = redact(message)  # a URL in a message never shows its password
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def describe(self) -> str:
        from migrate_lint.finding import InputError

        return InputError(self.path, self.line, self.message).describe()


# Terminal escape sequences (CSI, OSC, and two-character ones) that a checked file may carry in its
# name or in source that a message quotes: they could recolour, rewrite or hide lines of the report.
_ANSI = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
# What is left that a terminal or a CI log would act on: C0 controls (a newline would start a new
# line that a CI runner reads as a workflow command), DEL, C1 controls, and the bidirectional
# overrides that make text read differently than it is ("Trojan Source").
# Lone surrogates (a file name that is not UTF-8, as Python decodes it) cannot be written at all.
_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# these three are compiled by `re` when first used, like the URL patterns below: a run that prints
# no such text (most print only printable ASCII) does not pay for them at import
_CONTROL_BUT_NEWLINES = _CONTROL.replace("\\x0a-\\x1f", "\\x0b\\x0c\\x0e-\\x1f")


def printable(text: str, newlines: bool = False) -> str:
    """Text fit for a terminal or a CI log: escape sequences removed, other control characters
    shown as escapes (a newline in a file name reads as \\n), tabs kept. `newlines`: keep line
    feeds, for a format that encodes them itself (GitHub's %0A)."""
    if text.isascii() and text.isprintable():
        return text  # no escape, control or bidi character: nothing to take out (most texts)
    text = re.sub(_ANSI, "", text)
    return re.sub(_CONTROL_BUT_NEWLINES if newlines else _CONTROL, lambda m: ascii(m.group())[1:-1], text)


def inert_markdown(text: str) -> str:
    """Text from the checked files as inert Markdown on one line: control characters shown as escapes
    (a newline would start a heading or a row), and every character Markdown, HTML or a table reads
    (| ` * _ [ ] < > & # ! ~ \\) backslash-escaped."""
    return re.sub(r"([\\`*_\[\]<>|#!~&])", r"\\\1", printable(" ".join(text.split())))


# `user:password@` in a URL, and a password (or similar secret) passed as a query parameter.
_URL_PASSWORD = (r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)(?P<secret>\S*?)"
                 r"@(?=[^@\s/]*(?:[/?#\s]|$))")  # up to the last @ before the host
_QUERY_SECRET = (r"(?i)(?P<head>[?&;](?:password|passwd|pwd|secret|token|sslpassword|"
                 r"sslkey|api_key|apikey|access_token)=)(?P<secret>[^&;\s'\"]*)")


def redact(text: str) -> str:
    """The text with every password a database URL in it carries replaced by ***: the one helper
    for every place a URL may be shown (messages, notes, errors the database sends back)."""
    text = re.sub(_URL_PASSWORD, lambda m: f"{m.group('head')}***@", text)
    return re.sub(_QUERY_SECRET, lambda m: f"{m.group('head')}***", text)
