"""add users.locale NOT NULL the safe way: with a constant server default, which PostgreSQL 11+
adds without a rewrite, kept so that the running release's INSERTs (which do not name it) still work

Revision ID: 4d5e6f7a8b04
Revises: 3c4d5e6f7a03
Create Date: 2026-04-20 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4d5e6f7a8b04"
down_revision = "3c4d5e6f7a03"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=False, server_default="en"))


def downgrade():
    op.drop_column("users", "locale")
