"""update-without-where on a table that earlier revisions set whole to a literal, release after
release: a one-row table of versions or settings (xivo's `infos`), reported at info."""

from __future__ import annotations

from pathlib import Path

import pytest

REVISION = '''from alembic import op

revision = "{rev}"
down_revision = {down}


def upgrade():
    op.execute("{sql}")
'''


def history(root: Path, statements: list[str]) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    down = "None"
    for number, sql in enumerate(statements, 1):
        (versions / f"r{number}.py").write_text(REVISION.format(rev=f"r{number}", down=down, sql=sql))
        down = f'"r{number}"'
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n'
                                         'dialect = "postgresql"\nselect = ["update-without-where"]\n')
    return root


@pytest.mark.parametrize(("statements", "severities"), [
    (["UPDATE infos SET version = '1.1'", "UPDATE infos SET version = '1.2'",
      "UPDATE infos SET version = '1.3'", "UPDATE infos SET version = '1.4'"],
     ["warning", "warning", "info", "info"]),
    # values computed from each row's own: data, however often the history does it
    (["UPDATE infos SET version = lower(version)", "UPDATE infos SET version = upper(version)",
      "UPDATE infos SET version = '1.3'"], ["warning", "warning", "warning"]),
    # literals set whole into another table say nothing of this one
    (["UPDATE settings SET version = '1.1'", "UPDATE settings SET version = '1.2'",
      "UPDATE infos SET version = '1.3'"], ["warning", "warning", "warning"]),
])
def test_a_table_the_history_sets_whole_again_and_again_is_a_one_row_table(tmp_path, check_dir, statements,
                                                                              severities):
    findings = sorted(check_dir(history(tmp_path, statements)).findings, key=lambda f: f.location.path.name)
    assert [f.severity.label for f in findings] == severities
    assert all(("one-row table" in f.message) == (f.severity.label == "info") for f in findings)
