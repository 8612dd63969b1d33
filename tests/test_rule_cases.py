"""Every pass/fail case of every rule in rules/*.yml, run through the real engine."""

from __future__ import annotations

import pytest

from migrate_lint.catalog import load_catalog
from tests.rulecases import (
    base_sources,
    expected,
    locked_sources,
    project_files,
    revision_sources,
    write_project,
)

CATALOG = load_catalog()
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
                            locked_sources(case), project_files(case))
    report = check_dir(project, execute=execute, base="HEAD" if base else None)
    assert report.errors == ()
    found = {(f.location.path.name, f.location.line, f.code) for f in report.findings}
    want = expected(files, catalog)
    assert found == want, "\n".join(f"{f.location.line}: {f.code} {f.message}" for f in report.findings)
    if case.kind == "fail":
        assert any(c == code for _, _, c in want), f"a fail case of {code} must expect {code}"
    else:
        assert all(c != code for _, _, c in found)
