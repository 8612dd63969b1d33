"""Lock findings on a table the history created shortly before (by the revisions' Create Date),
when no stats snapshot says its size: one severity lower, saying why (lint.table_age)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.finding import Severity

REVISION = '''"""{doc}

Revision ID: {rev}
Revises: {down}
Create Date: {date} 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down!r}


def upgrade():
{body}
'''
CREATE = ('    op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True), '
          'sa.Column("label", sa.Text()))')
INDEX = '    op.create_index("ix_tags_label", "tags", ["label"])'


def history(root: Path, revisions: list[tuple[str, str, str]], config: str = "") -> Path:
    """(id, Create Date, body) in order, each revising the one before."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "pyproject.toml").write_text(f'[tool.migrate-lint]\ndialect = "postgresql"\n{config}')
    down = None
    for rev, date, body in revisions:
        text = REVISION.format(doc=rev, rev=rev, down=down, date=date, body=body)
        (versions / f"{rev}.py").write_text(text)
        down = rev
    return root


def index_finding(report):
    [finding] = [f for f in report.findings if f.code == "ML101"]
    return finding


@pytest.mark.parametrize(("created", "indexed", "config", "lowered", "when"), [
    ("2024-03-01", "2024-03-01", "", Severity.INFO, "the same day"),  # a week or less: info
    ("2024-03-01", "2024-03-02", "", Severity.INFO, "the day before"),
    ("2024-03-01", "2024-03-08", "", Severity.INFO, "7 days before"),
    ("2024-03-01", "2024-03-09", "", Severity.WARNING, "8 days before"),  # up to a month: one lower
    ("2024-03-01", "2024-03-31", "", Severity.WARNING, "30 days before"),
    ("2024-03-01", "2024-04-01", "", None, ""),  # 31 days: it may have filled
    ("2024-03-01", "2024-03-20", "new-table-days = 0\n", None, ""),  # turned off
    ("2024-03-01", "2024-03-20", "new-table-days = 7\n", None, ""),
])
def test_a_lock_finding_on_a_table_created_days_before_is_lower(
        tmp_path, check_dir, created, indexed, config, lowered, when):
    revisions = [("a0", created, "    pass"), ("a1", created, CREATE), ("b1", indexed, INDEX)]
    root = history(tmp_path, revisions, config)
    finding = index_finding(check_dir(root))
    if lowered:
        assert finding.severity == lowered
        assert finding.message.endswith(f"(tags: created by a1 {when} (by their Create Date), so it holds "
                                        f"little yet: error lowered to {lowered.label})")
    else:
        assert finding.severity == Severity.ERROR and "created by" not in finding.message


def test_a_table_created_more_than_ten_revisions_before_is_not_new(tmp_path, check_dir):
    between = [(f"m{i}", "2024-03-02", "    pass") for i in range(10)]
    root = history(tmp_path, [("a1", "2024-03-01", CREATE), *between, ("b1", "2024-03-03", INDEX)])
    assert index_finding(check_dir(root)).severity == Severity.ERROR


@pytest.mark.parametrize("copy_in", ["creator", "between"])
def test_a_young_table_filled_from_another_table_is_not_small(tmp_path, check_dir, copy_in):
    """hasjob creates `domain` and fills it from every job post: eleven days on it is not empty."""
    fill = '    op.execute("INSERT INTO tags (label) SELECT DISTINCT tag FROM posts")'
    revisions = [("a0", "2024-03-01", "    pass"),
                 ("a1", "2024-03-01", CREATE + ("\n" + fill if copy_in == "creator" else "")),
                 ("m1", "2024-03-05", fill if copy_in == "between" else "    pass"),
                 ("b1", "2024-03-12", INDEX)]
    finding = index_finding(check_dir(history(tmp_path, revisions)))
    assert finding.severity == Severity.ERROR and "created by" not in finding.message


def test_seed_rows_leave_a_young_table_small(tmp_path, check_dir):
    seed = '    op.execute("INSERT INTO tags (label) VALUES (\'a\'), (\'b\')")'
    root = history(tmp_path, [("a0", "2024-03-01", "    pass"), ("a1", "2024-03-01", CREATE + "\n" + seed),
                              ("b1", "2024-03-12", INDEX)])
    assert index_finding(check_dir(root)).severity == Severity.WARNING


NOT_NULL = '    op.add_column("tags", sa.Column("slug", sa.Text(), nullable=False))'


@pytest.mark.parametrize(("added", "severity"), [
    ("2024-03-01", Severity.INFO),  # the same day: ships with the table, empty
    ("2024-03-08", Severity.INFO),
    ("2024-03-09", Severity.ERROR),  # older: it may hold rows, and the ALTER fails on them
])
def test_a_not_null_column_without_default_on_a_table_a_week_old_is_info(
        tmp_path, check_dir, added, severity):
    root = history(tmp_path, [("a1", "2024-03-01", CREATE), ("b1", added, NOT_NULL)])
    [finding] = [f for f in check_dir(root).findings if f.code == "ML301"]
    assert finding.severity == severity
    assert ("so it holds little yet: error lowered to info" in finding.message) is (severity == Severity.INFO)


@pytest.mark.parametrize(("indexed", "severity"), [
    ("2024-03-05", Severity.INFO), ("2024-03-14", Severity.ERROR)])
def test_the_root_s_tables_may_predate_the_history_so_their_age_counts_for_a_week_only(
        tmp_path, check_dir, indexed, severity):
    """waiverdb served from April and stamped its initial migration, dated November: a table
    that revision creates is as old as the project, not as its Create Date."""
    root = history(tmp_path, [("a1", "2024-03-01", CREATE), ("b1", indexed, INDEX)])
    assert index_finding(check_dir(root)).severity == severity


def test_dates_of_a_converted_history_say_nothing(tmp_path, check_dir):
    # twenty revisions on one day: a history converted or squashed at once, whose dates are not its age
    burst = [(f"m{i:02}", "2018-09-04", "    pass") for i in range(19)]
    root = history(tmp_path, [("a1", "2018-09-04", CREATE), ("b1", "2018-09-04", INDEX), *burst])
    assert index_finding(check_dir(root)).severity == Severity.ERROR


def test_without_create_dates_nothing_is_known(tmp_path, check_dir):
    root = history(tmp_path, [("a1", "2024-03-01", CREATE), ("b1", "2024-03-02", INDEX)])
    for path in (root / "migrations" / "versions").glob("*.py"):
        path.write_text(path.read_text().replace("Create Date:", "Created:"))
    assert index_finding(check_dir(root)).severity == Severity.ERROR


def test_other_rules_than_lock_rules_keep_their_severity(tmp_path, check_dir):
    root = history(tmp_path, [("a1", "2024-03-01", CREATE),
                              ("b1", "2024-03-02", '    op.drop_column("tags", "label")')])
    [finding] = [f for f in check_dir(root).findings if f.code == "ML201"]
    assert finding.severity == Severity.WARNING and "created by" not in finding.message


def test_the_first_revision_builds_the_schema_so_its_locks_are_info(tmp_path, check_dir):
    """nova's initial revision creates its shadow tables by computed names, then indexes them: a
    root revision that creates tables runs on an empty database (existing ones are stamped)."""
    shadow = ('    from myapp.models import SHADOWED  # not there: read from the syntax tree alone\n'
              '    for name in SHADOWED:\n'
              '        op.create_table("shadow_" + name, sa.Column("id", sa.Integer(), primary_key=True),\n'
              '                        sa.Column("uuid", sa.String(36)))\n'
              '    op.create_index("ix_shadow_migrations_uuid", "shadow_migrations", ["uuid"])')
    root = history(tmp_path, [("a1", "2024-03-01", shadow)])
    finding = index_finding(check_dir(root))
    assert finding.severity == Severity.INFO
    assert finding.message.endswith("(shadow_migrations: this is the history's first revision, which builds "
                                    "the schema on an empty database: error lowered to info)")


def test_a_first_revision_that_creates_no_table_alters_a_database_that_was_there(tmp_path, check_dir):
    root = history(tmp_path, [("a1", "2024-03-01", INDEX)])
    assert index_finding(check_dir(root)).severity == Severity.ERROR


OLD_TABLE = [("a0", "2024-01-01", "    pass"), ("a1", "2024-01-01", CREATE)]  # months before


@pytest.mark.parametrize(("emptying", "indexed", "severity", "made"), [
    # a NOT NULL column with nothing to fill it fails on a table with rows: the table had none
    (NOT_NULL, "2024-03-05", Severity.INFO, "given a NOT NULL column with nothing to fill it, which only an "
                                            "empty table takes,"),
    ('    op.execute("TRUNCATE tags")', "2024-03-05", Severity.INFO, "emptied"),
    # a table found empty is trusted for a week only: the application still writes to it
    ('    op.execute("TRUNCATE tags")', "2024-03-20", Severity.ERROR, ""),
    # emptied and filled again in the same revision: not empty
    ('    op.execute("DELETE FROM tags")\n    op.execute("INSERT INTO tags (label) SELECT tag FROM posts")',
     "2024-03-05", Severity.ERROR, ""),
    # a NOT NULL column with a server default fills every row: it says nothing of the table
    ('    op.add_column("tags", sa.Column("slug", sa.Text(), nullable=False, server_default="x"))',
     "2024-03-05", Severity.ERROR, ""),
])
def test_a_table_an_earlier_revision_left_empty_is_young_from_then(
        tmp_path, check_dir, emptying, indexed, severity, made):
    root = history(tmp_path, [*OLD_TABLE, ("m1", "2024-03-01", emptying), ("b1", indexed, INDEX)])
    finding = index_finding(check_dir(root))
    assert finding.severity == severity
    assert (f"(tags: {made} by m1 " in finding.message) is bool(made)



DROP = '    op.drop_column("tags", "label")'


@pytest.mark.parametrize(("dropped", "root", "severity"), [
    ("2024-03-01", False, Severity.INFO),  # the same day: no release has had the table yet
    ("2024-03-02", False, Severity.WARNING),  # the day after: a release may have shipped it
    ("2024-03-01", True, Severity.WARNING),  # the root's tables may be older than the history
])
def test_a_column_dropped_from_a_table_made_the_same_day_breaks_no_release(
        tmp_path, check_dir, dropped, root, severity):
    """aicacia drops `threads` 21 minutes after the revision that made it."""
    before = [] if root else [("a0", "2024-03-01", "    pass")]
    revisions = [*before, ("a1", "2024-03-01", CREATE), ("b1", dropped, DROP)]
    [finding] = [f for f in check_dir(history(tmp_path, revisions)).findings if f.code == "ML201"]
    assert finding.severity == severity
    note = ("(tags: created by a1 the same day (by their Create Date), so most likely no release has run "
            "code that uses it yet: warning lowered to info)")
    assert (note in finding.message) is (severity == Severity.INFO)
