"""drop users.legacy_flag (a reviewed contract step, suppressed with its reason)

Revision ID: 5e6f7a8b9c05
Revises: 4d5e6f7a8b04
Create Date: 2026-05-14 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e6f7a8b9c05"
down_revision = "4d5e6f7a8b04"
branch_labels = None
depends_on = None


def upgrade():
    # migrate-lint: ignore[drop-column] -- the model stopped using it in release 1.4
    op.drop_column("users", "legacy_flag")


def downgrade():
    op.add_column("users", sa.Column("legacy_flag", sa.Boolean(), nullable=True))
