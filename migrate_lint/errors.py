"""UserError: a problem with the user's input, shown as one line with its file and line."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def describe(self) -> str:
        from migrate_lint.finding import InputError

        return InputError(self.path, self.line, self.message).describe()
