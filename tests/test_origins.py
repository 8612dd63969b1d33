"""table_origins: the revision call that gave a table its name, the latest when several did."""

from __future__ import annotations

from pathlib import Path

from migrate_lint.drift.origins import table_origins
from migrate_lint.revisions.discover import discover_dir

REV = 'from alembic import op\n\nrevision = "{rev}"\ndown_revision = {down!r}\n\ndef upgrade():\n{body}'


def test_the_latest_creation_or_rename_wins(tmp_path: Path):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    bodies = {  # file names sort against the history's order on purpose
        "z_first": (None, '    op.create_table("audit")\n    op.create_table("Jobs")\n'),
        "y_second": ("z_first", '    op.drop_table("audit")\n'),
        "x_third": ("y_second", '    op.create_table(table_name="audit")\n'
                                '    op.rename_table("jobs", new_table_name="tasks")\n'),
    }
    for rev, (down, body) in bodies.items():
        (versions / f"{rev}.py").write_text(REV.format(rev=rev, down=down, body=body))
    [history] = discover_dir(tmp_path, None)
    found = {table: (path.name, line, rev) for table, (path, line, rev) in table_origins(history).items()}
    assert found == {"audit": ("x_third.py", 7, "x_third"), "jobs": ("z_first.py", 8, "z_first"),
                     "tasks": ("x_third.py", 8, "x_third")}
