"""Waste transfer documents: the document (its current version), carrier legs, the immutable
version snapshots that signatures cover, and revision requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow


class TransferDocument(Base):
    __tablename__ = "transfer_documents"
    __table_args__ = (
        CheckConstraint("declared_mass_kg > 0", name="declared_positive"),
        CheckConstraint("accepted_kg IS NULL OR accepted_kg >= 0", name="accepted_nonnegative"),
        CheckConstraint("refused_kg IS NULL OR refused_kg >= 0", name="refused_nonnegative"),
        CheckConstraint("net_kg IS NULL OR (accepted_kg IS NULL OR accepted_kg + refused_kg = net_kg)", name="acceptance_adds_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consignor_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    consignor_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    receiver_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    receiver_site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    waste_code: Mapped[str] = mapped_column(String(16), index=True)
    hazardous: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(String(500))
    physical_form: Mapped[str] = mapped_column(String(16))
    hazard_properties: Mapped[list] = mapped_column(JSON, default=list)
    containers: Mapped[list] = mapped_column(JSON, default=list)  # [{"type": "bulk", "count": 1}]
    declared_mass_kg: Mapped[int] = mapped_column(Integer)
    mass_basis: Mapped[str] = mapped_column(String(10))  # weighed | estimated
    planned_operation: Mapped[str] = mapped_column(String(4))  # R1..R13, D1..D15

    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("weighing_instruments.id"))
    gross_kg: Mapped[int | None] = mapped_column(Integer)
    tare_kg: Mapped[int | None] = mapped_column(Integer)
    net_kg: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_kg: Mapped[int | None] = mapped_column(Integer)
    refused_kg: Mapped[int | None] = mapped_column(Integer)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    operation_done: Mapped[str | None] = mapped_column(String(4))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(JSON, default=list)  # accepted with warnings (e.g. mass far from declared)
    pending_txn_id: Mapped[int | None] = mapped_column(Integer)  # the ledger's pending transfer

    legs: Mapped[list[TransferLeg]] = relationship(order_by="TransferLeg.seq", cascade="all, delete-orphan", lazy="selectin")


class TransferLeg(Base):
    __tablename__ = "transfer_legs"
    __table_args__ = (UniqueConstraint("document_id", "seq"), CheckConstraint("seq BETWEEN 1 AND 5", name="at_most_five"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("transfer_documents.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    carrier_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    taken_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The site the take-over is placed at (the consignor's for the first leg, the receiver's for a
    # later one), recorded with taken_over_at: the control engine's impossible-travel check reads
    # the places of 3 M take-overs without joining them to their documents.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))


class TransferVersion(Base):
    """An immutable snapshot of the document after each change; signatures cover the snapshot's
    SHA-256 together with the action, so altering a stored document is detectable."""

    __tablename__ = "transfer_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)
    __audit__ = False  # the audit log records the change itself

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("transfer_documents.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))  # what produced this version (create, edit, an action)
    snapshot: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[TransferDocument] = relationship(lazy="raise")  # set only to link a version to a document not yet flushed


class RevisionRequest(Base):
    """A change after acceptance: requested values with the initial ones; applied only when every
    party (consignor, carriers, receiver) has approved."""

    __tablename__ = "transfer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("transfer_documents.id"), index=True)
    requested_by_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    requested_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changes: Mapped[dict] = mapped_column(JSON)  # field -> {"from": old, "to": new}
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | applied | refused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approvals: Mapped[list[RevisionApproval]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class RevisionApproval(Base):
    __tablename__ = "transfer_revision_approvals"
    __table_args__ = (UniqueConstraint("revision_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("transfer_revisions.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved: Mapped[bool] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BulkItemResult(Base):
    """The stored result of a bulk item that succeeded, by the caller organization's idempotency
    key: a replay with the same content returns it, the same key with other content is refused.
    Refused items store nothing, so a corrected retry under the same key is possible."""

    __tablename__ = "transfer_bulk_items"
    __table_args__ = (UniqueConstraint("org_id", "idempotency_key"),)
    __audit__ = False  # the documents' own changes are audited

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_sha256: Mapped[str] = mapped_column(String(64))  # of the item's canonical JSON
    op: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
