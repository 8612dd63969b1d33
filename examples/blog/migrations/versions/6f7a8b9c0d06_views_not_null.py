"""posts.views NOT NULL and drop audit_log (risky: no backfill, table dropped)

Revision ID: 6f7a8b9c0d06
Revises: 5e6f7a8b9c05
Create Date: 2026-06-30 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "6f7a8b9c0d06"
down_revision = "5e6f7a8b9c05"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("posts", "views", existing_type=sa.Integer(), nullable=False)
    op.drop_table("audit_log")


def downgrade():
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.alter_column("posts", "views", existing_type=sa.Integer(), nullable=True)
