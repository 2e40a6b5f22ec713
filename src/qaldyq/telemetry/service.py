"""Telemetry services: ingest, partitions and retention, tracks, alerts, matching, findings.

Services take a Session and never commit (the API handler or the CLI command does). The
registry's tables are only read here (vehicles, their trackers and depots; sites and their
geofences; region centres)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qaldyq.core import audit
from qaldyq.core.auth import Principal
from qaldyq.core.database import chunks, utcnow
from qaldyq.core.errors import conflict, invalid, not_found
from qaldyq.core.roles import Scope
from qaldyq.core.service import next_number
from qaldyq.registry.models import Organization, Region, Site, Vehicle
from qaldyq.telemetry import ingest as ing
from qaldyq.telemetry.analysis import Analysis, analyze
from qaldyq.telemetry.config import TelemetrySettings, get_telemetry_settings
from qaldyq.telemetry.findings import Finding, from_matching
from qaldyq.telemetry.geo import RegionLocator, distance_m, inside_service_area
from qaldyq.telemetry.geofence import SiteIndex
from qaldyq.telemetry.matching import Leg, MatchParams, MatchResult, leg_windows, match_legs
from qaldyq.telemetry.models import TelemetryAlert, TelemetryPoint
from qaldyq.telemetry.stops import StopParams
from qaldyq.telemetry.track import Track
from qaldyq.telemetry.workflow import TRANSITIONS

LOCAL_TZ = ZoneInfo("Asia/Almaty")
CONTEXT_S = 900  # stored neighbours read around a batch to judge jumps and duplicates
PARTITION_PREFIX = "telemetry_points_p"
CHUNK = 500


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc)


# ---------------------------------------------------------------- ingest

@dataclass
class IngestResult:
    received: int
    accepted: int
    rejected: dict[str, int]
    errors: list[dict]  # index, pointer, reason, message (an English message id)
    alerts: list[str] = field(default_factory=list)  # numbers of alerts raised or extended

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def _vehicles_by_ident(db: Session, idents: list[str]) -> dict[str, tuple[int, int]]:
    trackers = [i[2:] for i in idents if i.startswith("t:")]
    plates = [i[2:] for i in idents if i.startswith("p:")]
    found: dict[str, tuple[int, int]] = {}
    for chunk in chunks(trackers, CHUNK):
        for vid, org, tracker in db.execute(select(Vehicle.id, Vehicle.organization_id, Vehicle.tracker_id).where(Vehicle.tracker_id.in_(chunk))):
            found["t:" + tracker] = (vid, org)
    norm = func.upper(func.replace(Vehicle.plate, " ", ""))
    for chunk in chunks(plates, CHUNK):
        for vid, org, plate in db.execute(select(Vehicle.id, Vehicle.organization_id, norm).where(norm.in_(chunk))):
            found["p:" + plate] = (vid, org)
    return found


def _stored_around(db: Session, vehicle_ids: list[int], t_from: int, t_to: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows: list = []
    for chunk in chunks(vehicle_ids, CHUNK):
        rows += db.execute(select(TelemetryPoint.vehicle_id, TelemetryPoint.time, TelemetryPoint.lat, TelemetryPoint.lon).where(
            TelemetryPoint.vehicle_id.in_(chunk), TelemetryPoint.time >= _dt(t_from), TelemetryPoint.time <= _dt(t_to))).all()
    if not rows:
        z = np.array([], dtype=np.int64)
        return z, z.copy(), np.array([]), np.array([])
    v = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    t = np.fromiter((int(r[1].timestamp()) for r in rows), dtype=np.int64, count=len(rows))
    lat = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    lon = np.fromiter((r[3] for r in rows), dtype=np.float64, count=len(rows))
    return v, t, lat, lon


def ingest(db: Session, principal: Principal | None, items: list, *, now: datetime | None = None,
           settings: TelemetrySettings | None = None, scan: bool = True) -> IngestResult:
    """Judge, store and analyse a batch of points (see ingest.REASONS for why a point may be
    refused). Idempotent: sending a batch again stores nothing new and counts duplicates."""
    s = settings or get_telemetry_settings()
    b = ing.parse(items)
    _judge_places_and_times(b, int((now or utcnow()).timestamp()), s)
    vid = _judge_vehicles(db, b, principal)
    _judge_duplicates_and_jumps(db, b, vid, s)

    acc = np.flatnonzero(b.status == 0)
    inserted = _store(db, vid[acc], b.t[acc], b.lat[acc], b.lon[acc], b.speed[acc]) if acc.size else 0
    counts = b.counts()
    if inserted < acc.size:  # a concurrent batch stored the same points first
        counts["duplicate"] = counts.get("duplicate", 0) + (acc.size - inserted)
    result = IngestResult(len(b), inserted, counts, [])
    for i, pointer, msg in sorted(b.errors)[:100]:
        result.errors.append({"index": i, "pointer": pointer, "reason": ing.CODE_REASON.get(int(b.status[i]), "malformed"), "message": msg})
    digest = hashlib.sha256(repr((b.ident.tolist(), b.t.tolist())).encode()).hexdigest()
    after = {"received": result.received, "accepted": result.accepted, "rejected": counts,
             "vehicles": int(np.unique(vid[acc]).size) if acc.size else 0,
             "from": _dt(b.t[acc].min()).isoformat() if acc.size else None, "to": _dt(b.t[acc].max()).isoformat() if acc.size else None}
    audit.append(db, [("ingest", "telemetry_points", f"batch:{digest[:24]}", None, after)])
    if scan and acc.size:
        window_from = int(b.t[acc].min()) - int(s.alert_lookback_hours * 3600)
        alerts = scan_alerts(db, np.unique(vid[acc]).tolist(), window_from, int(b.t[acc].max()), s)
        result.alerts = [a.number for a in alerts]
    return result


def _judge_places_and_times(b: ing.Batch, now_ts: int, s: TelemetrySettings) -> None:
    b.reject(ing.impossible(b.lat, b.lon), "impossible_coordinates", "lat")
    live = b.status == 0
    if live.any():
        out = np.zeros(len(b), dtype=bool)
        out[live] = ~inside_service_area(b.lat[live], b.lon[live], s.outside_tolerance_km)
        b.reject(out, "outside_service_area", "lat")
    b.reject(b.t > now_ts + s.clock_skew_s, "future_time", "time")
    b.reject(b.t < now_ts - s.retention_days * 86400, "too_old", "time")


def _judge_vehicles(db: Session, b: ing.Batch, principal: Principal | None) -> np.ndarray:
    """The vehicle id of each point (-1 if none); refuses unknown trackers and, for callers
    limited to their own organization, other organizations' vehicles."""
    vid = np.full(len(b), -1, dtype=np.int64)
    org = np.full(len(b), -1, dtype=np.int64)
    live = b.status == 0
    if live.any():
        uniq, inv = np.unique(b.ident[live].astype(str), return_inverse=True)
        found = _vehicles_by_ident(db, uniq.tolist())
        ids = np.array([found.get(u, (-1, -1)) for u in uniq.tolist()], dtype=np.int64).reshape(-1, 2)
        vid[live], org[live] = ids[inv.ravel(), 0], ids[inv.ravel(), 1]
    by_tracker = np.char.startswith(b.ident.astype(str), "t:")
    b.reject((vid < 0) & by_tracker, "unregistered_tracker", "tracker_id")
    b.reject((vid < 0) & ~by_tracker, "unregistered_tracker", "plate")
    if principal is not None and principal.scope("telemetry.ingest") is not Scope.ALL:
        b.reject(org != principal.org_id, "not_permitted", "tracker_id")
    return vid


def _judge_duplicates_and_jumps(db: Session, b: ing.Batch, vid: np.ndarray, s: TelemetrySettings) -> None:
    # duplicates inside the batch: the first wins
    acc = np.flatnonzero(b.status == 0)
    if acc.size == 0:
        return
    order = acc[np.lexsort((acc, b.t[acc], vid[acc]))]
    dup = np.r_[False, (vid[order][1:] == vid[order][:-1]) & (b.t[order][1:] == b.t[order][:-1])]
    mask = np.zeros(len(b), dtype=bool)
    mask[order[dup]] = True
    b.reject(mask, "duplicate", "time")
    # duplicates of stored points, then jumps judged together with the stored neighbours
    acc = np.flatnonzero(b.status == 0)
    sv, st, slat, slon = _stored_around(db, np.unique(vid[acc]).tolist(), int(b.t[acc].min()) - CONTEXT_S, int(b.t[acc].max()) + CONTEXT_S)
    mask = np.zeros(len(b), dtype=bool)
    mask[acc] = np.isin((vid[acc] << 32) + b.t[acc], (sv << 32) + st)
    b.reject(mask, "duplicate", "time")
    acc = np.flatnonzero(b.status == 0)
    v_all, t_all = np.r_[vid[acc], sv], np.r_[b.t[acc], st]
    order = np.lexsort((t_all, v_all))
    trusted = np.r_[np.zeros(acc.size, dtype=bool), np.ones(sv.size, dtype=bool)][order]
    jp = ing.JumpParams(s.max_speed_kmh, s.jump_tolerance_m, s.max_jump_points)
    jumped = ing.jumps(v_all[order], t_all[order], np.r_[b.lat[acc], slat][order], np.r_[b.lon[acc], slon][order], trusted, jp)
    mask = np.zeros(len(b), dtype=bool)
    mask[acc[order[(order < acc.size) & jumped]]] = True
    b.reject(mask, "speed_jump", "lat")


def _store(db: Session, vid, t, lat, lon, speed) -> int:
    """Insert points (ON CONFLICT DO NOTHING); returns how many were new."""
    if db.get_bind().dialect.name == "postgresql":
        ensure_partitions(db, sorted({_dt(x).date() for x in np.unique(t // 86400 * 86400).tolist()}))
        ins = pg_insert(TelemetryPoint)
    else:
        ins = sqlite_insert(TelemetryPoint)
    rows = [{"vehicle_id": int(a), "time": _dt(b_), "lat": float(c), "lon": float(d), "speed_kmh": None if e != e else float(e)}
            for a, b_, c, d, e in zip(vid.tolist(), t.tolist(), lat.tolist(), lon.tolist(), speed.tolist())]
    stmt = ins.on_conflict_do_nothing(index_elements=["vehicle_id", "time"]).returning(TelemetryPoint.vehicle_id)
    inserted = 0
    for chunk in chunks(rows, 2000):
        inserted += len(db.execute(stmt, chunk).all())
    return inserted


# ---------------------------------------------------------------- partitions and retention

def partition_name(day: date) -> str:
    return f"{PARTITION_PREFIX}{day:%Y%m%d}"


def existing_partitions(db: Session) -> dict[str, date]:
    if db.get_bind().dialect.name != "postgresql":
        return {}
    rows = db.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_points'")).scalars().all()
    out = {}
    for name in rows:
        if name.startswith(PARTITION_PREFIX):
            out[name] = datetime.strptime(name[len(PARTITION_PREFIX):], "%Y%m%d").date()
    return out


def ensure_partitions(db: Session, days: list[date]) -> list[str]:
    """Create the daily partitions that do not exist yet (PostgreSQL only). Creating a partition
    locks the parent table until commit, so a cron job should create them ahead
    (`qaldyq telemetry partitions --days-ahead 3`); the ingest creates any still missing."""
    if db.get_bind().dialect.name != "postgresql" or not days:
        return []
    have = existing_partitions(db)
    missing = [d for d in days if partition_name(d) not in have]
    if not missing:
        return []
    db.execute(text("SELECT pg_advisory_xact_lock(hashtext('telemetry_points partitions'))"))
    have = existing_partitions(db)
    created = []
    for d in missing:
        name = partition_name(d)
        if name in have:
            continue
        start, end = datetime.combine(d, time(), timezone.utc), datetime.combine(d + timedelta(days=1), time(), timezone.utc)
        db.execute(text(f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF telemetry_points FOR VALUES FROM (\'{start.isoformat()}\') TO (\'{end.isoformat()}\')'))
        created.append(name)
    return created


def prune(db: Session, older_than_days: int, now: datetime | None = None) -> dict:
    """Delete points older than the cut-off. PostgreSQL drops whole daily partitions (instant,
    no bloat): a day is dropped once all of it is older than the cut-off. SQLite deletes rows."""
    if older_than_days < 1:
        raise invalid("/older_than_days", "Must be at least {ge}.", ge=1)
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    result: dict = {"cutoff": cutoff.isoformat(), "partitions_dropped": [], "rows_deleted": 0}
    if db.get_bind().dialect.name == "postgresql":
        for name, day in sorted(existing_partitions(db).items()):
            if datetime.combine(day + timedelta(days=1), time(), timezone.utc) <= cutoff:
                db.execute(text(f'DROP TABLE "{name}"'))
                result["partitions_dropped"].append(name)
    else:
        result["rows_deleted"] = db.execute(delete(TelemetryPoint).where(TelemetryPoint.time < cutoff)).rowcount or 0
    audit.append(db, [("prune", "telemetry_points", cutoff.date().isoformat(), None, result)])
    return result


# ---------------------------------------------------------------- tracks, sites, analysis

def load_track(db: Session, vehicle_ids: list[int], t_from: datetime, t_to: datetime) -> Track:
    v, t, lat, lon = _stored_around(db, list(vehicle_ids), int(t_from.timestamp()), int(t_to.timestamp()))
    return Track.build(v, t, lat, lon) if v.size else Track.empty()


def site_index(db: Session, lat_range: tuple[float, float] | None = None, lon_range: tuple[float, float] | None = None,
               settings: TelemetrySettings | None = None) -> SiteIndex:
    """The active sites (within a box, widened by 0.1 degree for large geofences)."""
    s = settings or get_telemetry_settings()
    q = select(Site.id, Site.lat, Site.lon, Site.geofence_radius_m, Site.geofence_polygon, Site.site_type).where(Site.status == "active")
    if lat_range is not None and lon_range is not None:
        q = q.where(Site.lat.between(lat_range[0] - 0.1, lat_range[1] + 0.1), Site.lon.between(lon_range[0] - 0.1, lon_range[1] + 0.1))
    rows = db.execute(q.order_by(Site.id)).all()
    return SiteIndex.build([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] or 0 for r in rows],
                           [r[4] for r in rows], [r[5] for r in rows], margin_m=s.geofence_margin_m)


def _bbox(track: Track):
    return (float(track.lat.min()), float(track.lat.max())), (float(track.lon.min()), float(track.lon.max()))


def depot_positions(db: Session, track: Track, sites: SiteIndex) -> np.ndarray:
    vids = [int(x) for x in track.labels.tolist()]
    depots = dict(db.execute(select(Vehicle.id, Vehicle.depot_site_id).where(Vehicle.id.in_(vids))).all()) if vids else {}
    return sites.position_of([depots.get(v) for v in vids])


def carrier_legs(db: Session, t_from: datetime, t_to: datetime, vehicle_ids: list[int] | None = None) -> list[Leg] | None:
    """The carrier legs of the transfer documents in a period, from the transfers domain once it
    provides `qaldyq.transfers.service.carrier_legs(db, t_from, t_to, vehicle_ids) -> list[Leg]`;
    None while it does not (no transfer documents exist yet)."""
    from qaldyq.domains import domain_module

    transfers = domain_module("transfers", "service")
    source = getattr(transfers, "carrier_legs", None) if transfers is not None else None
    return None if source is None else list(source(db, t_from, t_to, vehicle_ids))


def analyze_db(db: Session, track: Track, settings: TelemetrySettings | None = None, legs: list[Leg] | None = None) -> Analysis:
    """Analyse a track against the registered sites; with carrier legs (default: those of the
    transfers domain for the track's vehicles and period), stops at a leg's consignor or receiver
    near its times are classified as such."""
    s = settings or get_telemetry_settings()
    sites = site_index(db, *_bbox(track), settings=s) if len(track) else SiteIndex.empty()
    if legs is None and len(track):
        legs = carrier_legs(db, _dt(track.t.min()), _dt(track.t.max()), [int(v) for v in track.labels.tolist()])
    windows = leg_windows(legs or [], track, sites, s.match_tolerance_minutes * 60)
    return analyze(track, sites, StopParams.from_settings(s), depot_positions(db, track, sites), windows)


def region_locator(db: Session) -> RegionLocator:
    centres = [(k, la, lo) for k, la, lo in db.execute(select(Region.kato, Region.lat, Region.lon))]
    sites = [(k, la, lo) for k, la, lo in db.execute(select(Site.region_kato, Site.lat, Site.lon).where(Site.status == "active"))]
    return RegionLocator(centres, sites)


# ---------------------------------------------------------------- alerts

def scan_alerts(db: Session, vehicle_ids: list[int], t_from: int, t_to: int, settings: TelemetrySettings | None = None) -> list[TelemetryAlert]:
    """Raise (or extend) a suspected-dumping alert for each unauthorized stop of these vehicles
    in the window that lasted at least the threshold. Re-running is harmless: a stop that
    overlaps an alert of the same vehicle updates that alert."""
    s = settings or get_telemetry_settings()
    track = load_track(db, vehicle_ids, _dt(t_from), _dt(t_to))
    if len(track) == 0:
        return []
    an = analyze_db(db, track, s)
    idx = an.unauthorized(s.dumping_alert_minutes * 60)
    if idx.size == 0:
        return []
    st = an.stops
    vehicles = [int(track.labels[st.vehicle[i]]) for i in idx]
    if db.get_bind().dialect.name == "postgresql":
        # two batches of one truck analysed at once must not both raise the same alert
        for vid in sorted(set(vehicles)):
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext('telemetry alerts'), :v)"), {"v": vid})
    owner = dict(db.execute(select(Vehicle.id, Vehicle.organization_id).where(Vehicle.id.in_(set(vehicles)))).all())
    regions = region_locator(db).locate(st.lat[idx], st.lon[idx])
    existing = db.scalars(select(TelemetryAlert).where(TelemetryAlert.vehicle_id.in_(set(vehicles)),
                                                       TelemetryAlert.ended_at >= _dt(t_from - 3600), TelemetryAlert.started_at <= _dt(t_to))).all()
    out = []
    for k, i in enumerate(idx.tolist()):  # one iteration per alert
        start, end = _dt(st.t_start[i]), _dt(st.t_end[i])
        near_pos, near_m = _nearest_site(an.sites, st.lat[i], st.lon[i])
        values = dict(ended_at=end, duration_s=int(st.t_end[i] - st.t_start[i]), lat=float(st.lat[i]), lon=float(st.lon[i]),
                      n_points=int(st.n_points[i]), nearest_site_id=near_pos, nearest_site_m=near_m)
        alert = next((a for a in existing if a.vehicle_id == vehicles[k] and a.started_at <= end and a.ended_at >= start), None)
        if alert is None:
            alert = TelemetryAlert(number=next_number(db, "TA", start), kind="suspected_dumping", status="open", vehicle_id=vehicles[k],
                                   organization_id=owner[vehicles[k]], region_kato=regions[k], started_at=start, **values)
            db.add(alert)
            existing.append(alert)
        else:
            changed = {key: v for key, v in values.items() if getattr(alert, key) != v}
            if min(alert.started_at, start) != alert.started_at:
                changed["started_at"] = start
            for key, v in changed.items():
                setattr(alert, key, v)
            if changed:
                alert.updated_at = utcnow()
        out.append(alert)
    db.flush()
    return out


def _nearest_site(sites: SiteIndex, lat: float, lon: float) -> tuple[int | None, float | None]:
    if len(sites) == 0:
        return None, None
    d = distance_m(lat, lon, sites.lat, sites.lon)
    j = int(np.argmin(d))
    return int(sites.ids[j]), round(float(d[j]), 1)


def alerts_query(principal: Principal, permission: str = "telemetry.alerts.read"):
    q = select(TelemetryAlert)
    scope = principal.scope(permission)
    if scope is Scope.REGION:
        q = q.where(TelemetryAlert.region_kato == principal.region_kato)
    elif scope is Scope.OWN:
        q = q.where(TelemetryAlert.organization_id == principal.org_id)
    return q


def list_alerts(db: Session, principal: Principal, status: str | None = None, vehicle_id: int | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[TelemetryAlert], int]:
    q = alerts_query(principal)
    if status:
        q = q.where(TelemetryAlert.status == status)
    if vehicle_id:
        q = q.where(TelemetryAlert.vehicle_id == vehicle_id)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(TelemetryAlert.started_at.desc(), TelemetryAlert.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def get_alert(db: Session, principal: Principal, alert_id: int, permission: str = "telemetry.alerts.read") -> TelemetryAlert:
    alert = db.scalar(alerts_query(principal, permission).where(TelemetryAlert.id == alert_id))
    if alert is None:
        raise not_found("Alert {id} does not exist.", id=alert_id)
    return alert


def act_on_alert(db: Session, principal: Principal, alert_id: int, event: str, reason: str | None = None) -> TelemetryAlert:
    alert = get_alert(db, principal, alert_id, "telemetry.alerts.manage")
    step = TRANSITIONS.get((alert.status, event))
    if step is None:
        raise conflict("/event", "An alert in state {state} cannot be changed that way.", code="invalid-transition", state=alert.status)
    next_state, needs_reason = step
    reason = (reason or "").strip() or None
    if needs_reason and not reason:
        raise invalid("/reason", "Give the reason.", code="reason-required")
    alert.status = next_state
    alert.reason = reason if reason else alert.reason
    alert.handled_by_id = principal.user_id
    alert.handled_at = utcnow()
    db.flush()
    return alert


# ---------------------------------------------------------------- vehicles and their days

def vehicles_query(principal: Principal, permission: str = "telemetry.read"):
    q = select(Vehicle).join(Organization, Organization.id == Vehicle.organization_id)
    scope = principal.scope(permission)
    if scope is Scope.OWN:
        q = q.where(Vehicle.organization_id == principal.org_id)
    elif scope is Scope.REGION:
        alerted = select(TelemetryAlert.vehicle_id).where(TelemetryAlert.region_kato == principal.region_kato)
        q = q.where(or_(Organization.region_kato == principal.region_kato, Vehicle.id.in_(alerted)))
    return q


def get_vehicle(db: Session, principal: Principal, vehicle_id: int) -> Vehicle:
    vehicle = db.scalar(vehicles_query(principal).where(Vehicle.id == vehicle_id))
    if vehicle is None:
        raise not_found("Vehicle {id} does not exist.", id=vehicle_id)
    return vehicle


def list_vehicles(db: Session, principal: Principal, limit: int = 100, offset: int = 0) -> tuple[list[dict], int]:
    q = vehicles_query(principal)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    vehicles = db.scalars(q.order_by(Vehicle.plate).limit(limit).offset(offset)).all()
    ids = [v.id for v in vehicles]
    last = dict(db.execute(select(TelemetryPoint.vehicle_id, func.max(TelemetryPoint.time)).where(TelemetryPoint.vehicle_id.in_(ids)).group_by(TelemetryPoint.vehicle_id)).all()) if ids else {}
    open_alerts = dict(db.execute(select(TelemetryAlert.vehicle_id, func.count()).where(TelemetryAlert.vehicle_id.in_(ids), TelemetryAlert.status == "open").group_by(TelemetryAlert.vehicle_id)).all()) if ids else {}
    out = [{"vehicle": v, "last_seen": _aware(last.get(v.id)), "open_alerts": open_alerts.get(v.id, 0)} for v in vehicles]
    return out, total


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)  # SQLite's max() returns naive UTC


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), LOCAL_TZ)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


@dataclass
class VehicleDay:
    vehicle: Vehicle
    day: date
    start: datetime
    end: datetime
    analysis: Analysis
    stops: list[dict]  # stop records overlapping the day
    trips: list[dict]
    points: int
    distance_km: float
    alerts: list[TelemetryAlert]


def vehicle_day(db: Session, principal: Principal, vehicle_id: int, day: date, settings: TelemetrySettings | None = None) -> VehicleDay:
    """A vehicle's local (Asia/Almaty) day. The track is read with a margin on both sides so a
    stop across midnight is seen whole."""
    s = settings or get_telemetry_settings()
    vehicle = get_vehicle(db, principal, vehicle_id)
    start, end = local_day_bounds(day)
    margin = timedelta(hours=s.alert_lookback_hours)
    track = load_track(db, [vehicle.id], start - margin, end + margin)
    an = analyze_db(db, track, s)
    t0, t1 = int(start.timestamp()), int(end.timestamp())
    stops = [r for r, a, b in zip(an.stop_records(), an.stops.t_start.tolist(), an.stops.t_end.tolist()) if a < t1 and b >= t0]
    tr = an.trips
    trips = [{"start": _dt(a), "end": _dt(b), "distance_km": round(float(d) / 1000, 1), "points": int(n)}
             for a, b, d, n in zip(tr.t_start.tolist(), tr.t_end.tolist(), tr.distance_m.tolist(), tr.n_points.tolist()) if a < t1 and b >= t0]
    in_day = (track.t >= t0) & (track.t < t1)
    alerts = db.scalars(alerts_query(principal, "telemetry.read").where(TelemetryAlert.vehicle_id == vehicle.id, TelemetryAlert.started_at < end,
                                                                        TelemetryAlert.ended_at >= start).order_by(TelemetryAlert.started_at)).all() \
        if principal.can("telemetry.alerts.read") else []
    return VehicleDay(vehicle, day, start, end, an, stops, trips, int(in_day.sum()), round(sum(t["distance_km"] for t in trips), 1), list(alerts))


# ---------------------------------------------------------------- matching and findings

def match_legs_db(db: Session, legs: list[Leg], settings: TelemetrySettings | None = None,
                  period: tuple[datetime, datetime] | None = None) -> MatchResult:
    """Match carrier legs (vehicle ids and site ids of the registry) against stored telemetry.
    For the transfers domain: build `Leg`s from the documents of a period and call this. Landfill
    trips without a document are looked for among all vehicles that reported in the period
    (default: the legs' span widened by the tolerance)."""
    s = settings or get_telemetry_settings()
    tol = timedelta(minutes=s.match_tolerance_minutes)
    if period is None:
        if not legs:
            return MatchResult()
        period = (min(leg.pickup_at for leg in legs) - tol, max((leg.receipt_at or leg.pickup_at) for leg in legs) + tol)
    t_from, t_to = period
    reported = db.scalars(select(TelemetryPoint.vehicle_id).where(TelemetryPoint.time >= t_from, TelemetryPoint.time <= t_to).distinct()).all()
    track = load_track(db, sorted(set(reported) | {int(leg.vehicle_id) for leg in legs}), t_from, t_to)
    sites = site_index(db, settings=s)
    return match_legs(track, sites, legs, MatchParams.from_settings(s))


def findings(db: Session, t_from: datetime, t_to: datetime, legs: list[Leg] | None = None,
             settings: TelemetrySettings | None = None) -> list[Finding]:
    """Plain findings for the control engine over a period: the suspected-dumping alerts,
    signal lost while moving, and (given carrier legs) documents with no trip and landfill
    trips with no document."""
    s = settings or get_telemetry_settings()
    out: list[Finding] = []
    for a in db.scalars(select(TelemetryAlert).where(TelemetryAlert.started_at < t_to, TelemetryAlert.ended_at >= t_from,
                                                     TelemetryAlert.status != "dismissed").order_by(TelemetryAlert.started_at)):
        out.append(Finding("suspected_dumping", "high", a.vehicle_id, a.started_at, a.number, {
            "region_kato": a.region_kato, "lat": a.lat, "lon": a.lon, "minutes": round(a.duration_s / 60, 1),
            "nearest_site_id": a.nearest_site_id, "nearest_site_m": a.nearest_site_m, "status": a.status}))
    vehicle_ids = db.scalars(select(TelemetryPoint.vehicle_id).where(TelemetryPoint.time >= t_from, TelemetryPoint.time < t_to).distinct()).all()
    if vehicle_ids:
        track = load_track(db, list(vehicle_ids), t_from, t_to)
        an = analyze_db(db, track, s)
        g = an.gaps
        for i in range(len(g)):  # one record per gap
            if g.distance_m[i] < s.stop_max_diameter_m:
                continue
            out.append(Finding("signal_gap", "medium" if g.distance_m[i] > 5000 else "low", int(track.labels[g.vehicle[i]]), _dt(g.t_from[i]), None, {
                "from": _dt(g.t_from[i]).isoformat(), "to": _dt(g.t_to[i]).isoformat(), "minutes": round((g.t_to[i] - g.t_from[i]) / 60, 1),
                "distance_km": round(float(g.distance_m[i]) / 1000, 2)}))
    if legs is not None:
        out += from_matching(match_legs_db(db, legs, s, (t_from, t_to)))
    return out


def sites_in_box(db: Session, lat_range: tuple[float, float], lon_range: tuple[float, float], limit: int = 300) -> list[Site]:
    """Registered sites inside a box (for drawing a map)."""
    return list(db.scalars(select(Site).where(Site.status == "active", Site.lat.between(*lat_range), Site.lon.between(*lon_range)).order_by(Site.id).limit(limit)))


def regions(db: Session) -> list[Region]:
    return list(db.scalars(select(Region).order_by(Region.kato)))


def counts(db: Session, principal: Principal, since: datetime) -> dict:
    """Figures for the overview page, within the caller's scope."""
    vq = vehicles_query(principal).subquery()
    out = {"vehicles": db.scalar(select(func.count()).select_from(vq)) or 0}
    out["reporting"] = db.scalar(select(func.count(func.distinct(TelemetryPoint.vehicle_id))).where(
        TelemetryPoint.time >= since, TelemetryPoint.vehicle_id.in_(select(vq.c.id)))) or 0
    if principal.can("telemetry.alerts.read"):
        out["open_alerts"] = db.scalar(select(func.count()).select_from(alerts_query(principal).where(TelemetryAlert.status == "open").subquery())) or 0
    return out


def site_names(db: Session, ids: list[int]) -> dict[int, str]:
    return dict(db.execute(select(Site.id, Site.name).where(Site.id.in_(set(ids)))).all()) if ids else {}


def plates(db: Session, vehicle_ids: list[int]) -> dict[int, str]:
    return dict(db.execute(select(Vehicle.id, Vehicle.plate).where(Vehicle.id.in_(set(vehicle_ids)))).all()) if vehicle_ids else {}
