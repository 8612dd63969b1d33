"""The lock file: each revision's parents and code checksum, for checks without git history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from migrate_lint.errors import UserError
from migrate_lint.finding import InputError
from migrate_lint.paths import read_file
from migrate_lint.revisions.graph import RevisionGraph

NAME = "migrate-lint.lock"


@dataclass(frozen=True)
class Locked:
    """One revision's entry in migrate-lint.lock."""

    down_revisions: tuple[str, ...]
    checksum: str
    line: int  # where the entry sits in the lock file, for findings about removed revisions


def graph_order(graph: RevisionGraph) -> list[str]:
    """Revisions parents first (ties by id): a stable order that a reorder changes."""
    order: list[str] = []
    placed: set[str] = set()
    pending = sorted(graph.by_id)
    while pending:
        ready = [r for r in pending if all(p in placed for p in graph.parents(graph.by_id[r]))] or pending[:1]
        for rev_id in ready:
            order.append(rev_id)
            placed.add(rev_id)
        pending = [r for r in pending if r not in placed]
    return order


def write(path: Path, graph: RevisionGraph, checksums: dict[str, str]) -> int:
    lines = ['{', '  "version": 1,', '  "revisions": [']
    order = graph_order(graph)
    for index, rev_id in enumerate(order):
        entry = {"id": rev_id, "down_revisions": list(graph.by_id[rev_id].down_revisions),
                 "checksum": checksums[rev_id]}
        lines.append("    " + json.dumps(entry) + ("," if index < len(order) - 1 else ""))
    lines += ["  ]", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(order)


def load(path: Path) -> dict[str, Locked]:
    try:
        text = read_file(path).decode("utf-8")
        document = json.loads(text)
        entries = document["revisions"] if document.get("version") == 1 else None
        if not isinstance(entries, list):
            raise ValueError("not a version 1 lock file")
        lines = text.splitlines()
        found = {}
        for entry in entries:
            marker = f'"id": "{entry["id"]}"'
            line = next((n for n, text_line in enumerate(lines, 1) if marker in text_line), 1)
            found[str(entry["id"])] = Locked(tuple(entry["down_revisions"]), str(entry["checksum"]), line)
        return found
    except OSError as exc:
        raise UserError(f"cannot read the lock file: {exc.strerror or exc}", path) from None
    except RecursionError:
        raise UserError("cannot read the lock file: nested too deeply to be one", path) from None
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"cannot read the lock file: {exc}", path) from None


def load_if_present(path: Path, errors: list[InputError]) -> dict[str, Locked] | None:
    """The history's lock file, if it has one; a broken one is an input error, not a stop."""
    if not path.is_file():
        return None
    try:
        return load(path)
    except UserError as exc:
        errors.append(InputError(exc.path, exc.line, exc.message))
        return None
