"""Benchmark: a full `migrate-lint check` (rendering every revision to SQL) against
`alembic upgrade base:head --sql` on the same 1,000-revision history, measured in the same run.

Target (issue 3): check takes at most 1.5 times alembic, and reports exactly the plain
CREATE INDEX statements on existing tables that the generator wrote: every one, and nothing else.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import compile_tool, generate
from timing import options, timed

BIN = Path(sys.executable).parent


def repeated(command: list[str], cwd: Path, runs: int) -> tuple[list[float], str]:
    results = [timed(command, cwd) for _ in range(runs)]
    return [elapsed for elapsed, _ in results], results[-1][1]


def main() -> int:
    args = options(__doc__, runs=5, target=1.5)
    out = Path(__file__).resolve().parent / "_generated" / f"linear_{args.count}"
    risky = set(generate(out, args.count))
    compile_tool()
    alembic = [str(BIN / "alembic"), "-c", str(out / "alembic.ini"), "upgrade", "base:head", "--sql"]
    check = [str(BIN / "migrate-lint"), "check", str(out), "--dialect", "postgresql", "--format", "json"]
    baseline, _ = repeated(alembic, out, args.runs)
    cold, report = repeated([*check, "--no-cache"], out, args.runs)
    timed(check, out)  # fill the cache
    warm, _ = repeated(check, out, args.runs)
    findings = json.loads(report)["findings"]
    flagged = {f["revision"] for f in findings if f["code"] == "ML101"}
    others = [f for f in findings if f["code"] != "ML101"]
    b = statistics.median(baseline)
    print(f"history: {args.count} revisions, {len(risky)} plain indexes on existing tables; "
          f"{args.runs} runs each, median seconds (whole commands)")
    print(f"alembic upgrade base:head --sql        {b:8.3f}")
    worst = 0.0
    rows = (("migrate-lint check, cold (--no-cache)", cold), ("migrate-lint check, warm cache", warm))
    for label, times in rows:
        ratio = statistics.median(times) / b
        worst = max(worst, ratio)
        print(f"{label:38} {statistics.median(times):8.3f}   ratio {ratio:.2f}")
    exact = flagged == risky and not others
    print(f"ML101 findings: {len(flagged)}; missed {len(risky - flagged)}, extra {len(flagged - risky)}, "
          f"other findings {len(others)}: {'exact' if exact else 'WRONG'}")
    ok = worst <= args.target and exact
    print(f"worst ratio {worst:.2f}: {'meets' if ok else 'MISSES'} the target of <= {args.target}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
