from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from qaldyq.core.schemas import Strict


class RejectedPoint(BaseModel):
    index: int = Field(description="0-based position in the array (or the NDJSON line - 1)")
    pointer: str = Field(description="JSON Pointer to the refused point or field")
    reason: str
    detail: str


class IngestOut(BaseModel):
    received: int
    accepted: int
    rejected_total: int
    rejected: dict[str, int] = Field(description="count per reason")
    errors: list[RejectedPoint] = Field(description="the first 100 refused points, explained")
    alerts: list[str] = Field(description="numbers of the suspected-dumping alerts raised or extended by this batch")


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    kind: str
    status: str
    vehicle_id: int
    organization_id: int
    region_kato: str
    started_at: datetime
    ended_at: datetime
    duration_s: int
    lat: float
    lon: float
    n_points: int
    nearest_site_id: int | None
    nearest_site_m: float | None
    detected_at: datetime
    handled_at: datetime | None
    reason: str | None


class AlertPage(BaseModel):
    total: int
    items: list[AlertOut]


class AlertAction(Strict):
    event: Literal["acknowledge", "dismiss"]
    reason: str | None = Field(default=None, max_length=2000)


class StopOut(BaseModel):
    vehicle: int | str
    start: str
    end: str
    duration_s: int
    lat: float
    lon: float
    points: int
    diameter_m: float
    category: str
    site_id: int | str | None
    classification: int | str = Field(description='the site id, or "unauthorized"')


class TripOut(BaseModel):
    start: datetime
    end: datetime
    distance_km: float
    points: int


class PointOut(BaseModel):
    time: datetime
    lat: float
    lon: float


class VehicleDayOut(BaseModel):
    vehicle_id: int
    plate: str
    day: str
    points: int
    distance_km: float
    stops: list[StopOut]
    trips: list[TripOut]
    alerts: list[AlertOut]
    track: list[PointOut]
