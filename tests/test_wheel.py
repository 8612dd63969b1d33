"""The wheel ships the rules catalogue: build it, install it in a fresh venv, ask it for a rule."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from tests.conftest import REPO


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_wheel_installs_and_serves_rules(tmp_path):
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, REPO, cwd=tmp_path)
    [wheel] = dist.glob("migrate_lint-*.whl")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    run(env / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    doc = run(env / "bin" / "migrate-lint", "rule", "drop-column", cwd=tmp_path)
    assert doc.stdout.startswith("# ML201 drop-column: A column is dropped")
    where = run(env / "bin" / "python", "-c",
                "import migrate_lint.catalog as c; print(c.rules_dir())", cwd=tmp_path).stdout.strip()
    assert where.endswith("site-packages/migrate_lint/_rules")
    listing = run(env / "bin" / "migrate-lint", "rules", cwd=tmp_path).stdout
    assert len(listing.splitlines()) == len(list((REPO / "rules").glob("*.yml")))
