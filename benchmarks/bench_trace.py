"""Benchmark: `migrate-lint trace` against `alembic upgrade head` alone on the same 1,000-revision
history and PostgreSQL server, measured in the same run (issue 15: at most three times).

`alembic upgrade head` gets a fresh database each run (created and dropped outside its timing);
`trace` is timed whole: it creates its scratch database and throwaway login, upgrades statement by
statement asking the server after each one, cross-checks check's findings, and drops everything.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_drift import BIN, SERVER, against_upgrade
from generate import compile_tool, generate
from timing import options


def main() -> int:
    args = options(__doc__, runs=3, target=3.0)
    out = Path(__file__).resolve().parent / "_generated" / f"trace_{args.count}"
    generate(out, args.count)
    compile_tool()
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    trace = [str(BIN / "migrate-lint"), "trace", "--database-url", SERVER, "--format", "json"]
    alembic_times, trace_times, report = against_upgrade(admin, trace, out, args.runs)
    data = json.loads(report)
    baseline, ours = statistics.median(alembic_times), statistics.median(trace_times)
    print(f"history: {args.count} revisions on PostgreSQL; {args.runs} runs each, median seconds")
    print(f"alembic upgrade head        {baseline:8.3f}")
    print(f"migrate-lint trace          {ours:8.3f}   ratio {ours / baseline:.2f}")
    print(f"traced: {len(data['trace']['statements'])} statements, {len(data['verdicts'])} verdicts, "
          f"stopped: {data['trace']['failure'] or 'no'}")
    ok = ours / baseline <= args.target and not data["trace"]["failure"]
    print(f"ratio {ours / baseline:.2f}: {'meets' if ok else 'MISSES'} the target of <= {args.target}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
