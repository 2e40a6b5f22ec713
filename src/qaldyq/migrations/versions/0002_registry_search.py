"""registry: case-folded search keys for organizations and sites; certificate numbers unique per
instrument

Revision ID: 0002_registry_search
Revises: 0001_foundation
Create Date: 2026-11-21 08:54:01.317106
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_registry_search'
down_revision = '0001_foundation'
branch_labels = ('registry',)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('verification_certificates', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_verification_certificates_instrument_id_number'), ['instrument_id', 'number'])

    # Fill the keys of rows that exist already (the same function the models use).
    from qaldyq.registry.normalize import search_text

    conn = op.get_bind()
    orgs = sa.table('organizations', sa.column('id'), sa.column('bin'), sa.column('name_kk'), sa.column('name_ru'), sa.column('search_key'))
    for row in conn.execute(sa.select(orgs.c.id, orgs.c.bin, orgs.c.name_kk, orgs.c.name_ru)).all():
        conn.execute(orgs.update().where(orgs.c.id == row.id).values(search_key=search_text(row.bin, row.name_kk, row.name_ru)))
    sites = sa.table('sites', sa.column('id'), sa.column('name'), sa.column('settlement'), sa.column('address'), sa.column('search_key'))
    for row in conn.execute(sa.select(sites.c.id, sites.c.name, sites.c.settlement, sites.c.address)).all():
        conn.execute(sites.update().where(sites.c.id == row.id).values(search_key=search_text(row.name, row.settlement, row.address)))

    for table in ('organizations', 'sites'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('search_key', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('verification_certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_verification_certificates_instrument_id_number'), type_='unique')

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('search_key')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('search_key')
