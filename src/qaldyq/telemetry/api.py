"""Telemetry API: point ingest, alerts, a vehicle's day."""

from __future__ import annotations

from datetime import date, datetime, timezone

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import FieldError, Problem, invalid_param, request_locale
from qaldyq.core.i18n import translate
from qaldyq.telemetry import service
from qaldyq.telemetry.config import get_telemetry_settings
from qaldyq.telemetry.ingest import decode
from qaldyq.telemetry.schemas import AlertAction, AlertOut, AlertPage, IngestOut, PointOut, VehicleDayOut
from qaldyq.telemetry.workflow import STATES

router = APIRouter(prefix="/telemetry", tags=["telemetry"])

NDJSON = "application/x-ndjson"


def _too_large(msgid: str, **params) -> Problem:
    return Problem(413, "batch-too-large", "The batch is too large.", msgid, [FieldError(msgid, pointer="", params=params, code="batch-too-large")], **params)


async def batch_body(request: Request) -> tuple[bytes, bool]:
    """The raw body, read with a size limit (the handler itself runs in a worker thread)."""
    limit = get_telemetry_settings().max_batch_bytes
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in ("application/json", NDJSON):
        raise Problem(415, "unsupported-media-type", "Unsupported media type.", "Send application/json (an array) or application/x-ndjson (one point per line).")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large("The body may be at most {max} bytes.", max=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large("The body may be at most {max} bytes.", max=limit)
        chunks.append(chunk)
    return b"".join(chunks), ctype == NDJSON


@router.post("/points", response_model=IngestOut, summary="Ingest a batch of GPS points")
def ingest_points(request: Request, body: tuple[bytes, bool] = Depends(batch_body),
                  principal: Principal = Depends(require("telemetry.ingest")), db: Session = Depends(get_db)):
    """A JSON array, or NDJSON (`Content-Type: application/x-ndjson`), of up to 10,000 points
    `{"tracker_id" or "plate", "time", "lat", "lon", "speed"?}`; `time` is ISO 8601 with a UTC
    offset (or seconds since 1970). Every refused point is counted under its reason; the batch
    is refused whole only when it is not a list or holds too many points."""
    raw, ndjson = body
    try:
        items = decode(raw, ndjson)
    except (ValueError, UnicodeDecodeError):
        raise Problem(422, "validation", "The request is not valid.", "The body must be a JSON array of points.",
                      [FieldError("The body must be a JSON array of points.", pointer="", code="json_invalid")]) from None
    limit = get_telemetry_settings().max_batch_points
    if len(items) > limit:
        raise _too_large("A batch may hold at most {max} points; this one has {count}.", max=limit, count=len(items))
    result = service.ingest(db, principal, items)
    db.commit()
    locale = request_locale(request)
    errors = [{"index": e["index"], "pointer": e["pointer"], "reason": e["reason"], "detail": translate(locale, e["message"])} for e in result.errors]
    return IngestOut(received=result.received, accepted=result.accepted, rejected_total=result.rejected_total, rejected=result.rejected,
                     errors=errors, alerts=result.alerts)


@router.get("/alerts", response_model=AlertPage, summary="Suspected-dumping alerts (the queue)")
def alerts(status: str | None = Query(None, description="open, acknowledged or dismissed"), vehicle_id: int | None = Query(None, ge=1),
           limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
           principal: Principal = Depends(require("telemetry.alerts.read")), db: Session = Depends(get_db)):
    if status is not None and status not in STATES:
        raise invalid_param("status", "Must be one of: {expected}.", expected=", ".join(STATES))
    items, total = service.list_alerts(db, principal, status, vehicle_id, limit, offset)
    return AlertPage(total=total, items=items)


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def alert(alert_id: int = Path(ge=1), principal: Principal = Depends(require("telemetry.alerts.read")), db: Session = Depends(get_db)):
    return service.get_alert(db, principal, alert_id)


@router.post("/alerts/{alert_id}/events", response_model=AlertOut, summary="Acknowledge or dismiss (with a reason) an alert")
def alert_event(body: AlertAction, alert_id: int = Path(ge=1), principal: Principal = Depends(require("telemetry.alerts.manage")),
                db: Session = Depends(get_db)):
    alert = service.act_on_alert(db, principal, alert_id, body.event, body.reason)
    db.commit()
    return alert


@router.get("/vehicles/{vehicle_id}/days/{day}", response_model=VehicleDayOut, summary="A vehicle's day: track, trips, classified stops")
def vehicle_day(day: date, vehicle_id: int = Path(ge=1), principal: Principal = Depends(require("telemetry.read")), db: Session = Depends(get_db)):
    vd = service.vehicle_day(db, principal, vehicle_id, day)
    tr = vd.analysis.track
    t0, t1 = int(vd.start.timestamp()), int(vd.end.timestamp())
    points = [PointOut(time=datetime.fromtimestamp(t, tz=timezone.utc), lat=la, lon=lo) for t, la, lo in zip(tr.t.tolist(), tr.lat.tolist(), tr.lon.tolist()) if t0 <= t < t1]
    return VehicleDayOut(vehicle_id=vd.vehicle.id, plate=vd.vehicle.plate, day=vd.day.isoformat(), points=vd.points, distance_km=vd.distance_km,
                         stops=vd.stops, trips=vd.trips, alerts=vd.alerts, track=points)
