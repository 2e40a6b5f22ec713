"""Reference data: legal acts, and versioned tables whose every row names its act and the
period in which it holds.

A versioned row is never edited: a new act adds a new row, and the previous open-ended row of
the same key is closed the day before (`valid_to`, `superseded_by_id`). `valid_to` is the last
day of validity (inclusive); NULL means "until superseded". See `versioning.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow


class LegalAct(Base):
    """A legal act: the same number can belong to two issuers (two different "No. 332"), so an act
    is identified by issuer, number and date; `code` is a short stable handle used in files."""

    __tablename__ = "catalog_legal_acts"
    __table_args__ = (UniqueConstraint("issuer_en", "number", "act_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # law, code, resolution, order, decision
    issuer_kk: Mapped[str] = mapped_column(String(300))
    issuer_ru: Mapped[str] = mapped_column(String(300))
    issuer_en: Mapped[str] = mapped_column(String(300))
    number: Mapped[str] = mapped_column(String(40))
    act_date: Mapped[date] = mapped_column(Date)
    title_kk: Mapped[str] = mapped_column(Text)
    title_ru: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    registration: Mapped[str | None] = mapped_column(String(60))  # Ministry of Justice registration
    url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Versioned:
    """Columns every versioned reference row has."""

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    valid_to: Mapped[date | None] = mapped_column(Date)  # inclusive; NULL: until superseded
    source: Mapped[str | None] = mapped_column(String(300))  # the row/column of the act or report
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @declared_attr
    def act_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("catalog_legal_acts.id"), index=True)

    @declared_attr
    def superseded_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey(f"{cls.__tablename__}.id"))

    @declared_attr
    def act(cls):
        return relationship(LegalAct, lazy="joined")

    @declared_attr
    def __table_args__(cls):
        return (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),)

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class WasteCode(Versioned, Base):
    """The waste classifier: chapter ("15"), subchapter ("15 01") and code ("15 01 01"). Hazardous
    codes carry the "*" in files and on screen; here it is the `hazardous` flag."""

    __tablename__ = "catalog_waste_codes"

    code: Mapped[str] = mapped_column(String(8), index=True)
    level: Mapped[str] = mapped_column(String(12))  # chapter, subchapter, code
    name_kk: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    radioactive: Mapped[bool] = mapped_column(Boolean, default=False)  # refused: outside this system by law


class EprCategory(Versioned, Base):
    """The waste categories of the operator's payouts (Resolution No. 1250, Tables 10–11)."""

    __tablename__ = "catalog_epr_categories"

    slug: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # packaging, product
    stream: Mapped[str] = mapped_column(String(20))  # packaging, tyres, oils, batteries, eee, lamps
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class EprProduct(Versioned, Base):
    """Products under EPR by group and the year each came under it (Table 16; Order No. 689)."""

    __tablename__ = "catalog_epr_products"

    code: Mapped[str] = mapped_column(String(40), index=True)
    product_group: Mapped[str] = mapped_column(String(30))  # vehicles, goods, packaging, agricultural_machinery, cable_products
    year_under_epr: Mapped[int] = mapped_column(Integer)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))


class ProductGroup(Versioned, Base):
    """Product groups in customs-nomenclature wording (Table 18) and the waste category their
    products become (None when the group has no payout category or it depends on the HS code)."""

    __tablename__ = "catalog_product_groups"

    code: Mapped[str] = mapped_column(String(40), index=True)
    name_kk: Mapped[str] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    epr_product: Mapped[str | None] = mapped_column(String(40))
    waste_category: Mapped[str | None] = mapped_column(String(40))


class HsPrefix(Versioned, Base):
    """HS (ТН ВЭД ЕАЭС) code prefixes of each product group; the longest matching prefix wins and
    may name a more precise waste category than its group."""

    __tablename__ = "catalog_hs_prefixes"

    prefix: Mapped[str] = mapped_column(String(10), index=True)
    product_group: Mapped[str] = mapped_column(String(40))
    waste_category: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(300))


class WasteCategoryMap(Versioned, Base):
    """Which EPR waste category a classifier code (or a subchapter prefix) belongs to."""

    __tablename__ = "catalog_waste_category_map"

    waste_code: Mapped[str] = mapped_column(String(8), index=True)
    category: Mapped[str] = mapped_column(String(40))


class ReferenceMass(Versioned, Base):
    """The reference book of average unit and packaging masses (Order No. 448), the fallback of
    Order No. 690 point 6.5. A figure that is not known is not stored."""

    __tablename__ = "catalog_reference_masses"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        CheckConstraint("unit_mass_kg IS NOT NULL OR packaging_mass_kg IS NOT NULL", name="some_mass"),
    )

    product_group: Mapped[str] = mapped_column(String(40), index=True)
    item: Mapped[str] = mapped_column(String(120), default="")
    unit: Mapped[str] = mapped_column(String(20), default="piece")
    unit_mass_kg: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    packaging_mass_kg: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))


class Mrp(Versioned, Base):
    """The monthly calculation index (МРП), set each year by the republican budget law."""

    __tablename__ = "catalog_mrp"

    value_kzt: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class PayoutRate(Versioned, Base):
    """The operator's payout per tonne in MRP (Resolution No. 1250): per operation for packaging
    (Table 10), one `single` rate for the other categories (Table 11)."""

    __tablename__ = "catalog_payout_rates"

    category: Mapped[str] = mapped_column(String(40), index=True)
    operation: Mapped[str] = mapped_column(String(20))  # collection, transportation, processing, single
    rate_mrp: Mapped[Decimal] = mapped_column(Numeric(12, 4))


class FeeRate(Versioned, Base):
    """The utilization payment for products and packaging per tonne, in tenge or in MRP."""

    __tablename__ = "catalog_fee_rates"

    category: Mapped[str] = mapped_column(String(40), index=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit: Mapped[str] = mapped_column(String(4))  # KZT or MRP (per tonne)


class VehicleRate(Versioned, Base):
    """One row of the vehicle and agricultural machinery schedule (Table 12): base (MRP) ×
    coefficient for the categories it lists and a band of one measure. A band holds values
    greater than `lower` (NULL: any positive value) and at most `upper` (NULL: no limit)."""

    __tablename__ = "catalog_vehicle_rates"

    code: Mapped[str] = mapped_column(String(20), index=True)
    categories: Mapped[str] = mapped_column(String(120))  # space-separated: "N1 N2 N3 truck_tractor"
    measure: Mapped[str] = mapped_column(String(20))  # electric, engine_cc, gross_mass_t, power_hp
    lower: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    upper: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    base_mrp: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    coefficient: Mapped[Decimal] = mapped_column(Numeric(8, 3))
    label_kk: Mapped[str] = mapped_column(String(200))
    label_ru: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))


class CalendarDay(Versioned, Base):
    """A day moved by decree: a weekday made a day off, or a weekend day made a working day.
    The decree's rule holds for that day if the row is in force on the day."""

    __tablename__ = "catalog_calendar_days"

    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12))  # day_off, working_day
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
