"""What check may run: --no-execute runs nothing of the project; rendering runs only revisions,
only in worker processes, and never env.py or the application."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TRAP = ("import os, pathlib; pathlib.Path({marker!r}, f'{{os.getpid()}}-' + "
        "pathlib.Path(__file__).name).write_text('ran')\n")


def trapped_project(root: Path, marker: Path) -> None:
    """Every Python file of this project leaves a marker (pid and file name) if anything runs it."""
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
        trap + "from alembic import op\nimport sqlalchemy as sa\n\n"
        'revision = "a1"\ndown_revision = None\n\n'
        "def upgrade():\n"
        "    import app\n"
        "    app.seed()\n"
        '    op.drop_column("users", "legacy")\n'
        '    op.create_foreign_key(None, "posts", "users", ["uid"], ["id"])\n')


def run_check(tmp_path: Path, *flags: str) -> tuple[dict, int, set[str]]:
    marker = tmp_path / "markers"
    marker.mkdir()
    project = tmp_path / "project"
    trapped_project(project, marker)
    process = subprocess.Popen([sys.executable, "-m", "migrate_lint", "check", *flags, "--format", "json"],
                               cwd=project, stdout=subprocess.PIPE, text=True)
    out, _ = process.communicate(timeout=120)
    return json.loads(out), process.pid, {p.name for p in marker.iterdir()}


def test_no_execute_runs_nothing(tmp_path):
    report, _, ran = run_check(tmp_path, "--no-execute")
    assert ran == set()
    # The revision was read (its import of the app, drop-column, the foreign key's lock from the SQL
    # written from the AST) and app.py's naming convention was seen by reading it: no
    # unnamed-constraint finding.
    assert [f["code"] for f in report["findings"]] == ["ML307", "ML201", "ML104"]


def test_rendering_runs_only_the_revision_in_a_worker(tmp_path):
    report, pid, ran = run_check(tmp_path)
    [marker] = ran
    worker_pid, name = marker.split("-", 1)
    assert name == "a1.py" and int(worker_pid) != pid
    # app.py stayed unimportable (the worker drops the working folder from sys.path): not rendered.
    codes = {(f["code"], f["line"]) for f in report["findings"]}
    assert codes == {("ML307", 9), ("ML201", 11), ("ML104", 12), ("ML904", 9)}
    assert "ModuleNotFoundError: No module named 'app'" in next(
        f["message"] for f in report["findings"] if f["code"] == "ML904")
