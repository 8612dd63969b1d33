"""How many cores a check may use: for the render workers and the analysis helper process. Apart
from render.py, so that a check that renders nothing never imports the worker machinery."""

from __future__ import annotations

import os
from collections.abc import Sized


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def spare_core(pool: Sized | None) -> bool:
    """Whether a core is left for a helper process once this one and the render workers have theirs:
    the workers' start is the longest path of a rendering run, so they come first."""
    return usable_cores() - 1 - (len(pool) if pool else 0) >= 1
