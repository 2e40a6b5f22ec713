"""cadastre: indicator targets (with the targets of Government Resolutions No. 1201 of
31 December 2025 and No. 910 of 31 October 2024), indicator inputs, inventory reports

Revision ID: 0900_cadastre
Revises: 0001_foundation
Create Date: 2026-11-21 10:00:00
"""
from datetime import date

from alembic import op
import sqlalchemy as sa
import qaldyq.core.database


revision = '0900_cadastre'
down_revision = '0001_foundation'
branch_labels = ('cadastre',)
depends_on = None

CONCEPT = dict(
    act_number="1201", act_date=date(2025, 12, 31), valid_from=date(2026, 1, 1),
    act_title_kk="Қазақстан Республикасында қалдықтардың барлық түрлерін басқарудың 2026 – 2030 жылдарға арналған тұжырымдамасы (ҚР Үкіметінің 2025 жылғы 31 желтоқсандағы № 1201 қаулысы)",
    act_title_ru="Концепция управления всеми видами отходов в Республике Казахстан на 2026 – 2030 годы (постановление Правительства РК от 31 декабря 2025 года № 1201)",
    act_title_en="Concept for Management of All Types of Waste in the Republic of Kazakhstan for 2026–2030 (Government Resolution No. 1201 of 31 December 2025)",
)
TAZA = dict(
    act_number="910", act_date=date(2024, 10, 31), valid_from=date(2024, 10, 31),
    act_title_kk="Экологиялық мәдениетті дамытудың 2024 – 2029 жылдарға арналған \"Таза Қазақстан\" тұжырымдамасы (ҚР Үкіметінің 2024 жылғы 31 қазандағы № 910 қаулысы)",
    act_title_ru="Концепция развития экологической культуры \"Таза Қазақстан\" на 2024 – 2029 годы (постановление Правительства РК от 31 октября 2024 года № 910)",
    act_title_en="\"Taza Kazakhstan\" Concept for the Development of Ecological Culture for 2024–2029 (Government Resolution No. 910 of 31 October 2024)",
)
# indicator: {year: target %} as written in the acts (Concept: Action Plan; Taza Kazakhstan: Section 6)
TARGETS = [
    ("inventory", CONCEPT, {2026: 0, 2027: 50, 2028: 100}),
    ("landfill_reduction", CONCEPT, {2026: 2, 2027: 4, 2028: 6, 2029: 8, 2030: 10}),
    ("industrial_reduction", CONCEPT, {2026: 2, 2027: 4, 2028: 6, 2029: 8, 2030: 10}),
    ("students", CONCEPT, {2026: 25, 2027: 30, 2028: 35, 2029: 40, 2030: 45}),
    ("top50_reports", CONCEPT, {2026: 20, 2027: 40, 2028: 60, 2029: 80, 2030: 100}),
    ("msw_recycling", TAZA, {2023: 24, 2024: 25, 2025: 26, 2026: 29, 2027: 32, 2028: 35, 2029: 38}),
]


def upgrade() -> None:
    targets = op.create_table('cadastre_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('target_pct', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('is_fact', sa.Boolean(), nullable=False),
    sa.Column('act_number', sa.String(length=40), nullable=False),
    sa.Column('act_date', sa.Date(), nullable=False),
    sa.Column('act_title_kk', sa.String(length=400), nullable=False),
    sa.Column('act_title_ru', sa.String(length=400), nullable=False),
    sa.Column('act_title_en', sa.String(length=400), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadastre_targets')),
    sa.UniqueConstraint('indicator', 'year', 'version', name=op.f('uq_cadastre_targets_indicator_year_version')),
    )
    op.create_index(op.f('ix_cadastre_targets_indicator'), 'cadastre_targets', ['indicator'], unique=False)
    op.create_table('cadastre_indicator_inputs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('region_kato', sa.String(length=9), nullable=False),
    sa.Column('value_pct', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('numerator', sa.BigInteger(), nullable=True),
    sa.Column('denominator', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('entered_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_cadastre_indicator_inputs_entered_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadastre_indicator_inputs')),
    sa.UniqueConstraint('indicator', 'year', 'region_kato', name=op.f('uq_cadastre_indicator_inputs_indicator_year_region_kato')),
    )
    op.create_index(op.f('ix_cadastre_indicator_inputs_indicator'), 'cadastre_indicator_inputs', ['indicator'], unique=False)
    op.create_table('cadastre_inventory_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('region_kato', sa.String(length=9), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('waste_code', sa.String(length=8), nullable=False),
    sa.Column('generated_kg', sa.BigInteger(), nullable=False),
    sa.Column('transferred_kg', sa.BigInteger(), nullable=False),
    sa.Column('treated_on_site_kg', sa.BigInteger(), nullable=False),
    sa.Column('stock_end_kg', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', qaldyq.core.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cadastre_inventory_reports_organization_id_organizations')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_cadastre_inventory_reports_site_id_sites')),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_cadastre_inventory_reports_submitted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadastre_inventory_reports')),
    sa.UniqueConstraint('site_id', 'year', 'waste_code', name=op.f('uq_cadastre_inventory_reports_site_id_year_waste_code')),
    )
    op.create_index(op.f('ix_cadastre_inventory_reports_organization_id'), 'cadastre_inventory_reports', ['organization_id'], unique=False)
    op.create_index(op.f('ix_cadastre_inventory_reports_region_kato'), 'cadastre_inventory_reports', ['region_kato'], unique=False)
    op.create_index(op.f('ix_cadastre_inventory_reports_site_id'), 'cadastre_inventory_reports', ['site_id'], unique=False)
    op.create_index(op.f('ix_cadastre_inventory_reports_year'), 'cadastre_inventory_reports', ['year'], unique=False)
    op.bulk_insert(targets, [
        dict(indicator=code, year=year, version=1, target_pct=pct, is_fact=(code == "msw_recycling" and year == 2023), **act)
        for code, act, years in TARGETS for year, pct in years.items()
    ])


def downgrade() -> None:
    op.drop_table('cadastre_inventory_reports')
    op.drop_table('cadastre_indicator_inputs')
    op.drop_table('cadastre_targets')
