"""telemetry: GPS points (partitioned by day on PostgreSQL; partitions are created on demand by
the ingest and ahead by `qaldyq telemetry partitions`) and suspected-dumping alerts

Revision ID: 0800_telemetry
Revises: 0001_foundation
Create Date: 2026-11-21 08:57:07.434540
"""
from alembic import op
import sqlalchemy as sa
import qaldyq.core.database


revision = '0800_telemetry'
down_revision = '0001_foundation'
branch_labels = ('telemetry',)
depends_on = None


def upgrade() -> None:
    op.create_table('telemetry_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('region_kato', sa.String(length=9), nullable=False),
    sa.Column('started_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('n_points', sa.Integer(), nullable=False),
    sa.Column('nearest_site_id', sa.Integer(), nullable=True),
    sa.Column('nearest_site_m', sa.Float(), nullable=True),
    sa.Column('detected_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_telemetry_alerts_handled_by_id_users')),
    sa.ForeignKeyConstraint(['nearest_site_id'], ['sites.id'], name=op.f('fk_telemetry_alerts_nearest_site_id_sites')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_telemetry_alerts_organization_id_organizations')),
    sa.ForeignKeyConstraint(['region_kato'], ['regions.kato'], name=op.f('fk_telemetry_alerts_region_kato_regions')),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_telemetry_alerts_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telemetry_alerts')),
    sa.UniqueConstraint('number', name=op.f('uq_telemetry_alerts_number'))
    )
    with op.batch_alter_table('telemetry_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telemetry_alerts_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_telemetry_alerts_region_status', ['region_kato', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_telemetry_alerts_status'), ['status'], unique=False)
        batch_op.create_index('ix_telemetry_alerts_vehicle_start', ['vehicle_id', 'started_at'], unique=False)

    op.create_table('telemetry_points',
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('time', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('speed_kmh', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_telemetry_points_vehicle_id_vehicles')),
    sa.PrimaryKeyConstraint('vehicle_id', 'time', name=op.f('pk_telemetry_points')),
    postgresql_partition_by='RANGE (time)'
    )
    with op.batch_alter_table('telemetry_points', schema=None) as batch_op:
        batch_op.create_index('ix_telemetry_points_time', ['time'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('telemetry_points', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_points_time')

    op.drop_table('telemetry_points')
    with op.batch_alter_table('telemetry_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_alerts_vehicle_start')
        batch_op.drop_index(batch_op.f('ix_telemetry_alerts_status'))
        batch_op.drop_index('ix_telemetry_alerts_region_status')
        batch_op.drop_index(batch_op.f('ix_telemetry_alerts_organization_id'))

    op.drop_table('telemetry_alerts')
