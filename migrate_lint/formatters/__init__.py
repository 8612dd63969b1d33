"""Formatters: each module has a pure `render(report) -> str`; none of them detects anything."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports FORMATS before anything else; keep that cheap
    from migrate_lint.finding import Report

FORMATS = ("text", "json", "github", "sarif", "gitlab", "junit", "markdown")


def get(name: str) -> Callable[[Report], str]:
    module = importlib.import_module(f"migrate_lint.formatters.{name}_format")
    return module.render  # type: ignore[no-any-return]
