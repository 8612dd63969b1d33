"""sync-enum-values names the columns the call converts, however TableReference is written."""

from __future__ import annotations

import pytest

from tests.rulecases import write_project

REVISION = '''from alembic import op
from alembic_postgresql_enum import TableReference

revision = "r1"
down_revision = None


def upgrade():
    op.sync_enum_values("public", "order_status", ["new"], [TableReference("public", "orders", "status")])
    op.sync_enum_values(enum_schema="public", enum_name="order_status", new_values=["new"],
                        affected_columns=[TableReference(table_schema="public", table_name="invoices",
                                                         column_name="state")])
    op.sync_enum_values("public", "order_status", ["new"], [TableReference("public", TABLE, "status")])
'''


@pytest.mark.parametrize("execute", [False, True])
def test_the_converted_columns_are_named(tmp_path, check_dir, execute):
    project = write_project(tmp_path, [("r1.py", REVISION)], {})
    messages = {f.location.line: f.message for f in check_dir(project, execute=execute).findings
                if f.code == "ML119"}
    assert "converts orders.status to it" in messages[9]
    assert "converts invoices.state to it" in messages[10]
    assert "converts every column of that type to it" in messages[13]
