"""`lesser` in a rule's YAML: a wording whose case is a lesser risk reports at a lower severity,
unless the config sets the rule's severity. unnamed-constraint is the rule that uses it: on
PostgreSQL the server names an unnamed constraint by a fixed rule, which its message spells."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate_lint.catalog import CatalogError, parse_rule, read_rule

REVISION = '''from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_foreign_key(None, "posts", "users", ["author_id"], ["id"])
'''


def project(root: Path, config: str) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "versions" / "a1.py").write_text(REVISION)
    (root / "pyproject.toml").write_text(
        '[tool.migrate-lint]\nscript-location = "migrations"\nselect = ["unnamed-constraint"]\n' + config)
    return root


@pytest.mark.parametrize(("config", "severity", "wording"), [
    ('dialect = "postgresql"\n', "info", "PostgreSQL calls it posts_author_id_fkey"),
    ('dialect = "mysql"\n', "error", "the database invents one"),
    ('dialect = "postgresql"\nseverity = { unnamed-constraint = "warning" }\n', "warning",
     "PostgreSQL calls it posts_author_id_fkey"),
])
def test_a_lesser_wording_reports_lower_unless_the_config_says(tmp_path, check_dir, config, severity,
                                                                wording):
    [finding] = check_dir(project(tmp_path, config)).findings
    assert (finding.code, finding.severity.label) == ("ML303", severity)
    assert wording in finding.message


def test_lesser_names_message_variants_only():
    text = (Path(__file__).parent.parent / "rules" / "ML303.yml").read_text()
    data = read_rule(text, "ML303.yml")
    with pytest.raises(CatalogError, match="lesser maps message variants"):
        parse_rule(text.replace("lesser: {postgresql: info", "lesser: {postgres: info"), "ML303.yml")
    assert data["lesser"] == {"postgresql": "info", "mysql": "info", "reflected": "info"}


@pytest.mark.parametrize(("dialect", "limit"), [("mysql", 64), ("postgresql", 63)])
def test_the_suggested_name_fits_the_server_s_identifier_limit(tmp_path, check_dir, dialect, limit):
    """Mistral's key over seven columns: the help's name, cut as SQLAlchemy cuts a long convention
    name, is one the server takes (MySQL refuses a 65-character identifier)."""
    root = project(tmp_path, f'dialect = "{dialect}"\n')
    columns = ["workflow_input_hash", "workflow_name", "pattern", "project_id", "workflow_params_hash"]
    (root / "migrations" / "versions" / "a1.py").write_text(REVISION.replace(
        'op.create_foreign_key(None, "posts", "users", ["author_id"], ["id"])',
        f'op.create_unique_constraint(None, "cron_triggers", {columns!r})'))
    [finding] = check_dir(root).findings
    suggested = finding.help.split('op.create_unique_constraint("', 1)[1].split('"', 1)[0]
    assert suggested.startswith("uq_cron_triggers_workflow_input_hash_") and len(suggested) <= limit


def test_an_index_left_in_the_transaction_beside_a_concurrent_one_is_info(tmp_path, check_dir):
    """create-index-not-concurrently's `chosen` wording: the author built another table's index
    concurrently in the same revision, and this one not."""
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "versions" / "a1.py").write_text(
        'from alembic import op\n\nrevision = "a1"\ndown_revision = "a0"\n\n\ndef upgrade():\n'
        '    op.create_index("ix_blocklist_added_by", "blocklist", ["added_by"])\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_journals_by", "journals", ["by"], postgresql_concurrently=True)\n')
    (tmp_path / "pyproject.toml").write_text('[tool.migrate-lint]\nscript-location = "migrations"\n'
                                             'dialect = "postgresql"\nselect = ["ML101"]\n')
    [finding] = check_dir(tmp_path).findings
    assert finding.severity.label == "info" and "judgement that blocklist is small" in finding.message
