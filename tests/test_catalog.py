"""The catalogue: every rule is complete, documented, wired to a check, and listed in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.catalog import CatalogError, parse_rule
from migrate_lint.formatters.ruledoc import render
from migrate_lint.lint.engine import check_module
from tests.conftest import REPO

NATIVE = {"syntax-error", "dynamic-revision-header", "unused-suppression", "suppression-without-reason",
          "not-rendered", "noqa-comment", "stale-stats"}


def test_every_rule_has_a_check_or_is_reported_by_the_engine(catalog):
    for spec in catalog.rules:
        module = check_module(spec.module)
        if "drift" in spec.tags:  # found by `drift`, compare.py and roundtrip.py: never a check module
            assert module is None and spec.code.startswith("ML5"), spec.name
        elif spec.name in NATIVE:
            assert module is None, spec.name
        else:
            assert module is not None and spec.code == module.CODE, spec.name
            assert module.SCOPE in ("revision", "history")


def test_every_rule_is_in_the_readme_table(catalog):
    readme = (REPO / "README.md").read_text()
    for spec in catalog.rules:
        row = (f"| {spec.code} | `{spec.name}` | {spec.severity.label} | "
               f"{'yes' if spec.default else 'opt-in'} | {', '.join(spec.dialects) or 'all'} |")
        assert row in readme, row


def test_docs_render_every_case(catalog):
    for spec in catalog.rules:
        doc = render(spec)
        assert doc.count("```python") >= len(spec.cases)


@pytest.mark.parametrize(("text", "message"), [
    ("code: ML001\ncode: ML002\n", "duplicate key 'code'"),
    ("code: ML001\n", "missing keys"),
    ("- a\n", "a rule is a mapping"),
])
def test_bad_catalogue_entries_are_rejected(text, message):
    with pytest.raises(CatalogError, match=message):
        parse_rule(text, "x.yml")


ML312 = (Path(__file__).parent.parent / "rules" / "ML312.yml").read_text()


@pytest.mark.parametrize(("variants", "message"), [
    ("{typo: traffic}", "deploy-variants maps message variants"),  # no such wording
    ("{type: sometimes}", "to one of traffic, old-code, any"),
])
def test_bad_deploy_variants_are_rejected(variants, message):
    with pytest.raises(CatalogError, match=message):
        parse_rule(ML312.replace("deploy-variants: {type: traffic}", f"deploy-variants: {variants}"), "x.yml")


def test_a_wording_s_deploy_need_is_its_own(catalog):
    spec = catalog.get("ML312")
    assert spec.applies_to("offline") and not spec.applies_to("offline", "type")
    assert spec.applies_to("online", "type")


def test_the_rule_reference_in_docs_is_current(catalog):
    from migrate_lint.formatters.ruledoc import reference

    current = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == reference(list(catalog.rules)), (
        "docs/rules.md is stale: run  migrate-lint rules --format markdown > docs/rules.md")
