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
    sources: dict[Path, str] = {}
    for line in _git(root, "diff", "--name-status", "-M", base, "--").splitlines():
        status, *names = line.split("\t")
        if status.startswith("R") and status[1:] == "100":
            continue  # a rename with identical content is not a change
        current = root / names[-1]
        if status[0] in "AMRC":
            changed.add(current)
        if status[0] in "MR":
            sources[current] = _git(root, "show", f"{base}:{names[0]}")
    for name in _git(root, "ls-files", "--others", "--exclude-standard").splitlines():
        changed.add(root / name)
    return ChangeSet(base, frozenset(real_path(p) for p in changed),
                     {real_path(p): text for p, text in sources.items()})
