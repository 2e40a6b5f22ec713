"""transfer legs: the site of the take-over, recorded with its time (for the impossible-travel check)

Revision ID: 0004_transfers_leg_site
Revises: 0003_transfers_bulk
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_transfers_leg_site'
down_revision = '0003_transfers_bulk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('transfer_legs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_transfer_legs_site_id_sites'), 'sites', ['site_id'], ['id'])
    # the legs already taken over get the site the service records from now on
    op.execute("""UPDATE transfer_legs SET site_id = (
                    SELECT CASE WHEN transfer_legs.seq = 1 THEN d.consignor_site_id ELSE d.receiver_site_id END
                    FROM transfer_documents d WHERE d.id = transfer_legs.document_id)
                  WHERE taken_over_at IS NOT NULL""")


def downgrade() -> None:
    with op.batch_alter_table('transfer_legs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_transfer_legs_site_id_sites'), type_='foreignkey')
        batch_op.drop_column('site_id')
