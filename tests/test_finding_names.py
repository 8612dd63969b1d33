"""Findings name what the code or the server names: no placeholder reaches a message or a help text."""

from __future__ import annotations

import pytest

from tests.rulecases import write_project

REVISION = '''from alembic import op
import sqlalchemy as sa

revision = "r1"
down_revision = None


def upgrade():
{body}


def downgrade():
    pass
'''


def _messages(tmp_path, check_dir, body: str, execute: bool) -> dict[int, list[tuple[str, str, str]]]:
    source = REVISION.format(body="\n".join(f"    {line}" for line in body.strip().splitlines()))
    project = write_project(tmp_path, [("r1.py", source)], {})
    report = check_dir(project, execute=execute)
    found: dict[int, list[tuple[str, str, str]]] = {}
    for f in report.findings:
        found.setdefault(f.location.line - 8, []).append((f.code, f.message, f.help))  # line in body
    return found


BODY = '''
with op.batch_alter_table("c") as batch_op:
    batch_op.create_foreign_key(batch_op.f("fk_c_user_id_users"), "users", ["user_id"], ["id"])
op.create_foreign_key(None, "posts", "users", ["author_id"], ["id"])
op.create_unique_constraint(None, "posts", ["slug", "site"])
op.create_check_constraint(None, "posts", "views >= 0")
op.create_index(None, "posts", ["title"])
op.execute("ALTER TABLE posts ADD FOREIGN KEY (editor_id) REFERENCES users (id)")
op.alter_column("database", "id", existing_type=sa.Integer(), type_=sa.BigInteger(), nullable=False)
op.execute("ALTER TABLE t ALTER COLUMN c TYPE bigint")
'''


@pytest.mark.parametrize("execute", [False, True])
def test_names_come_from_the_code_or_the_server(tmp_path, check_dir, execute):
    found = _messages(tmp_path, check_dir, BODY, execute)
    text = "\n".join(m + " " + h for items in found.values() for _, m, h in items)
    assert " name " not in text and "unknown" not in text and '"name"' not in text
    assert "fk_c_user_id_users" in found[2][0][1]
    assert "posts_author_id_fkey" in dict((c, m) for c, m, _ in found[3])["ML104"]
    assert "posts_slug_site_key" in dict((c, m) for c, m, _ in found[4])["ML106"]
    assert "posts_views_check" in dict((c, m) for c, m, _ in found[5])["ML105"]
    assert "ix_posts_title" in found[6][0][1]
    # the raw key on posts is the same risk on the same table as line 3's: one finding names both
    assert "posts_editor_id_fkey (line 15)" in dict((c, m) for c, m, _ in found[3])["ML104"]
    assert 7 not in found
    type_change = dict((c, m) for c, m, _ in found[8])["ML107"]
    assert "from INTEGER to BIGINT" in type_change and "existing_type" not in type_change
    raw = dict((c, m) for c, m, _ in found[9])["ML107"]
    assert "existing_type" not in raw


HELP_BODY = '''
op.create_primary_key("pk_block_document", "block_document", ["id"])
op.create_index("ix_user_email", "user", ["email"], unique=True, schema="acct",
                postgresql_where=sa.text("active"))
op.create_foreign_key("fk_user_org", "user", "org", ["org_id"], ["id"])
op.alter_column("user", "locale", nullable=False)
'''


@pytest.mark.parametrize("execute", [False, True])
def test_help_text_is_safe_to_copy(tmp_path, check_dir, execute):
    found = {line: dict((c, h) for c, _, h in items)
             for line, items in _messages(tmp_path, check_dir, HELP_BODY, execute).items()}
    assert "PRIMARY KEY USING INDEX" in found[1]["ML106"] and "UNIQUE USING INDEX" not in found[1]["ML106"]
    index_help = found[2]["ML101"]
    assert "unique=True" in index_help and "schema='acct'" in index_help
    assert "postgresql_where=sa.text('active')" in index_help
    assert '"user"' in index_help
    assert 'ALTER TABLE "user" VALIDATE CONSTRAINT fk_user_org' in found[4]["ML104"]
    assert "NOT VALID" in found[5]["ML302"] and 'ALTER TABLE "user"' in found[5]["ML302"]


def test_names_the_code_computes_are_shown_as_code_in_the_syntax_tree_layer(tmp_path, check_dir):
    body = '''
for table, old in {"posts": "ix_posts_title"}.items():
    op.drop_index(old, table_name=table)
for table, name in {"posts": "ix_posts_slug"}.items():
    op.create_index(name, table, ["slug"])
'''
    found = {code: (message, help_text) for items in _messages(tmp_path, check_dir, body, False).values()
             for code, message, help_text in items}
    assert found["ML101"][0].startswith("CREATE INDEX each name of the loop over")
    assert "op.create_index(name, table, ['slug'], postgresql_concurrently=True)" in found["ML101"][1]
    assert "op.drop_index(old, table_name=table, postgresql_concurrently=True)" in found["ML102"][1]


def test_a_helpers_parameters_are_written_as_the_parameters(tmp_path, check_dir):
    source = REVISION.format(body="""    for name in [t.strip() for t in "posts, pages".split(",")]:
        add_unique(name)""") + '''

def add_unique(table):
    op.create_unique_constraint("uq_%s_slug" % table, table, ["slug"])
'''
    report = check_dir(write_project(tmp_path, [("r1.py", source)], {}), execute=False)
    helps = [f.help for f in report.findings if f.code == "ML106"]
    assert helps and "op.create_index('uq_%s_slug' % table, table, ['slug'], unique=True" in helps[0]


def test_a_loops_table_is_its_variable_in_the_code_a_help_writes(tmp_path, check_dir):
    body = '''
for cls in mapped_classes:
    table = cls.__tablename__
    op.add_column(table, sa.Column("id", sa.Integer, primary_key=True))
    op.create_index("ix_" + table + "_a", table, ["a"])
'''
    found = {code: (message, help_text) for items in _messages(tmp_path, check_dir, body, False).values()
             for code, message, help_text in items}
    assert found["ML108"][0].startswith("Adding id of each table of the loop over mapped_classes")
    assert 'op.alter_column(table, "id", server_default=' in found["ML108"][1]
    assert '"each table' not in found["ML108"][1]
    assert "already holds ACCESS EXCLUSIVE on each table of the loop" in found["ML101"][0]
