"""Own-system confirmation: the EPR product group of a Section C line (compared with customs data).

Revision ID: 0003_ownsystem_product_group
Revises: 0002_ownsystem_applications
Create Date: 2026-11-21 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_ownsystem_product_group'
down_revision = '0002_ownsystem_applications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ownsystem_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_group', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ownsystem_lines', schema=None) as batch_op:
        batch_op.drop_column('product_group')
