"""Every pass/fail case of every rule in rules/*.yml, run through the real engine."""

from __future__ import annotations

import re

import pytest

from migrate_lint.catalog import load_catalog
from tests.rulecases import (
    CONFIG_ONLY,
    base_sources,
    expected,
    expected_in_files,
    locked_sources,
    project_files,
    revision_sources,
    write_project,
)

CATALOG = load_catalog()
UNFILLED = re.compile(r"\{[a-z_]+\}")  # a message template's field left as it was written
F_STRING = re.compile(r"\bf'[^']*'")  # code in a help that fills its own fields: f'... {schema_name}.posts'
CASES = [(spec.code, case) for spec in CATALOG.rules if "drift" not in spec.tags for case in spec.cases]
RENDERED = {spec.code for spec in CATALOG.rules if "sql" in spec.tags} | {"ML904"}
# Rules that read what only Alembic's own rendering knows (column types of a whole CREATE TABLE).
RENDERED_ONLY = {spec.code for spec in CATALOG.rules if "rendered" in spec.tags} | {"ML904"}


# Rules that read SQL run on rendered SQL and, with --no-execute, on SQL written from the AST:
# both layers must reach the same verdict.
RUNS = [(code, case, execute) for code, case in CASES
        for execute in ((True, False) if code in RENDERED - RENDERED_ONLY else (code in RENDERED,))]


@pytest.mark.parametrize(("code", "case", "execute"), RUNS, ids=[
    f"{code}-{case.kind}-{case.name}-{'rendered' if execute else 'ast'}" for code, case, execute in RUNS])
def test_rule_case(code, case, execute, tmp_path, catalog, check_dir):
    files, base = revision_sources(case), base_sources(case)
    project = write_project(tmp_path, files, {"extend-select": [code], **case.config}, base,
                            locked_sources(case), project_files(case), case.project_root)
    report = check_dir(project, execute=execute, base="HEAD" if base else None,
                       config=None if case.project_root else project / CONFIG_ONLY)
    assert report.errors == ()
    found = {(f.location.path.name, f.location.line, f.code) for f in report.findings}
    want = expected(files, catalog) | expected_in_files(case, catalog)
    assert found == want, "\n".join(f"{f.location.line}: {f.code} {f.message}" for f in report.findings)
    for finding in report.findings:  # a template field no check filled shows as `{name}`
        assert not UNFILLED.search(finding.message + " " + F_STRING.sub("", finding.help or "")), finding
    if case.kind == "fail":
        assert any(c == code for _, _, c in want), f"a fail case of {code} must expect {code}"
        own = [f for f in report.findings if f.code == code]
        for text in case.message:
            assert any(text in f.message for f in own), (text, [f.message for f in own])
        for text in case.help:
            assert any(text in (f.help or "") for f in own), (text, [f.help for f in own])
    else:
        assert all(c != code for _, _, c in found)


# Under --base only the change is analysed in full; the other revisions are read for their headers
# and analysed when a check asks (an ancestor's backfill, a parent's open NOT VALID). So every case
# with several revisions, checked as the pull request that adds its last one, must give that
# revision the verdict a full check gives it (besides what only a change can show, tagged history).
CHANGE_ONLY = {spec.code for spec in CATALOG.rules if "history" in spec.tags}
LAST_ADDED = [(code, case) for code, case in CASES
              if len(revision_sources(case)) > 1 and not base_sources(case) and not locked_sources(case)
              and not project_files(case)]


@pytest.mark.parametrize(("code", "case"), LAST_ADDED,
                         ids=[f"{code}-{case.kind}-{case.name}" for code, case in LAST_ADDED])
def test_a_pull_request_adding_the_last_revision_gets_its_verdict(code, case, tmp_path, catalog, check_dir):
    files = revision_sources(case)
    *before, (last, _) = files
    project = write_project(tmp_path, files, {"extend-select": [code], **case.config},
                            [(f"migrations/versions/{name}", text) for name, text in before])
    for _ in ("cold", "warm"):  # the second run reads headers, and what checks ask for, from the cache
        report = check_dir(project, execute=code in RENDERED, base="HEAD")
        assert report.errors == ()
        found = {(f.location.path.name, f.location.line, f.code) for f in report.findings
                 if f.code not in CHANGE_ONLY}
        assert found == {item for item in expected(files, catalog)
                         if item[0] == last and item[2] not in CHANGE_ONLY}, "\n".join(
            f"{f.location.path.name}:{f.location.line}: {f.code} {f.message}" for f in report.findings)
