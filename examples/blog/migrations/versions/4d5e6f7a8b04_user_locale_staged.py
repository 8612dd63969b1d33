"""add users.locale NOT NULL the safe way: add nullable, backfill, then set NOT NULL

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
    op.add_column("users", sa.Column("locale", sa.String(length=8), nullable=True))
    op.execute("UPDATE users SET locale = 'en' WHERE locale IS NULL")
    op.alter_column("users", "locale", existing_type=sa.String(length=8), nullable=False)


def downgrade():
    op.drop_column("users", "locale")
