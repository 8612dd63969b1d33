"""Git: which revision files a change adds or edits since a base ref, and what they were there."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from migrate_lint.errors import UserError
from migrate_lint.paths import real_path


@dataclass(frozen=True)
class ChangeSet:
    """Files of the working tree changed since the merge base, and the base text of edited ones."""

    base: str  # the merge-base commit
    changed: frozenset[Path]  # absolute paths: added, modified, or renamed with changes
    base_sources: dict[Path, str] = field(default_factory=dict)  # absolute path -> text at base
    removed_lines: dict[Path, tuple[str, ...]] = field(default_factory=dict)  # base path -> lines gone


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise UserError("--base needs git, which is not installed") from None
    if result.returncode != 0:
        raise UserError(f"git {' '.join(args)} failed: {result.stderr.strip().splitlines()[-1:] or ['?']}")
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


def changes_since(ref: str, start: Path) -> ChangeSet:
    root = Path(_git(start, "rev-parse", "--show-toplevel").strip())
    base = _merge_base(root, ref)
    changed: set[Path] = set()
    edited: dict[Path, str] = {}  # current path -> its name at the base
    for line in _git(root, "diff", "--name-status", "-M", base, "--").splitlines():
        status, *names = line.split("\t")
        if status.startswith("R") and status[1:] == "100":
            continue  # a rename with identical content is not a change
        current = root / names[-1]
        if status[0] in "AMRC":
            changed.add(current)
        if status[0] in "MR":
            edited[current] = names[0]
    for name in _git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        changed.add(root / name)
    sources = _texts_at(root, base, list(edited.values()))
    return ChangeSet(base, frozenset(real_path(p) for p in changed),
                     {real_path(p): sources[name] for p, name in edited.items() if name in sources},
                     {real_path(root / name): lines for name, lines in _removed_lines(root, base).items()})


def _texts_at(root: Path, commit: str, names: list[str]) -> dict[str, str]:
    """Files' texts at a commit, in one git call however many there are."""
    if not names:
        return {}
    try:
        result = subprocess.run(["git", "cat-file", "--batch"], cwd=root, capture_output=True, timeout=60,
                                input="".join(f"{commit}:{name}\n" for name in names).encode())
    except FileNotFoundError:
        raise UserError("--base needs git, which is not installed") from None
    texts, output, at = {}, result.stdout, 0
    for name in names:
        end = output.index(b"\n", at)
        header = output[at:end].split()
        at = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            texts[name] = output[at:at + size].decode("utf-8", "replace")
            at += size + 1
    return texts


def _removed_lines(root: Path, base: str) -> dict[str, tuple[str, ...]]:
    """The lines each file had at the base and no longer has (deleted files: all of them)."""
    removed: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_header = False  # between `diff --git` and the first hunk, `--- a/name` names the file
    diff = _git(root, "-c", "core.quotePath=false", "diff", "-U0", "--no-color", "--no-ext-diff",
                "-M", base, "--")
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            in_header, current = True, None
        elif in_header and line.startswith("--- "):
            name = line[4:]
            current = None if name == "/dev/null" else removed.setdefault(name.removeprefix("a/"), [])
        elif line.startswith("@@"):
            in_header = False
        elif not in_header and line.startswith("-") and current is not None:
            current.append(line[1:])
    return {name: tuple(lines) for name, lines in removed.items() if lines}
