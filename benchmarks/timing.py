"""Timing whole commands: the wall time of one run and its output, or a loud stop if it fails; and
the options every benchmark takes."""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path


def timed(command: list[str], cwd: Path, ok: tuple[int, ...] = (0, 1)) -> tuple[float, str]:
    """Seconds one run of `command` took, and its standard output; exit codes outside `ok` stop
    the benchmark with the command's error output."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


def options(doc: str, runs: int, target: float) -> argparse.Namespace:
    """--count (revisions in the generated history), --runs and --target (the largest acceptable
    ratio), with this benchmark's defaults; `doc` is its module docstring."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--target", type=float, default=target, help="largest acceptable ratio")
    return parser.parse_args()
