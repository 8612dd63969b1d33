"""Benchmark: `migrate-lint check --no-execute` against `alembic heads` on a 1,000-revision history.

Both are measured in the same run, as whole commands (interpreter start-up and imports included),
because that is what a CI job pays. Target (issue 2): check takes at most half of `alembic heads`.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import compile_tool, generate
from timing import options, timed

BIN = Path(sys.executable).parent


def paired(baseline: list[str], ours: list[str], cwd: Path, runs: int,
           before: Callable[[], None] = lambda: None) -> tuple[list[float], list[float]]:
    """Alternate the two commands, so that a machine that speeds up or slows down during the run
    weighs on both sides alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        before()
        times[0].append(timed(baseline, cwd, (0,))[0])
        times[1].append(timed(ours, cwd)[0])
    return times


def main() -> int:
    args = options(__doc__, runs=7, target=0.5)
    out = Path(__file__).resolve().parent / "_generated" / f"linear_{args.count}"
    generate(out, args.count)
    compile_tool()
    pycache = out / "migrations" / "versions" / "__pycache__"
    heads = [str(BIN / "alembic"), "-c", str(out / "alembic.ini"), "heads"]
    check = [str(BIN / "migrate-lint"), "check", "--no-execute", str(out)]
    drop_pycache = lambda: shutil.rmtree(pycache, ignore_errors=True)  # noqa: E731
    cold_heads, cold_check = paired(heads, [*check, "--no-cache"], out, args.runs, drop_pycache)
    timed(heads, out, (0,))  # write __pycache__ ...
    timed(check, out)  # ... and fill our cache, as alembic's first run filled __pycache__
    warm_heads, warm_check = paired(heads, check, out, args.runs)
    rows = [("cold: no __pycache__ / --no-cache", cold_heads, cold_check),
            ("warm: __pycache__ / content cache", warm_heads, warm_check)]
    print(f"history: {args.count} revisions, {args.runs} runs each, median seconds "
          "(whole commands: start-up and imports included)")
    print(f"{'':36} {'alembic heads':>14} {'migrate-lint':>13} {'ratio':>6}")
    worst = 0.0
    for label, baseline, ours in rows:
        b, o = statistics.median(baseline), statistics.median(ours)
        worst = max(worst, o / b)
        print(f"{label:36} {b:14.3f} {o:13.3f} {o / b:6.2f}")
    verdict = "meets" if worst <= args.target else "MISSES"
    print(f"worst ratio {worst:.2f}: {verdict} the target of <= {args.target}")
    return 0 if worst <= args.target else 1

if __name__ == "__main__":
    raise SystemExit(main())
