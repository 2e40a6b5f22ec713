"""The mass ledger: accounts, transactions and their entries (kilograms, integers).

Entries and transactions are append-only; database triggers refuse UPDATE and DELETE on both
(see the ledger migration). Site and in-transit accounts carry a stored balance that a CHECK keeps
non-negative; world accounts (generation, disposal, loss, export, end-of-waste product) carry none,
so no single row becomes a point that every writer in the country must lock; their balance is the
sum of their entries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qaldyq.core.database import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class LedgerTransaction(Base):
    """One business action that moves mass; its entries sum to zero. `settles_id` links the
    posting or voiding of a transfer to its pending pick-up; `reverses_id` a correction to the
    transaction it cancels."""

    __tablename__ = "ledger_transactions"
    __audit__ = False  # audited once per transaction with the business action (audit.append)
    __table_args__ = (
        Index("ix_ledger_transactions_reference", "ref_type", "ref_id"),
        Index("ix_ledger_transactions_site_effective", "site_id", "effective_at"),
        CheckConstraint("mass_kg >= 0", name="mass_nonnegative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request, to spot a reused key
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    counterparty_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    waste_code: Mapped[str | None] = mapped_column(String(32))
    mass_kg: Mapped[int] = mapped_column(BigInteger)
    operation: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[str | None] = mapped_column(String(64))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settles_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_transactions.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_transactions.id"), unique=True)
    note: Mapped[str | None] = mapped_column(Text)


class LedgerAccount(Base):
    """A holder of mass: a site x waste code, the in-transit account of one pending transfer, or
    a world account (generation, disposal, loss, export, product) per waste code or product."""

    __tablename__ = "ledger_accounts"
    __audit__ = False  # created on first use; derived from the transactions that use it
    __table_args__ = (
        CheckConstraint("balance_kg IS NULL OR balance_kg >= 0", name="balance_nonnegative"),
        Index("ix_ledger_accounts_site_code", "site_id", "waste_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    waste_code: Mapped[str] = mapped_column(String(100))  # a waste code, or a product name for product accounts
    pending_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_transactions.id"), unique=True)
    balance_kg: Mapped[int | None] = mapped_column(BigInteger)  # stored for site and transit accounts only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """An immutable line: `amount_kg` enters (+) or leaves (-) an account. `line` names its role in
    the transaction (generated, pickup, accepted, input, output, residue, loss, ...); a reversal
    keeps the line of the entry it cancels, so reports put a correction where the original was."""

    __tablename__ = "ledger_entries"
    __audit__ = False  # high volume; the transaction is audited as one business action
    __table_args__ = (
        CheckConstraint("amount_kg <> 0", name="amount_nonzero"),
        Index("ix_ledger_entries_account_time", "account_id", "effective_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_kg: Mapped[int] = mapped_column(BigInteger)
    line: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the transaction's, for time-ordered reads
