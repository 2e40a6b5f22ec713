"""transfers bulk item results

Revision ID: 0003_transfers_bulk
Revises: 0002_transfers
"""
from alembic import op
import sqlalchemy as sa
import qaldyq.core.database


revision = '0003_transfers_bulk'
down_revision = '0002_transfers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transfer_bulk_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('op', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_transfer_bulk_items_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_bulk_items')),
    sa.UniqueConstraint('org_id', 'idempotency_key', name=op.f('uq_transfer_bulk_items_org_id_idempotency_key'))
    )


def downgrade() -> None:
    op.drop_table('transfer_bulk_items')
