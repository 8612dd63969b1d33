"""Benchmark: `migrate-lint check --fix` against `migrate-lint check` on a 1,000-revision history with
one fixable finding (a plain index on an existing table) in every revision after the first 50.

Both are measured in the same run, as whole commands, cold (--no-cache, rendering on as by default).
None of the revisions is applied yet: the history's migrate-lint.lock lists no revision, so --fix may
edit them all (a lock file is how a project says which revisions are applied). Target (issue 16):
check --fix takes at most 2x check (libcst parses only the files with a fixable finding).
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import compile_tool, generate
from timing import options, timed

BIN = Path(sys.executable).parent


def fixable(out: Path, count: int) -> int:
    """The generated history with every revision's index made a plain one (one ML101 each)."""
    generate(out, count)
    fixed = 0
    for path in sorted((out / "migrations" / "versions").glob("*.py")):
        text = path.read_text()
        if "autocommit_block" in text:
            text = text.replace("    with op.get_context().autocommit_block():\n        ", "    ")
            text = text.replace(",\n                        postgresql_concurrently=True)", ")")
        elif "op.add_column" in text and "create_index" not in text:
            column = text.split('sa.Column("')[1].split('"')[0]
            table = text.split('op.add_column("')[1].split('"')[0]
            text = text.replace("\n\n\ndef downgrade",
                                f'\n    op.create_index("ix_{table}_{column}", "{table}", ["{column}"])'
                                "\n\n\ndef downgrade")
        fixed += "create_index" in text and "op.create_table" not in text
        path.write_text(text)
    (out / "migrations" / "migrate-lint.lock").write_text('{\n  "version": 1,\n  "revisions": []\n}\n')
    return fixed


def main() -> int:
    args = options(__doc__, runs=3, target=2.0)
    root = Path(__file__).resolve().parent / "_generated"
    pristine, work = root / f"fixable_{args.count}", root / f"fixable_{args.count}_work"
    findings = fixable(pristine, args.count)
    compile_tool()
    check = [str(BIN / "migrate-lint"), "check", "--no-cache", "--dialect", "postgresql", str(work)]
    plain, fixing = [], []
    for _ in range(args.runs):  # alternate, so that a machine that slows down weighs on both alike
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(pristine, work)
        plain.append(timed(check, work)[0])
        fixing.append(timed([*check, "--fix"], work)[0])
    left = timed(check, work)[1].count(": ML101 ")
    p, f = statistics.median(plain), statistics.median(fixing)
    print(f"history: {args.count} revisions, {findings} fixable findings, {args.runs} runs each, median "
          "seconds (whole commands, cold)")
    print(f"check {p:.3f}   check --fix {f:.3f}   ratio {f / p:.2f}   ML101 left after the fix: {left}")
    verdict = "meets" if f / p <= args.target else "MISSES"
    print(f"ratio {f / p:.2f}: {verdict} the target of <= {args.target}")
    return 0 if f / p <= args.target and left == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
