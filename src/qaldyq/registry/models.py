"""Registries: regions, organizations (by BIN) and their roles, sites, vehicles, weighing
instruments and their verification certificates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow
from qaldyq.registry.normalize import search_text


class Region(Base):
    __tablename__ = "regions"
    __audit__ = False  # reference data loaded by migration

    kato: Mapped[str] = mapped_column(String(9), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name_kk: Mapped[str] = mapped_column(String(100))
    name_ru: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    bin: Mapped[str] = mapped_column(String(12), unique=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    legal_form: Mapped[str] = mapped_column(String(20))
    region_kato: Mapped[str] = mapped_column(ForeignKey("regions.kato"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    hazardous_license: Mapped[str | None] = mapped_column(String(60))  # permit to handle hazardous waste
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    search_key: Mapped[str] = mapped_column(Text, default="")  # case-folded BIN and names, kept by the hooks at the end

    roles: Mapped[list[OrganizationRole]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="OrganizationRole.role")
    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)


class OrganizationRole(Base):
    __tablename__ = "organization_roles"
    __table_args__ = (UniqueConstraint("organization_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), index=True)


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("design_capacity_t IS NULL OR design_capacity_t >= 0", name="capacity_nonnegative"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    site_type: Mapped[str] = mapped_column(String(32), index=True)
    region_kato: Mapped[str] = mapped_column(ForeignKey("regions.kato"), index=True)
    settlement: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    geofence_radius_m: Mapped[int] = mapped_column(Integer, default=150)
    geofence_polygon: Mapped[list | None] = mapped_column(JSON)  # [[lon, lat], ...] when a radius is too coarse
    permitted_operations: Mapped[list] = mapped_column(JSON, default=list)
    permitted_waste_codes: Mapped[list] = mapped_column(JSON, default=list)  # codes or chapter prefixes
    design_capacity_t: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    loss_tolerance_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("5.00"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    search_key: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(lazy="joined")


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = (CheckConstraint("payload_kg > 0", name="payload_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vehicle_type: Mapped[str] = mapped_column(String(32))
    payload_kg: Mapped[int] = mapped_column(Integer)
    tracker_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    depot_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    hazardous_equipped: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")


class WeighingInstrument(Base):
    __tablename__ = "weighing_instruments"
    __table_args__ = (UniqueConstraint("site_id", "serial_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    instrument_type: Mapped[str] = mapped_column(String(32))
    serial_number: Mapped[str] = mapped_column(String(64))
    year_made: Mapped[int] = mapped_column(Integer)
    max_load_kg: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")

    site: Mapped[Site] = relationship(lazy="joined")
    certificates: Mapped[list[VerificationCertificate]] = relationship(lazy="selectin", order_by="VerificationCertificate.valid_from", cascade="all, delete-orphan")


class VerificationCertificate(Base):
    """Metrological verification of a weighing instrument (Order 690 asks for number and dates)."""

    __tablename__ = "verification_certificates"
    __table_args__ = (
        CheckConstraint("valid_to >= valid_from", name="dates_in_order"),
        UniqueConstraint("instrument_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("weighing_instruments.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


# Search keys are computed in Python (case folding that knows Kazakh and Russian letters) whenever
# a row is written, however it is written (services, demo, test builders).
@event.listens_for(Organization, "before_insert")
@event.listens_for(Organization, "before_update")
def _org_search_key(mapper, connection, org: Organization) -> None:
    org.search_key = search_text(org.bin, org.name_kk, org.name_ru)


@event.listens_for(Site, "before_insert")
@event.listens_for(Site, "before_update")
def _site_search_key(mapper, connection, site: Site) -> None:
    site.search_key = search_text(site.name, site.settlement, site.address)
