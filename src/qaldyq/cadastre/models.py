"""Cadastre tables: indicator targets (versioned, each with its act), the inputs the ledger cannot
give (students, sustainability reports) and generators' annual inventory reports. Flows are never
stored: they are computed from the ledger when asked."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qaldyq.core.database import Base, UTCDateTime, utcnow

NATIONAL = "000000000"  # region_kato of a republic-wide figure


class IndicatorTarget(Base):
    """The target of one indicator for one year as set by an act; a later act adds a higher
    version (the highest version in force is used; earlier ones stay for the record)."""

    __tablename__ = "cadastre_targets"
    __table_args__ = (UniqueConstraint("indicator", "year", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    target_pct: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    is_fact: Mapped[bool] = mapped_column(default=False)  # a baseline the act states as fact (Taza Kazakhstan 2023)
    act_number: Mapped[str] = mapped_column(String(40))
    act_date: Mapped[date] = mapped_column(Date)
    act_title_kk: Mapped[str] = mapped_column(String(400))
    act_title_ru: Mapped[str] = mapped_column(String(400))
    act_title_en: Mapped[str] = mapped_column(String(400))
    valid_from: Mapped[date] = mapped_column(Date)


class IndicatorInput(Base):
    """A figure the ledger cannot give (share of students in environmental events, share of TOP-50
    companies publishing sustainability reports), for a region or the whole country (NATIONAL)."""

    __tablename__ = "cadastre_indicator_inputs"
    __table_args__ = (UniqueConstraint("indicator", "year", "region_kato"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer)
    region_kato: Mapped[str] = mapped_column(String(9))
    value_pct: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InventoryReport(Base):
    """One line of a generator's annual inventory: per site, year and waste code, what was
    generated, handed over, processed or disposed of on site, and what was held at 31 December."""

    __tablename__ = "cadastre_inventory_reports"
    __table_args__ = (UniqueConstraint("site_id", "year", "waste_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_kato: Mapped[str] = mapped_column(String(9), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    waste_code: Mapped[str] = mapped_column(String(8))
    generated_kg: Mapped[int] = mapped_column(BigInteger)
    transferred_kg: Mapped[int] = mapped_column(BigInteger)
    treated_on_site_kg: Mapped[int] = mapped_column(BigInteger)
    stock_end_kg: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(200))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
