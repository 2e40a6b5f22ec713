"""Contracts between the operator and waste organizations, payout claims built from ledger
transactions, and payment registries.

`payout_claim_lines` carries UNIQUE (transaction_id, operation): one ledger transaction backs at
most one claim per operation, whatever races between clients (the database refuses the second).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class PayoutContract(Base):
    __tablename__ = "payout_contracts"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    operations: Mapped[list] = mapped_column(JSON)  # collection, transportation, processing, single
    categories: Mapped[list] = mapped_column(JSON)  # EPR category slugs
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | terminated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentRegistry(Base):
    __tablename__ = "payout_registries"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | paid
    total_kzt: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutClaim(Base):
    __tablename__ = "payout_claims"
    __table_args__ = (
        CheckConstraint("period_to >= period_from", name="period_in_order"),
        Index("ix_payout_claims_org_period", "organization_id", "operation", "period_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("payout_contracts.id"), index=True)
    operation: Mapped[str] = mapped_column(String(16))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    mass_kg: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_kzt: Mapped[Decimal] = mapped_column(Numeric(18, 2), default=Decimal("0.00"))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected
    registry_id: Mapped[int | None] = mapped_column(ForeignKey("payout_registries.id"), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[PayoutClaimLine]] = relationship(cascade="all, delete-orphan", lazy="selectin", order_by="PayoutClaimLine.id")


class PayoutClaimLine(Base):
    """One ledger transaction paid for one operation."""

    __tablename__ = "payout_claim_lines"
    __audit__ = False  # the claim's creation is audited with its lines (audit.append)
    __table_args__ = (UniqueConstraint("transaction_id", "operation", name="uq_payout_line_transaction_operation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("payout_claims.id", ondelete="CASCADE"), index=True)
    transaction_id: Mapped[int] = mapped_column(BigId)  # a ledger transaction (no FK: migration branches stay independent)
    operation: Mapped[str] = mapped_column(String(16))
    waste_code: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(40))
    mass_kg: Mapped[int] = mapped_column(BigInteger)
    effective_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(64))  # the transfer document number, if any
    rate_mrp: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    amount_kzt: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    explanation: Mapped[list] = mapped_column(JSON)
