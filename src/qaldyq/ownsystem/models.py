"""Applications of Order 690 Appendix 1, their section lines and the timestamped history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow

TONNES = Numeric(14, 3)


class OwnApplication(Base):
    """One application per applicant per half-year (point 3: "once per half-year")."""

    __tablename__ = "ownsystem_applications"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "half", name="one_per_half_year"),
        CheckConstraint("half IN (1, 2)", name="half_known"),
        CheckConstraint("d_placed_t >= 0 AND d_recycled_t >= 0", name="d_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    half: Mapped[int] = mapped_column(Integer)
    applicant_kind: Mapped[str] = mapped_column(String(10))  # producer | importer | both
    org_name: Mapped[str] = mapped_column(String(300))  # header as submitted
    org_bin: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(24), index=True, default="draft")
    incoming_number: Mapped[str | None] = mapped_column(String(40))
    # Section D: sold from produced (producers) / imported (importers), and recycled, tonnes
    d_placed_t: Mapped[Decimal] = mapped_column(TONNES, default=Decimal("0"))
    d_recycled_t: Mapped[Decimal] = mapped_column(TONNES, default=Decimal("0"))
    srb_items: Mapped[list | None] = mapped_column(JSON)  # the state revenue bodies' answer per product group
    mass_method: Mapped[str | None] = mapped_column(String(12))  # srb | documents | reference
    conclusion: Mapped[str | None] = mapped_column(String(12))  # conforms | not_conforms | stopped (App. 2 status)
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    # the facts the conditional rules of point 3 depend on
    collection_on_site: Mapped[bool] = mapped_column(Boolean, default=False)  # transport documents waived (3.4)
    standards_apply: Mapped[bool] = mapped_column(Boolean, default=True)  # conformity documents needed (3.5)
    other_operations: Mapped[bool] = mapped_column(Boolean, default=False)  # free-form information needed (point 3)

    lines: Mapped[list[ApplicationLine]] = relationship(lazy="selectin", order_by="ApplicationLine.id", cascade="all, delete-orphan")
    events: Mapped[list[ApplicationEvent]] = relationship(lazy="selectin", order_by="ApplicationEvent.id", cascade="all, delete-orphan")
    documents: Mapped[list[ApplicationDocument]] = relationship(lazy="selectin", order_by="ApplicationDocument.id", cascade="all, delete-orphan")


class ApplicationLine(Base):
    """A row of Section A, B or C; the columns used depend on the section (see schemas)."""

    __tablename__ = "ownsystem_lines"
    __table_args__ = (
        CheckConstraint("section IN ('A', 'B', 'C')", name="section_known"),
        CheckConstraint("coalesce(m1, 0) >= 0 AND coalesce(m2, 0) >= 0 AND coalesce(m3, 0) >= 0 AND coalesce(m4, 0) >= 0 "
                        "AND coalesce(m5, 0) >= 0", name="masses_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("ownsystem_applications.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(1))
    name: Mapped[str] = mapped_column(String(300))  # waste (A, B) or product (C)
    waste_code: Mapped[str | None] = mapped_column(String(16))  # set when prefilled from the ledger
    product_name: Mapped[str | None] = mapped_column(String(300))  # B: finished product obtained
    product_group: Mapped[str | None] = mapped_column(String(40))  # C: the EPR product group (catalogue code), to compare with customs data
    # A: opening, collected, closing; B: recycled, product mass, sold in RK, export; C: produced, imported
    m1: Mapped[Decimal | None] = mapped_column(TONNES)
    m2: Mapped[Decimal | None] = mapped_column(TONNES)
    m3: Mapped[Decimal | None] = mapped_column(TONNES)
    m4: Mapped[Decimal | None] = mapped_column(TONNES)
    m5: Mapped[Decimal | None] = mapped_column(TONNES)


class ApplicationEvent(Base):
    """The history: every event with its business day (the day a thing was received or sent,
    which starts the terms) and the moment it was recorded."""

    __tablename__ = "ownsystem_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("ownsystem_applications.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(12))
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)


class ApplicationDocument(Base):
    """A document of the checklist (`checklist.ITEMS`): an uploaded file, kept in the database so
    it is committed and backed up with the application, or a reference to a record already in
    Qaldyq (a transfer document by number, a weighing instrument by id)."""

    __tablename__ = "ownsystem_documents"
    __audit_mask__ = ("data",)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("ownsystem_applications.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(4))
    ref_kind: Mapped[str | None] = mapped_column(String(12))  # transfer | instrument; None for a file
    ref_value: Mapped[str | None] = mapped_column(String(40))
    filename: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    meta: Mapped[dict | None] = mapped_column(JSON)
    legible: Mapped[bool | None] = mapped_column(Boolean)  # the operator's completeness check (point 6.1)
    conforms: Mapped[bool | None] = mapped_column(Boolean)  # Appendix 2 column 3
    review_note: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class ReviewRule(Base):
    """A substantive condition of the review, editable by the authorized body (the conditions of
    Order No. 688 point 4(6) are not in the sources; `review.DEFAULT_RULES` seeds the defaults)."""

    __tablename__ = "ownsystem_rules"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    params: Mapped[dict] = mapped_column(JSON)
    severity: Mapped[str] = mapped_column(String(8))  # fail | warn
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Notification(Base):
    """A message in the system to an actor of an application (the applicant's organization, the
    authorized body or the operator); also sent by e-mail through `notify.sender()`."""

    __tablename__ = "ownsystem_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("ownsystem_applications.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(12), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)  # set for the applicant
    event: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    emailed_to: Mapped[list | None] = mapped_column(JSON)
