"""GPS points (high volume, partitioned by day on PostgreSQL) and suspected-dumping alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qaldyq.core.database import Base, UTCDateTime, utcnow


class TelemetryPoint(Base):
    """One position of one vehicle at one second. Append-only and audited per batch (one audit
    record per ingest), not per row. On PostgreSQL the table is partitioned by range of `time`,
    one partition per UTC day (see service.ensure_partitions and `qaldyq telemetry prune`)."""

    __tablename__ = "telemetry_points"
    __audit__ = False
    __table_args__ = (
        PrimaryKeyConstraint("vehicle_id", "time"),
        Index("ix_telemetry_points_time", "time"),
        {"postgresql_partition_by": "RANGE (time)"},
    )

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)


class TelemetryAlert(Base):
    """A suspected illegal dumping: an unauthorized stop longer than the threshold. Routed to the
    akimat and inspectors of `region_kato`; its lifecycle is in workflow.py."""

    __tablename__ = "telemetry_alerts"
    __table_args__ = (
        Index("ix_telemetry_alerts_region_status", "region_kato", "status"),
        Index("ix_telemetry_alerts_vehicle_start", "vehicle_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="suspected_dumping")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_kato: Mapped[str] = mapped_column(ForeignKey("regions.kato"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int] = mapped_column(Integer)
    nearest_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    nearest_site_m: Mapped[float | None] = mapped_column(Float)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
