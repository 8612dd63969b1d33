"""One finding per rule and source location, and per rule, table and revision file."""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from migrate_lint.catalog import CatalogError, parse_rule
from migrate_lint.finding import Finding, Fix, Location, Severity
from migrate_lint.lint import run
from migrate_lint.lint.dedupe import WHOLE_REVISION, one_per_location, one_per_table, qualified


def finding(code: str, line: int, subject: str) -> Finding:
    return Finding(code, "x", Severity.WARNING, f"about {subject}", Location(Path("r.py"), line, 5),
                   "r1", subject)


def test_the_same_rule_at_the_same_place_is_one_finding_naming_every_subject():
    kept = one_per_location([finding("ML201", 9, "a.c"), finding("ML107", 9, "a.c"),
                             finding("ML201", 9, "b.c"), finding("ML201", 9, "a.c"),
                             finding("ML201", 10, "b.c")])
    assert [(f.code, f.location.line, f.subject, f.message) for f in kept] == [
        ("ML201", 9, "a.c", "about a.c (the same line also: b.c)"), ("ML107", 9, "a.c", "about a.c"),
        ("ML201", 10, "b.c", "about b.c")]


# --- one finding per rule, table and revision file (rules with `per-table` in their YAML) ---

NOUNS = {"ML101": "index", "ML104": "foreign key"}


def on(code: str, line: int, table: str, name: str, path: str = "r.py") -> Finding:
    return Finding(code, "x", Severity.ERROR, f"about {name}", Location(Path(path), line, 5), "r1",
                   f"{table.rsplit('.', 1)[-1]}.{name}", f"help for {name}", table=table)


def test_findings_of_a_per_table_rule_on_one_table_are_one_naming_the_others_and_their_lines():
    a, b, c = (on("ML101", line, "posts", name) for line, name in ((22, "ix_a"), (24, "ix_b"), (25, "ix_c")))
    kept = one_per_table([c, a, b], NOUNS)
    assert len(kept) == 1
    merged = kept[0]
    assert (merged.location.line, merged.subject, merged.help, merged.fingerprint) == (
        22, "posts.ix_a", "help for ix_a", a.fingerprint)
    assert merged.message == "about ix_a (and 2 more indexes on posts: ix_b (line 24), ix_c (line 25))"
    assert merged.parts == (a, b, c)  # each object's own finding: baseline, fix and trace use them


def test_a_lesser_finding_never_takes_in_a_warning_of_the_same_rule_on_the_same_table():
    """quay's revision drops an index only a failed build may have left (info) at line 41, and its
    real index at line 118 (warning): merged into the first, the warning would read as info."""
    lesser = replace(on("ML102", 41, "user", "ix_leftover"), severity=Severity.INFO)
    real = replace(on("ML102", 118, "user", "user_email"), severity=Severity.WARNING)
    assert one_per_table([lesser, real], {"ML102": "index"}) == [lesser, real]


def test_other_tables_rules_files_and_rules_without_per_table_stay_apart():
    findings = [on("ML101", 1, "posts", "ix_a"), on("ML101", 2, "users", "ix_b"),
                on("ML104", 3, "posts", "fk_a"), on("ML101", 4, "posts", "ix_c", path="s.py"),
                on("ML201", 5, "posts", "c"), on("ML201", 6, "posts", "d"),
                on("ML101", 7, "accounts.posts", "ix_d")]
    assert one_per_table(findings, NOUNS) == sorted(findings, key=Finding.sort_key)


def test_one_other_object_is_named_in_the_singular_and_a_repeated_one_with_its_lines():
    kept = one_per_table([on("ML104", 9, "orders", "fk_user"), on("ML104", 12, "orders", "fk_shop")], NOUNS)
    assert kept[0].message == "about fk_user (and 1 more foreign key on orders: fk_shop (line 12))"
    again = one_per_table([on("ML101", 9, "t", "ix"), on("ML101", 12, "t", "ix"), on("ML101", 14, "t", "ix")],
                          NOUNS)
    assert again[0].message == "about ix (and 2 more indexes on t: ix (lines 12, 14))"


def test_merging_merged_findings_again_gives_the_same_findings():
    findings = [on("ML101", line, "posts", f"ix_{line}") for line in range(1, 9)]
    findings.append(on("ML104", 3, "t", "fk"))
    once = one_per_table(findings, NOUNS)
    assert one_per_table(once, NOUNS) == once
    fixed = [replace(once[0], fix=Fix("safe", "concurrently")), *once[1:]]
    assert one_per_table(fixed, NOUNS) == fixed  # a merged finding is kept as it is, with its fix
    assert once[0].message.endswith("ix_5 (line 5), ix_6 (line 6) and 2 more)")


def test_a_table_is_qualified_by_the_schema_its_sql_names():
    assert qualified("users", "users.ix_a", ["CREATE INDEX ix_a ON accounts.users (a)"]) == "accounts.users"
    assert qualified("users", "users.ix_a", ['CREATE INDEX ix_a ON "Accounts"."users" (a)']) == \
        '"Accounts".users'
    assert qualified("users", "ix_old", ["DROP INDEX accounts.ix_old"]) == "accounts.users"
    assert qualified("users", "users.ix_a", ["CREATE INDEX ix_a ON users (accounts.a)",
                                             "ALTER TABLE users ADD CHECK (users.a > 0)"]) == "users"


# --- through a whole check: suppressions, the baseline and the fix see each object ---

HEADER = '"""r1"""\nfrom alembic import op\n\nrevision = "r1"\ndown_revision = None\n\n\ndef upgrade():\n'


def history(root: Path, *calls: str) -> Path:
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "r1.py").write_text(HEADER + "".join(f"    {call}\n" for call in calls)
                                    + "\n\ndef downgrade():\n    pass\n")
    (root / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n')
    return root


INDEXES = ('op.create_index("ix_posts_a", "posts", ["a"])',  # line 9
           'op.create_index("ix_posts_b", "posts", ["b"])',  # line 10
           'op.create_index("ix_posts_c", "posts", ["c"])')  # line 11


def test_a_suppression_on_one_merged_call_silences_that_call_only(tmp_path, check_dir):
    root = history(tmp_path, INDEXES[0], INDEXES[1] + "  # migrate-lint: ignore[ML101] -- built at night",
                   INDEXES[2])
    report = check_dir(root)
    assert [(f.code, f.location.line) for f in report.findings] == [("ML101", 9)]
    assert report.findings[0].message.endswith("(and 1 more index on posts: ix_posts_c (line 11))")
    assert [(f.code, f.location.line) for f in report.suppressed] == [("ML101", 10)]


def test_the_baseline_keeps_each_object_and_a_new_index_on_the_same_table_is_still_reported(tmp_path):
    from migrate_lint import cli

    root = history(tmp_path, *INDEXES[:2])
    previous = Path.cwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(["baseline", "--no-execute"]) == 0
        document = json.loads((root / ".migrate-lint-baseline.json").read_text())
        assert sum(document["fingerprints"].values()) == 2  # one per index, not one per merged finding
        with (root / "pyproject.toml").open("a") as config:
            config.write('baseline = ".migrate-lint-baseline.json"\n')
        source = root / "migrations" / "versions" / "r1.py"
        source.write_text(source.read_text().replace(INDEXES[1], f"{INDEXES[1]}\n    {INDEXES[2]}"))
        report = run.check([Path(".")], None, {}, execute=False).report
    finally:
        os.chdir(previous)
    assert [(f.location.line, f.subject, f.message.endswith("is built")) for f in report.findings] == [
        (11, "posts.ix_posts_c", True)]
    assert sorted(f.location.line for f in report.baselined) == [9, 10]


def test_the_fix_fixes_every_merged_call_and_json_carries_all_their_edits(tmp_path):
    from tests.test_fix_cases import fix

    root = history(tmp_path, *INDEXES, 'op.create_index("ix_users_a", "users", ["a"])')
    code, out, _ = fix(root, "--no-execute", "--format", "json")
    document = json.loads(out)
    assert [(f["line"], f["code"]) for f in document["findings"]] == [(9, "ML101"), (12, "ML101")]
    edits = document["findings"][0]["fix"]["edits"]
    fixed = "".join(edit["content"] for edit in edits)
    assert all(f'"ix_posts_{c}"' in fixed for c in "abc") and "ix_users_a" not in fixed
    assert fixed.count("postgresql_concurrently=True") == 3
    code, out, err = fix(root, "--fix", "--no-execute")
    text = (root / "migrations" / "versions" / "r1.py").read_text()
    assert text.count("postgresql_concurrently=True") == 4, err
    assert code == 0 and "fixed 4 findings" in err


def test_calls_that_name_their_table_by_a_variable_are_never_merged(tmp_path, check_dir):
    root = history(tmp_path, 'for table in tables_of("blog"):', '    op.create_index(None, table, ["a"])',
                   'for table in tables_of("shop"):', '    op.create_index(None, table, ["b"])', *INDEXES[:2])
    report = check_dir(root)  # the AST layer: neither loop's tables can be known
    assert [(f.location.line, len(f.parts)) for f in report.findings] == [(10, 1), (12, 1), (13, 2)]


def test_a_loop_over_literal_tables_merges_with_other_calls_on_those_tables(tmp_path, check_dir):
    root = history(tmp_path, 'for table in ("posts", "users"):', '    op.create_index(None, table, ["a"])',
                   'for table in ("orders",):', '    op.create_index(None, table, ["b"])', *INDEXES[:2])
    report = check_dir(root)  # each loop runs once per literal table: line 10 on posts joins 13 and 14
    assert [(f.location.line, len(f.parts)) for f in report.findings] == [(10, 3), (12, 1)]
    assert "users" in report.findings[0].message and "orders" in report.findings[1].message


def test_a_per_revision_rule_is_one_finding_per_revision_file_whatever_the_tables():
    def dropped(line: int, table: str, path: str = "r.py") -> Finding:
        return Finding("ML202", "x", Severity.WARNING, f"about {table}", Location(Path(path), line, 5), "r1",
                       table, table=WHOLE_REVISION)
    kept = one_per_table([dropped(9, "a"), dropped(12, "b"), dropped(14, "c"), dropped(3, "d", "s.py")],
                         {"ML202": "table"})
    assert [(f.location.path.name, f.message, len(f.merged)) for f in kept] == [
        ("r.py", "about a (and 2 more tables in this revision: b (line 12), c (line 14))", 3),
        ("s.py", "about d", 0)]


def test_a_rule_merges_one_way_only():
    text = (Path(__file__).parent.parent / "rules" / "ML202.yml").read_text()
    with pytest.raises(CatalogError, match="two ways to merge"):
        parse_rule(text.replace("per-revision: table", "per-revision: table\nper-table: table"), "ML202.yml")
