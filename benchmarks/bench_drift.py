"""Benchmark: `migrate-lint drift` against `alembic upgrade head` alone on the same 1,000-revision
history and PostgreSQL server, measured in the same run (issue 5: at most twice).

`alembic upgrade head` gets a fresh database each run (created and dropped outside its timing);
`drift` is timed whole: it creates its scratch database, upgrades it, reflects and compares the
schema with the models, and drops the database.
"""

from __future__ import annotations

import json
import statistics
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import compile_tool, generate, models_source
from timing import options, timed

BIN = Path(sys.executable).parent
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def fresh_database(admin: sa.Engine) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return name


def against_upgrade(admin: sa.Engine, command: list[str], out: Path, runs: int
                    ) -> tuple[list[float], list[float], str]:
    """`alembic upgrade head` on a fresh database of the server, then `command` (exit 0 or 1), `runs`
    times alternating, so that a machine changing speed weighs on both; the last report too."""
    alembic_times, times, report = [], [], ""
    for _ in range(runs):
        name = fresh_database(admin)
        ini = out / "bench.ini"
        ini.write_text((out / "alembic.ini").read_text().replace(
            "postgresql://postgres@127.0.0.1:5432/postgres", f"{SERVER.rsplit('/', 1)[0]}/{name}"))
        try:
            upgrade = [str(BIN / "alembic"), "-c", str(ini), "upgrade", "head"]
            alembic_times.append(timed(upgrade, out, (0,))[0])
        finally:
            drop(admin, name)
        elapsed, report = timed(command, out, (0, 1))
        times.append(elapsed)
    return alembic_times, times, report


def drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    args = options(__doc__, runs=3, target=2.0)
    out = Path(__file__).resolve().parent / "_generated" / f"drift_{args.count}"
    generate(out, args.count)
    (out / "bench_models.py").write_text(models_source(args.count))
    compile_tool()
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    drift = [str(BIN / "migrate-lint"), "drift", "--metadata", "bench_models:metadata",
             "--database-url", SERVER, "--format", "json"]
    alembic_times, drift_times, report = against_upgrade(admin, drift, out, args.runs)
    findings = json.loads(report)["findings"]
    baseline, ours = statistics.median(alembic_times), statistics.median(drift_times)
    print(f"history: {args.count} revisions on PostgreSQL; {args.runs} runs each, median seconds")
    print(f"alembic upgrade head        {baseline:8.3f}")
    print(f"migrate-lint drift          {ours:8.3f}   ratio {ours / baseline:.2f}")
    print(f"drift findings: {len(findings)} (the models match the history: 0 expected)")
    ok = ours / baseline <= args.target and not findings
    print(f"ratio {ours / baseline:.2f}: {'meets' if ok else 'MISSES'} the target of <= {args.target}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
