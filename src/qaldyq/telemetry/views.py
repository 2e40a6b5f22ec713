"""Telemetry pages: vehicles, a vehicle's day on a map, the alerts queue, unmatched documents."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem
from qaldyq.core.i18n import Translator
from qaldyq.telemetry import service
from qaldyq.telemetry.geofence import CATEGORY_LABELS
from qaldyq.telemetry.matching import UNMATCHED_REASONS
from qaldyq.telemetry.mapsvg import MapData, MapSite, MapStop, render as render_map
from qaldyq.telemetry.workflow import EVENTS, STATES, TRANSITIONS, allowed_events
from qaldyq.registry.models import Vehicle
from qaldyq.web import NavItem, render

router = APIRouter(prefix="/telemetry", include_in_schema=False)

NAV = [
    NavItem("Vehicle tracking", "/telemetry/vehicles", "telemetry.read", order=60),
    NavItem("Dumping alerts", "/telemetry/alerts", "telemetry.alerts.read", order=61),
    NavItem("Unmatched documents", "/telemetry/unmatched", "telemetry.alerts.read", order=62),
]

STATUS_BADGE = {"open": "bad", "acknowledged": "warn", "dismissed": ""}


def local(dt: datetime | None) -> str:
    return dt.astimezone(service.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if dt else "—"


def hm(dt: datetime | None) -> str:
    return dt.astimezone(service.LOCAL_TZ).strftime("%H:%M") if dt else "—"


def local_day(dt: datetime) -> str:
    return dt.astimezone(service.LOCAL_TZ).date().isoformat()


def _ctx(request: Request, **kw) -> dict:
    return {"local": local, "hm": hm, "local_day": local_day, "reasons": UNMATCHED_REASONS, "STATES": STATES, "EVENTS": EVENTS, "STATUS_BADGE": STATUS_BADGE, "CATEGORY_LABELS": CATEGORY_LABELS, **kw}


def _region_names(db: Session, locale: str) -> dict[str, str]:
    return {r.kato: getattr(r, f"name_{locale}", r.name_en) for r in service.regions(db)}


def _map(db: Session, track, stops: list[dict], locale: str, focus=None, title: str = "", numbered: dict | None = None):
    """A map of a track, its stops, the sites nearby and the region centres."""
    if focus is None and len(track):
        focus = (float(track.lat.min()), float(track.lat.max()), float(track.lon.min()), float(track.lon.max()))
    lat_r = (focus[0] - 0.05, focus[1] + 0.05) if focus else (40.5, 55.5)
    lon_r = (focus[2] - 0.08, focus[3] + 0.08) if focus else (46.4, 87.4)
    sites = [MapSite(s.lat, s.lon, s.geofence_radius_m or 0, s.name, s.site_type, s.geofence_polygon) for s in service.sites_in_box(db, lat_r, lon_r)]
    names = _region_names(db, locale)
    regions = [(r.lat, r.lon, names[r.kato]) for r in service.regions(db)]
    _ = Translator(locale)
    marks = []
    for i, s in enumerate(stops):
        label = (numbered or {}).get(i, "")
        title_ = f"{_(CATEGORY_LABELS[s['category']])}: {s['start'][11:16]}–{s['end'][11:16]} UTC, {s['duration_s'] // 60} min"
        marks.append(MapStop(s["lat"], s["lon"], s["category"], title_, label))
    return render_map(MapData(track.lat, track.lon, marks, sites, regions, focus), title=title)


@router.get("")
def root():
    return RedirectResponse("/telemetry/vehicles", status_code=303)


@router.get("/vehicles")
def overview(request: Request, principal: Principal = Depends(require("telemetry.read")), db: Session = Depends(get_db),
             page: int = Query(1, ge=1, le=10_000)):
    today = datetime.now(service.LOCAL_TZ).date()
    start, _end = service.local_day_bounds(today)
    rows, total = service.list_vehicles(db, principal, limit=50, offset=(page - 1) * 50)
    stats = service.counts(db, principal, start)
    return render(request, "telemetry/overview.html", _ctx(request, rows=rows, total=total, page=page, stats=stats, today=today))


@router.get("/vehicles/{vehicle_id}")
def vehicle_page(request: Request, vehicle_id: int, day: date | None = Query(None), principal: Principal = Depends(require("telemetry.read")),
                 db: Session = Depends(get_db)):
    day = day or datetime.now(service.LOCAL_TZ).date()
    vd = service.vehicle_day(db, principal, vehicle_id, day)
    track = vd.analysis.track
    t0, t1 = int(vd.start.timestamp()), int(vd.end.timestamp())
    keep = (track.t >= t0 - 3600) & (track.t < t1 + 3600)  # the day, and an hour around it for stops across midnight
    from qaldyq.telemetry.track import Track

    shown = Track(track.vehicle[keep], track.t[keep], track.lat[keep], track.lon[keep], track.labels)
    numbered = {i: str(k + 1) for k, i in enumerate([i for i, s in enumerate(vd.stops) if s["category"] == "unauthorized"])}
    svg = _map(db, shown, vd.stops, request.state.locale, title=vd.vehicle.plate, numbered=numbered) if len(shown) else None
    site_names = service.site_names(db, [s["site_id"] for s in vd.stops if s["site_id"] is not None])
    return render(request, "telemetry/vehicle_day.html", _ctx(request, vd=vd, svg=svg, day=day, prev=day - timedelta(days=1), next=day + timedelta(days=1),
                                                              numbered=numbered, site_names=site_names, to_dt=datetime.fromisoformat))


@router.get("/alerts")
def alerts_page(request: Request, status: str = Query("open"), page: int = Query(1, ge=1, le=10_000),
                principal: Principal = Depends(require("telemetry.alerts.read")), db: Session = Depends(get_db)):
    status = status if status in STATES or status == "all" else "open"
    items, total = service.list_alerts(db, principal, None if status == "all" else status, limit=50, offset=(page - 1) * 50)
    names = _region_names(db, request.state.locale)
    plates = service.plates(db, [a.vehicle_id for a in items])
    return render(request, "telemetry/alerts.html", _ctx(request, items=items, total=total, status=status, page=page, regions=names, plates=plates,
                                                         can_manage=principal.can("telemetry.alerts.manage"), allowed_events=allowed_events))


def _alert_page(request: Request, db: Session, principal: Principal, alert_id: int, error: str | None = None, flash: str | None = None, status_code: int = 200):
    alert = service.get_alert(db, principal, alert_id)
    margin = timedelta(hours=2)
    track = service.load_track(db, [alert.vehicle_id], alert.started_at - margin, alert.ended_at + margin)
    an = service.analyze_db(db, track)
    stops = an.stop_records()
    a0, a1 = int(alert.started_at.timestamp()), int(alert.ended_at.timestamp())
    numbered = {i: "!" for i, (s, e) in enumerate(zip(an.stops.t_start.tolist(), an.stops.t_end.tolist())) if s <= a1 and e >= a0}
    svg = _map(db, track, stops, request.state.locale, title=alert.number, numbered=numbered) if len(track) else None
    vehicle = db.get(Vehicle, alert.vehicle_id)
    names = _region_names(db, request.state.locale)
    ctx = _ctx(request, alert=alert, svg=svg, vehicle=vehicle, region=names.get(alert.region_kato, alert.region_kato), error=error,
               can_manage=principal.can("telemetry.alerts.manage"), events=allowed_events(alert.status), transitions=TRANSITIONS,
               day=alert.started_at.astimezone(service.LOCAL_TZ).date())
    if flash:
        ctx["flash"] = flash
    return render(request, "telemetry/alert.html", ctx, status_code=status_code)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int, done: str | None = Query(None), principal: Principal = Depends(require("telemetry.alerts.read")),
               db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    flash = _("The alert is now: {state}.", state=_(STATES[done])) if done in STATES else None
    return _alert_page(request, db, principal, alert_id, flash=flash)


@router.post("/alerts/{alert_id}/events")
def alert_event(request: Request, alert_id: int, event: str = Form(max_length=20), reason: str = Form("", max_length=2000),
                principal: Principal = Depends(require("telemetry.alerts.manage")), db: Session = Depends(get_db)):
    if event not in EVENTS:
        return _alert_page(request, db, principal, alert_id, error="Must be one of: acknowledge, dismiss.", status_code=422)
    try:
        alert = service.act_on_alert(db, principal, alert_id, event, reason)
    except Problem as exc:
        if exc.status == 404:
            raise
        db.rollback()
        return _alert_page(request, db, principal, alert_id, error=exc.detail, status_code=exc.status)
    db.commit()
    return RedirectResponse(f"/telemetry/alerts/{alert_id}?done={alert.status}", status_code=303)


@router.get("/unmatched")
def unmatched_page(request: Request, principal: Principal = Depends(require("telemetry.alerts.read")), db: Session = Depends(get_db)):
    until = datetime.now(service.LOCAL_TZ)
    legs = service.carrier_legs(db, until - timedelta(days=7), until)
    rows = []
    if legs:
        visible = set(db.scalars(service.vehicles_query(principal, "telemetry.read").with_only_columns(Vehicle.id)))
        rows = [r for r in service.match_legs_db(db, legs).unmatched if r.leg.vehicle_id in visible]
    return render(request, "telemetry/unmatched.html", _ctx(request, transfers_ready=legs is not None, rows=rows,
                                                               plates=service.plates(db, [r.leg.vehicle_id for r in rows])))
