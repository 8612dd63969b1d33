"""The wheel ships the rules catalogue: installed from the wheel in a fresh venv, it serves every rule."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REPO


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_wheel_installs_and_serves_rules(installed_migrate_lint, tmp_path):
    python = installed_migrate_lint.parent / "python"
    doc = run(installed_migrate_lint, "rule", "drop-column", cwd=tmp_path)
    assert doc.stdout.startswith("# ML201 drop-column: A column is dropped")
    where = run(python, "-c", "import migrate_lint.catalog as c; print(c.rules_dir())", cwd=tmp_path)
    assert where.stdout.strip().endswith("site-packages/migrate_lint/_rules")
    listing = run(installed_migrate_lint, "rules", cwd=tmp_path).stdout
    assert len(listing.splitlines()) == len(list((REPO / "rules").glob("*.yml")))
