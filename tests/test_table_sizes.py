"""check --stats: which findings a snapshot weighs, and how; no server needed (see test_stats.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from migrate_lint.catalog import load_catalog
from migrate_lint.finding import Severity
from migrate_lint.lint.table_sizes import human_bytes, human_rows
from migrate_lint.lint.weighing import WEIGHED_TAG
from tests.rulecases import revision_sources, write_project
from tests.test_cli import ml

CATALOG = load_catalog()
# Statements that do not name their table keep their severity: REINDEX INDEX and DROP INDEX in raw SQL
# name an index only, sync_enum_values(affected_columns=[TableReference(...)]) is not read yet, and a
# row-by-row loop's table is inside its query text. A table a loop computes is named only once rendered.
TABLE_UNNAMED = {("ML102", "several indexes in one DROP INDEX"),
                 ("ML102", "raw SQL naming the index with its schema keeps the schema in the help"),
                 ("ML107", "tables and columns a query finds at run time are named in words, "
                           "not joined by a dot"),
                 ("ML117", "a plain REINDEX of an index"),
                 ("ML117", "before PostgreSQL 12 there is no concurrent form, and the lock is the same"),
                 ("ML119", "values synced by re-creating the type"),
                 ("ML311", "an ORM loop over the whole table"),
                 ("ML311", "fetchall() then one UPDATE per row"),
                 ("ML311", "on MySQL the help's set-based UPDATE is MySQL's, with a JOIN"),
                 ("ML311", "a loop inside the loop over the table is the same finding (gertty's)"),
                 ("ML311", "a loop that queries and then writes per row still writes row by row"),
                 ("ML101", "a table the loop's body computes from the loop variable is named as the loop's, "
                           "never as the variable"),
                 ("ML101", "an attribute of the loop variable is the loop's table too"),
                 ("ML101", "a loop over a table's indexes, its call written with keywords, is written back "
                           "as the loop's call"),
                 ("ML106", "a loop over tables, each finding's help writes the table and columns of its own "
                           "pass (superset's)")}
LOCK_CASES = [(spec, case) for spec in CATALOG.rules if WEIGHED_TAG in spec.tags
              for case in spec.cases if case.kind == "fail" and (spec.code, case.name) not in TABLE_UNNAMED]


def snapshot(tables: dict[str, int], heads: list[str] | None = None, dialect: str = "postgresql",
             taken: str = "2999-01-01T00:00:00Z") -> str:
    return json.dumps({"version": 1, "taken_at": taken, "dialect": dialect, "server_version": "15.6",
                       "heads": heads, "tables": {name: {"rows": rows, "bytes": rows * 100}
                                                  for name, rows in tables.items()}})


@pytest.mark.parametrize(("spec", "case"), LOCK_CASES, ids=[f"{s.code}-{c.name}" for s, c in LOCK_CASES])
def test_every_lock_rule_names_its_table_so_small_tables_lower_it(spec, case, tmp_path, check_dir):
    """Each rule tagged `locks` says which table its lock falls on (the hit's `table` field)."""
    files = revision_sources(case)
    names = {word for _, text in files for word in re.findall(r"[A-Za-z_]\w*", text)}  # SQL too
    dialect = case.config.get("dialect", "postgresql")
    root = write_project(tmp_path, files, {"extend-select": [spec.code], **case.config, "stats": "s.json"})
    (root / "s.json").write_text(snapshot(dict.fromkeys(names, 5), dialect=dialect))
    report = check_dir(root)
    found = [f for f in report.findings if f.code == spec.code]
    assert found, f"{spec.code} did not fire"
    # a raw DROP INDEX of an index no revision says the table of (made outside the history, or by
    # create_all()) cannot be weighed: its message says "its table", never a guess
    weighed = [f for f in found if f.table or "its table" not in f.message]
    assert weighed or all(f.code == "ML102" for f in found), [f.message for f in found]
    for finding in weighed:
        assert ": about 5 rows, 500 bytes, below small-table-rows (10,000)" in finding.message, \
            finding.message
        lowered = Severity(max(spec.severity - 1, Severity.INFO))
        # a lesser wording (`lesser:` in the rule's YAML) starts at info, and stays there
        lesser = bool(spec.lesser) and finding.severity == Severity.INFO and "lowered" not in finding.message
        assert finding.severity == lowered or lesser


HISTORY = {
    "a1": (None, 'op.create_table("posts", sa.Column("id", sa.Integer, primary_key=True), '
                 'sa.Column("title", sa.String(80)))'),
    "b1": ("a1", 'op.create_table("tags", sa.Column("id", sa.Integer, primary_key=True), '
                 'sa.Column("label", sa.String(30)))'),
    "c1": ("b1", 'op.create_index("ix_posts_title", "posts", ["title"])\n'
                 '    op.create_index("ix_tags_label", "tags", ["label"])\n'
                 '    op.drop_column("posts", "legacy")'),
}


def history(root: Path, stats: str, **config: object) -> Path:
    sources = [(f"{rev}.py", f'"""{rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
                f'revision = "{rev}"\ndown_revision = {down!r}\n\n\ndef upgrade():\n    {body}\n')
               for rev, (down, body) in HISTORY.items()]
    write_project(root, sources, {"stats": "s.json", **config})
    (root / "s.json").write_text(stats)
    return root


def severities(report) -> dict[tuple[str, str], tuple[Severity, str]]:
    return {(f.code, f.subject): (f.severity, f.message) for f in report.findings}


def test_large_tables_raise_warnings_and_leave_errors_and_other_rules_alone(tmp_path, check_dir):
    root = history(tmp_path, snapshot({"posts": 12_400_000, "tags": 12_400_000}, ["c1"]))
    (root / "migrations" / "versions" / "d1.py").write_text(
        'from alembic import op\nrevision = "d1"\ndown_revision = "c1"\n\n\ndef upgrade():\n'
        '    op.drop_index("ix_tags_old", table_name="tags")\n')
    found = severities(check_dir(root))
    severity, message = found[("ML102", "ix_tags_old")]
    assert severity == Severity.ERROR and message.endswith(
        "(tags: about 12.4 million rows, 1.2 GB, above large-table-rows (10,000,000): "
        "warning raised to error)")
    severity, message = found[("ML101", "posts.ix_posts_title")]
    assert severity == Severity.ERROR
    assert message.endswith("(posts: about 12.4 million rows, 1.2 GB)")  # already an error: the size only
    severity, message = found[("ML201", "posts.legacy")]  # drop-column: not a lock rule, never weighed
    assert severity == Severity.WARNING and "about" not in message


@pytest.mark.parametrize(("heads", "new"), [
    (["a1"], True),  # tags is created by b1, after the database's head: new when c1 runs
    (["b1"], False),  # b1 is applied: tags exists with what the snapshot says
    (None, False),  # no alembic_version in the snapshot: nothing is known to come after it
    (["zz9"], False),  # a head this history lacks: which revisions came after is unknown
])
def test_tables_created_after_the_snapshot_are_new(heads, new, tmp_path, check_dir):
    root = history(tmp_path, snapshot({"posts": 50_000}, heads))
    severity, message = severities(check_dir(root))[("ML101", "tags.ix_tags_label")]
    if new:
        assert severity == Severity.WARNING
        assert message.endswith("(tags: created by b1, after the stats snapshot, so new when this runs: "
                                "error lowered to warning)")
    else:
        assert severity == Severity.ERROR and "tags:" not in message  # not in the snapshot either


def test_a_snapshot_of_another_server_family_weighs_nothing(tmp_path, check_dir):
    root = history(tmp_path, snapshot({"posts": 5, "tags": 5}, dialect="mariadb"))
    assert severities(check_dir(root))[("ML101", "posts.ix_posts_title")][0] == Severity.ERROR


def test_thresholds_come_from_the_config(tmp_path, check_dir):
    root = history(tmp_path, snapshot({"posts": 50_000, "tags": 50_000}), **{"small-table-rows": 100_000})
    severity, message = severities(check_dir(root))[("ML101", "posts.ix_posts_title")]
    assert severity == Severity.WARNING and "below small-table-rows (100,000)" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("{", "the stats snapshot is not JSON"),
    ('{"version": 1, "tables": {}}', "not a `migrate-lint stats` snapshot"),
    ('{"version": 1, "taken_at": "2024-01-01T00:00:00", "dialect": "postgresql", "tables": {}}',
     "taken_at has no time zone"),
])
def test_a_bad_snapshot_is_one_line_and_exit_2(text, expected, tmp_path):
    root = history(tmp_path, text)
    result = ml("check", "--no-execute", cwd=root)
    assert result.returncode == 2 and expected in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = ml("check", "--no-execute", "--stats", "nowhere.json", cwd=root)
    assert missing.returncode == 2 and "cannot read the stats snapshot" in missing.stderr


def test_a_stale_snapshot_is_reported_once_at_the_file(tmp_path):
    root = history(tmp_path, snapshot({"posts": 50_000}, taken="2001-02-03T00:00:00Z"))
    result = ml("check", "--no-execute", "--format", "json", cwd=root)
    [stale] = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "ML906"]
    assert (stale["path"], stale["line"], stale["severity"]) == ("s.json", 1, "info")
    assert "taken on 2001-02-03" in stale["message"]


@pytest.mark.parametrize(("rows", "text"), [(7, "7"), (8120, "8,120"), (540_000, "540,000"),
                                            (12_400_000, "12.4 million"), (3_100_000_000, "3.1 billion")])
def test_rows_read_as_a_reviewer_weighs_them(rows, text):
    assert human_rows(rows) == text


@pytest.mark.parametrize(("size", "text"), [(500, "500 bytes"), (8192, "8.0 kB"), (3_328_599_654, "3.1 GB"),
                                            (5 * 1024**4, "5.0 TB")])
def test_sizes_read_as_pg_size_pretty_spells_them(size, text):
    assert human_bytes(size) == text
