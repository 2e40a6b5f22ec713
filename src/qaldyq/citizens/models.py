"""Citizen reports, their photos and history, and the anti-flood bookkeeping."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qaldyq.core.database import Base, UTCDateTime, utcnow


class ReportKind(Base):
    """Reference data loaded by the migration from `kinds.KINDS`."""

    __tablename__ = "citizen_report_kinds"
    __audit__ = False

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_kk: Mapped[str] = mapped_column(String(100))
    name_ru: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=50)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Report(Base):
    """One report. The private link's token is kept only as its SHA-256; the contact is masked in
    the audit log (personal data that only the moderators of the region need)."""

    __tablename__ = "citizen_reports"
    __audit_mask__ = ("contact", "token_hash")
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
        CheckConstraint("status IN ('received', 'verified', 'cleanup_scheduled', 'cleaned', 'rejected')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(ForeignKey("citizen_report_kinds.code"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="received")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    region_kato: Mapped[str] = mapped_column(ForeignKey("regions.kato"), index=True)
    region_source: Mapped[str] = mapped_column(String(10))  # "nearest" (prefilled) or "reporter" (chosen)
    akimat_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(8))  # "web" or "api"
    locale: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_code: Mapped[str | None] = mapped_column(String(32))

    photos: Mapped[list[ReportPhoto]] = relationship(lazy="selectin", order_by="ReportPhoto.id", cascade="all, delete-orphan")
    events: Mapped[list[ReportEvent]] = relationship(lazy="selectin", order_by="ReportEvent.id", cascade="all, delete-orphan")


class ReportPhoto(Base):
    """A re-encoded photo (JPEG, no metadata) kept in the database with its thumbnail, so a report
    and its photos are committed or refused together and backed up together."""

    __tablename__ = "citizen_report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("citizen_reports.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(8))  # "report" (by the citizen) or "after" (cleanup evidence)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_type: Mapped[str] = mapped_column(String(32))  # what the content was (JPEG, PNG, WEBP)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # a moderator hid it from the public (faces, plates)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    thumb: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ReportEvent(Base):
    """The history the reporter sees: every status change with who (the organization, never a
    person's name), when and why."""

    __tablename__ = "citizen_report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("citizen_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    actor_org_name: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    region_kato: Mapped[str | None] = mapped_column(String(9))  # region after a forward
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("citizen_report_photos.id"))


class FloodHit(Base):
    """One accepted report per source key (keyed hash of the client address, or of the device
    cookie), for the rate limits; shared by all workers through the database. Old rows are pruned."""

    __tablename__ = "citizen_flood_hits"
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SpentChallenge(Base):
    """Proof-of-work challenges already used, so one solution buys one report."""

    __tablename__ = "citizen_spent_challenges"
    __audit__ = False
    __table_args__ = (UniqueConstraint("digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
