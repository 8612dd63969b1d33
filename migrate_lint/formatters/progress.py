"""drift's progress bar on a terminal, drawn so that log lines (Alembic's own) never split it.

While the bar is up, stderr is a BarStream: each line written to it (by env.py's logging, which
binds sys.stderr when fileConfig runs) first clears the bar, and the bar is drawn again after it."""

from __future__ import annotations

from typing import Any, TextIO

CLEAR = "\r\x1b[K"
WIDTH = 30


class BarStream:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar = ""
        self.midline = False  # a write that did not end its line: the bar waits for the next one

    def write(self, text: str) -> int:
        if self.bar and not self.midline:
            self.stream.write(CLEAR)
        written = self.stream.write(text)
        self.midline = bool(text) and not text.endswith("\n")
        if self.bar and not self.midline:
            self.stream.write(self.bar)
        self.stream.flush()
        return written

    def draw(self, done: int, total: int) -> None:
        filled = WIDTH * done // max(total, 1)
        self.bar = f"upgrading [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}"
        if not self.midline:
            self.stream.write(CLEAR + self.bar)
            self.stream.flush()

    def close_bar(self) -> None:
        """Leave the bar as it last was, on a line of its own (the upgrade may have drawn it from a
        child process, whose state this one never sees)."""
        self.stream.write("\n")
        self.stream.flush()
        self.bar = ""

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding...: the real stream's
        return getattr(self.stream, name)
