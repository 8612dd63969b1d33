"""`check` (and `check --no-execute`) never imports or runs anything from the checked project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TRAP = "import pathlib; pathlib.Path({marker!r}).write_text('executed: ' + __file__)\n"


def trapped_project(root: Path, marker: Path) -> None:
    """Every Python file of this project leaves a marker behind if anything runs it."""
    trap = TRAP.format(marker=str(marker))
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "alembic.ini").write_text("[alembic]\n")
    (root / "migrations" / "env.py").write_text(trap)
    (root / "app.py").write_text(trap + "from sqlalchemy import MetaData\n"
                                 "metadata = MetaData(naming_convention={'fk': 'fk_%(table_name)s'})\n")
    (versions / "__init__.py").write_text(trap)
    (versions / "helpers.py").write_text(trap)
    (versions / "a1.py").write_text(
        trap + "from alembic import op\nimport sqlalchemy as sa\nimport app\n\n"
        'revision = "a1"\ndown_revision = None\n\n'
        "def upgrade():\n"
        "    app.seed()\n"
        '    op.drop_column("users", "legacy")\n'
        '    op.create_foreign_key(None, "posts", "users", ["uid"], ["id"])\n')


@pytest.mark.parametrize("flags", [["--no-execute"], []])
def test_nothing_from_the_project_runs(tmp_path, flags):
    marker = tmp_path / "EXECUTED"
    project = tmp_path / "project"
    trapped_project(project, marker)
    result = subprocess.run([sys.executable, "-m", "migrate_lint", "check", *flags, "--format", "json"],
                            cwd=project, capture_output=True, text=True, timeout=60)
    assert not marker.exists(), marker.read_text()
    report = json.loads(result.stdout)
    # The revision was read (drop-column found) and app.py's naming convention was seen by reading it.
    assert [f["code"] for f in report["findings"]] == ["ML201"]
    assert result.returncode == 1
