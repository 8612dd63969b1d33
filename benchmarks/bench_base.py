"""Benchmark: `check --base` with one new revision against a full `check`, on the 1,000-revision
history committed to a git repository, both measured in the same run (issue 4: under a third).

Both commands render (the default). The verdict is on cold runs (--no-cache, a fresh CI runner);
warm runs (content cache) are shown for information: there both commands are near their floor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import HEADER, compile_tool, generate, revision_id
from timing import options, timed

BIN = Path(sys.executable).parent


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
                   cwd=repo, check=True, capture_output=True)


def prepare(out: Path, count: int) -> None:
    """The history committed on main, and one new revision on a branch (committed)."""
    generate(out, count)
    git(out, "init", "-q", "-b", "main")
    git(out, "add", ".")
    git(out, "commit", "-q", "-m", "history")
    git(out, "checkout", "-q", "-b", "feature")
    head = revision_id(count - 1)
    source = HEADER.format(message="add t0.extra", rev="feedfacecafe", down=head, down_repr=repr(head),
                           body="    op.add_column('t0', sa.Column('extra', sa.Integer(), nullable=True))")
    (out / "migrations" / "versions" / "feedfacecafe_add_t0_extra.py").write_text(source)
    git(out, "add", ".")
    git(out, "commit", "-q", "-m", "one new revision")


def main() -> int:
    args = options(__doc__, runs=7, target=1 / 3)
    out = Path(__file__).resolve().parent / "_generated" / f"git_{args.count}"
    prepare(out, args.count)
    compile_tool()
    full = [str(BIN / "migrate-lint"), "check", "."]
    base = [*full, "--base", "main"]
    rows = []
    for label, extra in (("cold (--no-cache)", ["--no-cache"]), ("warm (content cache)", [])):
        if not extra:
            timed(full, out)  # fill the cache
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(args.runs):  # alternating, so that a machine changing speed weighs on both
            times[0].append(timed([*full, *extra], out)[0])
            times[1].append(timed([*base, *extra], out)[0])
        rows.append((label, statistics.median(times[0]), statistics.median(times[1])))
    print(f"history: {args.count} revisions in git, one new on a branch; {args.runs} runs each, "
          "median seconds (whole commands)")
    print(f"{'':22} {'full check':>11} {'--base main':>12} {'ratio':>6}")
    for label, whole, changed in rows:
        print(f"{label:22} {whole:11.3f} {changed:12.3f} {changed / whole:6.2f}")
    cold = rows[0][2] / rows[0][1]
    verdict = "meets" if cold < args.target else "MISSES"
    print(f"cold ratio {cold:.2f}: {verdict} the target of < {args.target:.2f}")
    return 0 if cold < args.target else 1


if __name__ == "__main__":
    raise SystemExit(main())
