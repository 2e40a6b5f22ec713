"""Findings of the control engine. A finding is identified by its fingerprint (rule, subject,
period), so a re-run refreshes it instead of adding a copy; acknowledging or dismissing one keeps
the reason and who decided (audited row by row)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qaldyq.core.database import Base, UTCDateTime, utcnow


class ControlFinding(Base):
    __tablename__ = "control_findings"
    __table_args__ = (Index("ix_control_findings_org_status", "organization_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)
    rule_id: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(16), default="rules")  # rules | telemetry
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    region_kato: Mapped[str | None] = mapped_column(String(12), index=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict] = mapped_column(JSON)  # {"transactions": [...], "documents": [...], ...}
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | dismissed
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    runs: Mapped[int] = mapped_column(Integer, default=1)
