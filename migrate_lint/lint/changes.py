"""Git: which revision files a change adds or edits since a base ref, and what they were there."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from migrate_lint.errors import UserError
from migrate_lint.paths import read_file, real_path


@dataclass(frozen=True)
class ChangeSet:
    """Files of the working tree changed since the merge base, and the base text of edited ones."""

    base: str  # the merge-base commit
    changed: frozenset[Path]  # absolute paths: added, modified, or renamed with changes
    base_sources: dict[Path, str] = field(default_factory=dict)  # absolute path -> text at base
    removed_lines: dict[Path, tuple[str, ...]] = field(default_factory=dict)  # base path -> lines gone


def _git(root: Path, *args: str) -> str:
    return os.fsdecode(_git_bytes(root, *args))


def _git_bytes(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """git's raw output: file names in it are bytes, read with -z so that git never quotes them."""
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60, input=stdin)
    except FileNotFoundError:
        raise UserError("--base needs git, which is not installed") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise UserError(f"git {' '.join(args)} failed: {stderr}")
    return result.stdout


def _merge_base(root: Path, ref: str) -> str:
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except UserError:
        raise UserError(f"--base {ref}: no such commit here; fetch it first "
                        f"(git fetch origin {ref.removeprefix('origin/')})") from None
    try:
        return _git(root, "merge-base", ref, "HEAD").strip()
    except UserError:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == "true"
        hint = ("this is a shallow clone: fetch more history (git fetch --deepen=100, or "
                "actions/checkout with fetch-depth: 0)" if shallow else "the two histories share no commit")
        raise UserError(f"--base {ref}: cannot find where HEAD branched from it; {hint}") from None


@dataclass(frozen=True)
class _Entry:
    """One line of `git diff --raw`: the blob at the base, the status, the names then and now."""

    base_blob: str
    status: str
    before: str
    after: str


def _diff(root: Path, base: str) -> list[_Entry]:
    """`git diff --raw -z`: NUL-separated names, exactly as on disk (no C-style quoting of
    non-ASCII names, quotes, tabs or newlines, which line-based parsing silently lost)."""
    fields = _git_bytes(root, "diff", "--raw", "-z", "--no-abbrev", "-M", base, "--").split(b"\0")
    entries, at = [], 0
    while at < len(fields) and fields[at].startswith(b":"):
        _, _, base_blob, _, status = fields[at][1:].decode().split(" ")
        before = os.fsdecode(fields[at + 1])
        after = os.fsdecode(fields[at + 2]) if status[0] in "RC" else before  # renames name both
        entries.append(_Entry(base_blob, status, before, after))
        at += 3 if status[0] in "RC" else 2
    return entries


def changes_since(ref: str, start: Path) -> ChangeSet:
    root = Path(_git(start, "rev-parse", "--show-toplevel").removesuffix("\n"))
    base = _merge_base(root, ref)
    entries = [e for e in _diff(root, base) if e.status != "R100"]  # a pure rename changes nothing
    changed = {root / e.after for e in entries if e.status[0] in "AMRC"}
    untracked = _git_bytes(root, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0")
    changed |= {root / os.fsdecode(name) for name in untracked if name}
    gone = [e for e in entries if e.status[0] in "MRD"]  # what had lines at the base
    texts = _blobs(root, [e.base_blob for e in gone])
    sources = {real_path(root / e.after): texts[e.base_blob] for e in gone
               if e.status[0] in "MR" and e.base_blob in texts}
    removed = {real_path(root / e.before): lines for e in gone if e.base_blob in texts
               and (lines := _removed(texts[e.base_blob], None if e.status[0] == "D" else root / e.after))}
    return ChangeSet(base, frozenset(real_path(p) for p in changed), sources, removed)


def _blobs(root: Path, blobs: list[str]) -> dict[str, str]:
    """Blobs' texts by object id, in one git call however many there are (ids need no quoting)."""
    if not blobs:
        return {}
    output = _git_bytes(root, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs).encode())
    texts, at = {}, 0
    for blob in blobs:
        end = output.index(b"\n", at)
        header = output[at:end].split()
        at = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            texts[blob] = output[at:at + size].decode("utf-8", "replace")
            at += size + 1
    return texts


def _removed(before: str, now: Path | None) -> tuple[str, ...]:
    """The lines a file had at the base and no longer has, in their order (a deleted file: all):
    a line that only moved is still there."""
    try:
        after = read_file(now).decode("utf-8", "replace") if now is not None else ""
    except OSError:  # gone, or not a file worth reading (a FIFO, a device, too large)
        after = ""
    remaining = Counter(after.splitlines())
    lines = []
    for line in before.splitlines():
        if remaining[line] > 0:
            remaining[line] -= 1
        else:
            lines.append(line)
    return tuple(lines)
