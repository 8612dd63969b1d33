"""Per-item work split in two: a forked copy of this process does the later part of the items while
this one does the earlier part. The analysis of a history's files and the checks of its revisions
both go through here, so the fork, its failure and its fallback live in one place."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

SPLIT_AT = 200  # below this many items, a second process costs more than it saves


def in_two(items: Sequence[Item], work: Callable[[Item], Result], spare_core: bool,
           share: float = 0.5) -> list[Result]:
    """[work(item) for item in items], with the items after the first `share` of them done by a
    forked child when a core is spare and there are enough of them.

    The child is a fork of this process that runs only our own code over values it already has
    (never the user's code, unlike the render workers), so its results come back pickled. If it
    fails for any reason this process does its part itself, so the result never depends on the
    split. `work` must not fail: it turns its own errors into results."""
    if len(items) < SPLIT_AT or not spare_core or not hasattr(os, "fork"):
        return [work(item) for item in items]
    import pickle

    split = int(len(items) * share)
    mine, theirs = items[:split], items[split:]
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send, and leave without running any of the parent's cleanup
        status = 1
        try:
            os.close(reader)
            payload = pickle.dumps([work(item) for item in theirs], pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writer, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    results = [work(item) for item in mine]
    with os.fdopen(reader, "rb") as incoming:
        payload = incoming.read()
    _, status = os.waitpid(pid, 0)
    try:
        if status != 0:
            raise ValueError("the helper process failed")
        received = pickle.loads(payload)
        if isinstance(received, list) and len(received) == len(theirs):
            return results + received
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        pass
    return results + [work(item) for item in theirs]
