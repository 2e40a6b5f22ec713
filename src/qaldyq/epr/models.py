"""Tables of the operator route: registrations (route per group and year), declarations and their
lines, invoices, payments, certificates and the customs import feed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow

MONEY = Numeric(16, 2)


class Registration(Base):
    """A producer's or importer's chosen route for one product group and year. The two routes are
    exclusive: one row per organization, group and year (art. 386(2) of the Environmental Code)."""

    __tablename__ = "epr_registrations"
    __table_args__ = (UniqueConstraint("organization_id", "product_group", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    product_group: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(16))  # operator | own_system
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Declaration(Base):
    """An application of products placed on the market in a period."""

    __tablename__ = "epr_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="submitted")  # submitted | accepted | rejected
    total_kzt: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    review_note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list[DeclarationLine]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="DeclarationLine.line_no")


class DeclarationLine(Base):
    """One product line, one packaging line (by material) or one vehicle (by VIN) with its fee and
    the catalogue's explanation."""

    __tablename__ = "epr_declaration_lines"
    __table_args__ = (UniqueConstraint("declaration_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("epr_declarations.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # product | packaging | vehicle
    product_group: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))  # waste category (fee table) or vehicle category
    hs_code: Mapped[str | None] = mapped_column(String(10))
    quantity_units: Mapped[int | None] = mapped_column(Integer)
    mass_kg: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    mass_source: Mapped[str | None] = mapped_column(String(12))  # declared | reference
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)  # one vehicle, once in the whole system
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # engine_cc, gross_mass_t, power_hp, electric
    exemption: Mapped[str | None] = mapped_column(String(40))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    amount_kzt: Mapped[Decimal] = mapped_column(MONEY)
    explanation: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)  # locale -> lines
    arithmetic: Mapped[str | None] = mapped_column(String(300))


class Invoice(Base):
    __tablename__ = "epr_invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("epr_declarations.id"), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    amount_kzt: Mapped[Decimal] = mapped_column(MONEY)
    paid_kzt: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | partial | paid
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Payment(Base):
    """A payment into the operator's account: entered by the operator or read from a bank
    statement. The bank reference is unique, so a statement loaded twice counts once."""

    __tablename__ = "epr_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_kzt: Mapped[Decimal] = mapped_column(MONEY)
    payer_bin: Mapped[str] = mapped_column(String(12))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(12))  # manual | statement
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("epr_invoices.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # matched | unmatched
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Certificate(Base):
    """A certificate of payment of the utilization payment (СВУП): one per vehicle, one for the
    product lines of an invoice."""

    __tablename__ = "epr_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("epr_invoices.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("epr_declaration_lines.id"), unique=True)  # the vehicle
    kind: Mapped[str] = mapped_column(String(12))  # vehicle | products
    amount_kzt: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(12), default="valid")  # valid | cancelled
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))


class CustomsLine(Base):
    """One goods line of a customs declaration from the state revenue bodies' feed."""

    __tablename__ = "epr_customs_lines"
    __table_args__ = (UniqueConstraint("declaration_number", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_number: Mapped[str] = mapped_column(String(40))
    line_no: Mapped[int] = mapped_column(Integer)
    bin: Mapped[str] = mapped_column(String(12), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    declared_on: Mapped[date] = mapped_column(Date)
    hs_code: Mapped[str] = mapped_column(String(10))
    product_group: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    mass_kg: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_epr: Mapped[bool] = mapped_column(Boolean, default=False)
