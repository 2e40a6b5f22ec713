"""The citizen channel's logic: submission (with the anti-flood checks), routing to the akimat,
the workflow, the reporter's private access, and the public data. Takes a Session, never commits."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from qaldyq.citizens import floods, photos, pow
from qaldyq.citizens.config import CitizenSettings, citizen_settings
from qaldyq.citizens.directory import akimat_of
from qaldyq.citizens.models import Report, ReportEvent, ReportKind, ReportPhoto
from qaldyq.citizens.places import COUNTRY, distance_m, nearest_region
from qaldyq.citizens.schemas import ReportIn
from qaldyq.citizens.workflow import MAP_STATES, PHOTO_PUBLIC_STATES, SUBMIT_EVENT, EventInput, Status, Transition, check, from_state
from qaldyq.core.auth import Principal
from qaldyq.core.database import utcnow
from qaldyq.core.errors import FieldError, Problem, forbidden, invalid, not_found
from qaldyq.core.roles import Scope
from qaldyq.core.security import sha256_hex
from qaldyq.core.service import next_number
from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE, inside_kazakhstan
from qaldyq.registry.regions import REGION_CODES

NUMBER_PREFIX = "CR"  # citizen report: CR-2026-000123
LOCAL_TZ = ZoneInfo("Asia/Almaty")
BORDER_TOLERANCE_M = 10_000  # the bundled outline is simplified; a point this close to it still counts as inside


def local_date(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()


# --- reference data -------------------------------------------------------------------------

def kinds(db: Session, active_only: bool = True) -> list[ReportKind]:
    q = select(ReportKind).order_by(ReportKind.sort_order, ReportKind.code)
    if active_only:
        q = q.where(ReportKind.active.is_(True))
    return list(db.scalars(q))


def kind_names(db: Session, locale: str) -> dict[str, str]:
    return {k.code: {"kk": k.name_kk, "ru": k.name_ru}.get(locale, k.name_en) for k in kinds(db, active_only=False)}


# --- location -------------------------------------------------------------------------------

def _km_from_outline(lat: float, lon: float) -> float:
    """Distance in metres from a point to the nearest edge of the outline (flat approximation,
    fine at these distances)."""
    kx = math.cos(math.radians(lat)) * 111_320
    ky = 110_574
    px, py = lon * kx, lat * ky
    best = math.inf
    pts = KAZAKHSTAN_OUTLINE
    for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1]):
        ax, ay, bx, by = ax * kx, ay * ky, bx * kx, by * ky
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
    return best


def in_country(lat: float, lon: float) -> bool:
    """Inside the outline, or within its accuracy of it (a border village must not be refused)."""
    return inside_kazakhstan(lat, lon) or _km_from_outline(lat, lon) <= BORDER_TOLERANCE_M


# --- submission -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    pointer: str  # JSON Pointer of the file in the request, e.g. /photos/1
    data: bytes
    too_large: bool = False  # the reader stopped past the limit


def issue_challenge(secret: str, s: CitizenSettings | None = None, now: datetime | None = None) -> pow.Challenge:
    s = s or citizen_settings()
    return pow.issue(secret, s.pow_bits, s.challenge_minutes, now)


def _check_location(lat: float, lon: float) -> None:
    if not in_country(lat, lon):
        raise Problem(422, "outside-kazakhstan", "The request is not valid.", "The location is outside Kazakhstan.", [
            FieldError("The location is outside Kazakhstan.", pointer="/lat", code="outside-kazakhstan"),
            FieldError("The location is outside Kazakhstan.", pointer="/lon", code="outside-kazakhstan"),
        ])


def _clean_photos(uploads: list[Upload], s: CitizenSettings) -> list[photos.CleanPhoto]:
    if len(uploads) > s.max_photos:
        raise invalid("/photos", "At most {n} photos per report.", code="too-many-photos", n=s.max_photos)
    out = []
    for up in uploads:
        if up.too_large:
            raise invalid(up.pointer, "The photo is larger than {mb} MB.", code="file-too-large", mb=s.max_photo_bytes // (1024 * 1024))
        out.append(photos.clean(up.data, up.pointer, s))
    return out


def _photo_row(clean: photos.CleanPhoto, stage: str) -> ReportPhoto:
    return ReportPhoto(stage=stage, content_type=clean.content_type, width=clean.width, height=clean.height, size=len(clean.data),
                       sha256=clean.sha256, original_type=clean.original_type, data=clean.data, thumb=clean.thumb)


def submit(db: Session, inp: ReportIn, uploads: list[Upload], *, source: floods.Source, secret: str, channel: str, locale: str,
           now: datetime | None = None, s: CitizenSettings | None = None) -> tuple[Report, str]:
    """Check and store a report; returns it with the private token (shown once, kept as a hash).
    The checks run cheapest first; any refusal stores nothing."""
    s = s or citizen_settings()
    now = now or utcnow()
    if inp.website:
        raise invalid("/website", "This field must be left empty.", code="honeypot")
    pow.verify_and_spend(db, secret, inp.pow_challenge, inp.pow_nonce, min_fill_seconds=s.min_fill_seconds, minutes=s.challenge_minutes, now=now)
    floods.check_and_count(db, source, secret, now)
    return create(db, inp, uploads, channel=channel, locale=locale, now=now, s=s)


def create(db: Session, inp: ReportIn, uploads: list[Upload], *, channel: str, locale: str, now: datetime | None = None,
           s: CitizenSettings | None = None) -> tuple[Report, str]:
    """Store a report after the anti-flood checks (also used by the demo seed, which is trusted)."""
    s = s or citizen_settings()
    now = now or utcnow()
    kind = db.get(ReportKind, inp.kind)
    if kind is None or not kind.active:
        raise invalid("/kind", "Unknown kind {value}.", code="unknown-kind", value=inp.kind)
    _check_location(inp.lat, inp.lon)
    if inp.region_kato is not None and inp.region_kato not in REGION_CODES:
        raise invalid("/region_kato", "Unknown region {value}.", code="unknown-region", value=inp.region_kato)
    region = inp.region_kato or nearest_region(inp.lat, inp.lon)
    cleaned = _clean_photos(uploads, s)
    akimat = akimat_of(db, region)
    token = secrets.token_urlsafe(32)
    report = Report(
        number=next_number(db, NUMBER_PREFIX, now), kind=inp.kind, status=Status.RECEIVED.value, lat=inp.lat, lon=inp.lon,
        region_kato=region, region_source="reporter" if inp.region_kato else "nearest", akimat_org_id=akimat.id if akimat else None,
        description=inp.description, contact=inp.contact, token_hash=sha256_hex(token), channel=channel, locale=locale,
        created_at=now, updated_at=now,
    )
    report.photos = [_photo_row(c, "report") for c in cleaned]
    report.events = [ReportEvent(at=now, event=SUBMIT_EVENT, from_status=None, to_status=Status.RECEIVED.value,
                                 actor_org_name=None, region_kato=region)]
    db.add(report)
    db.flush()
    return report, token


# --- who sees what --------------------------------------------------------------------------

def reaches(principal: Principal, permission: str, report: Report) -> bool:
    scope = principal.scope(permission)
    if scope is Scope.ALL:
        return True
    if scope is Scope.REGION:
        return principal.region_kato is not None and principal.region_kato == report.region_kato
    return False  # no citizen permission is scoped to one's own organization


def scoped(principal: Principal, q, permission: str = "citizens.read"):
    scope = principal.scope(permission)
    if scope is Scope.ALL:
        return q
    if scope is Scope.REGION and principal.region_kato:
        return q.where(Report.region_kato == principal.region_kato)
    return q.where(False)


def get_report(db: Session, principal: Principal, number: str, for_update: bool = False) -> Report:
    """A report the principal may read; another region's report is simply not found."""
    q = select(Report).where(Report.number == number)
    if for_update:
        q = q.with_for_update()
    report = db.scalar(q)
    if report is None or not reaches(principal, "citizens.read", report):
        raise not_found("Report {number} does not exist.", number=number)
    return report


def list_reports(db: Session, principal: Principal, *, status: list[str] | None = None, kind: str | None = None, region: str | None = None,
                 number: str | None = None, limit: int = 50, offset: int = 0) -> tuple[int, list[Report]]:
    q = scoped(principal, select(Report))
    if status:
        q = q.where(Report.status.in_(status))
    if kind:
        q = q.where(Report.kind == kind)
    if region:
        q = q.where(Report.region_kato == region)
    if number:
        q = q.where(Report.number.ilike(f"%{number.strip()}%"))
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit).offset(offset))
    return total, list(rows)


def queue_counts(db: Session, principal: Principal) -> dict[str, int]:
    q = scoped(principal, select(Report.status, func.count()).group_by(Report.status))
    return {status: n for status, n in db.execute(q)}


def allowed(principal: Principal, report: Report) -> list[Transition]:
    """The actions the workflow table offers from the report's state that this principal may fire."""
    return [t for t in from_state(report.status) if reaches(principal, t.permission, report)]


def nearby(db: Session, report: Report, meters: float, principal: Principal, limit: int = 20) -> list[tuple[Report, float]]:
    """Other reports close by (likely duplicates), within the principal's scope."""
    dlat = meters / 111_000
    dlon = dlat / max(math.cos(math.radians(report.lat)), 0.1)
    q = scoped(principal, select(Report)).where(
        Report.id != report.id, Report.lat.between(report.lat - dlat, report.lat + dlat), Report.lon.between(report.lon - dlon, report.lon + dlon))
    found = [(r, distance_m(report.lat, report.lon, r.lat, r.lon)) for r in db.scalars(q.limit(500))]
    return sorted([f for f in found if f[1] <= meters], key=lambda f: f[1])[:limit]


# --- the workflow ---------------------------------------------------------------------------

def _apply(report: Report, t: Transition, inp: EventInput, db: Session, now: datetime) -> None:
    """The effects of an event beyond the status change."""
    if t.event in ("schedule", "reschedule"):
        report.scheduled_for = inp.scheduled_for
    elif t.event == "reject":
        report.reject_code = inp.reason_code
        report.closed_at = now
    elif t.event == "clean":
        report.closed_at = now
    elif t.event == "forward":
        akimat = akimat_of(db, inp.region_kato)
        report.region_kato = inp.region_kato
        report.region_source = "moderator"
        report.akimat_org_id = akimat.id if akimat else None


def fire(db: Session, principal: Principal, number: str, event: str, inp: EventInput, photo: Upload | None = None,
         now: datetime | None = None, s: CitizenSettings | None = None) -> Report:
    """Fire `event` on a report: the table decides whether it is possible from the current state
    and who may; its guard checks the input. The change and its history entry land together."""
    s = s or citizen_settings()
    now = now or utcnow()
    report = get_report(db, principal, number, for_update=True)
    t = check(report, event, inp, local_date(now))
    if not reaches(principal, t.permission, report):
        raise forbidden("You may not do this with this report.")
    if photo is not None and "photo" not in t.fields:
        raise invalid("/photo", "This action takes no photo.", code="unexpected-photo")
    row = None
    if photo is not None:
        row = _photo_row(_clean_photos([photo], s)[0], "after")
        report.photos.append(row)
    before = report.status
    _apply(report, t, inp, db, now)
    report.status = t.next.value
    report.updated_at = now
    db.flush()
    note = inp.reason if t.event == "reject" else inp.note
    report.events.append(ReportEvent(
        at=now, event=t.event, from_status=before, to_status=t.next.value, actor_user_id=principal.user_id, actor_org_id=principal.org_id,
        actor_org_name=principal.org_name, note=(note or None), reason_code=inp.reason_code if t.event == "reject" else None,
        scheduled_for=inp.scheduled_for if "scheduled_for" in t.fields else None,
        region_kato=inp.region_kato if t.event == "forward" else None, photo_id=row.id if row else None,
    ))
    db.flush()
    return report


def set_photo_hidden(db: Session, principal: Principal, number: str, photo_id: int, hidden: bool) -> ReportPhoto:
    report = get_report(db, principal, number, for_update=True)
    if not reaches(principal, "citizens.verify", report):
        raise forbidden("You may not do this with this report.")
    photo = next((p for p in report.photos if p.id == photo_id), None)
    if photo is None:
        raise not_found("Photo {id} does not exist.", id=photo_id)
    photo.hidden = hidden
    db.flush()
    return photo


# --- the reporter's private access ----------------------------------------------------------

def by_token(db: Session, token: str) -> Report:
    report = db.scalar(select(Report).where(Report.token_hash == sha256_hex(token))) if 20 <= len(token) <= 100 else None
    if report is None:
        raise not_found("No report matches this link. Check that it was copied completely.")
    return report


def _photo_bytes(db: Session, report_id: int, photo_id: int, thumb: bool) -> ReportPhoto:
    photo = db.scalar(select(ReportPhoto).options(undefer(ReportPhoto.thumb if thumb else ReportPhoto.data))
                      .where(ReportPhoto.id == photo_id, ReportPhoto.report_id == report_id))
    if photo is None:
        raise not_found("Photo {id} does not exist.", id=photo_id)
    return photo


def reporter_photo(db: Session, token: str, photo_id: int, thumb: bool = False) -> ReportPhoto:
    return _photo_bytes(db, by_token(db, token).id, photo_id, thumb)


def official_photo(db: Session, principal: Principal, number: str, photo_id: int, thumb: bool = False) -> ReportPhoto:
    return _photo_bytes(db, get_report(db, principal, number).id, photo_id, thumb)


# --- public data ----------------------------------------------------------------------------

def photo_is_public(report: Report, photo: ReportPhoto) -> bool:
    return report.status in PHOTO_PUBLIC_STATES and not photo.hidden


def public_photo(db: Session, photo_id: int, thumb: bool = False) -> ReportPhoto:
    photo = db.get(ReportPhoto, photo_id)
    report = db.get(Report, photo.report_id) if photo else None
    if photo is None or report is None or not photo_is_public(report, photo):
        raise not_found("Photo {id} does not exist.", id=photo_id)
    return _photo_bytes(db, report.id, photo_id, thumb)


def public_query(kind: str | None = None, status: str | None = None, region: str | None = None, since: date | None = None):
    q = select(Report).where(Report.status.in_([s.value for s in MAP_STATES]))
    if kind:
        q = q.where(Report.kind == kind)
    if status:
        q = q.where(Report.status == status)
    if region:
        q = q.where(Report.region_kato == region)
    if since:
        q = q.where(Report.created_at >= datetime(since.year, since.month, since.day, tzinfo=LOCAL_TZ))
    return q


def public_reports(db: Session, *, kind: str | None = None, status: str | None = None, region: str | None = None, since: date | None = None,
                   limit: int = 5000) -> list[Report]:
    q = public_query(kind, status, region, since).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)
    return list(db.scalars(q))


def public_report(db: Session, number: str) -> Report:
    report = db.scalar(public_query().where(Report.number == number))
    if report is None:
        raise not_found("Report {number} does not exist.", number=number)
    return report


def rounded(value: float, s: CitizenSettings | None = None) -> float:
    return round(value, (s or citizen_settings()).public_precision)


def status_counts_by_region(db: Session) -> dict[str, dict[str, int]]:
    """All statuses, rejected included (a count says nothing about any one report)."""
    out: dict[str, dict[str, int]] = {}
    for region, status, n in db.execute(select(Report.region_kato, Report.status, func.count()).group_by(Report.region_kato, Report.status)):
        out.setdefault(region, {})[status] = n
    return out


def map_xy(lat: float, lon: float) -> tuple[float, float]:
    return COUNTRY.xy(lat, lon)


# --- retention ------------------------------------------------------------------------------

def purge_contacts(db: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Erase the reporter's contact from reports closed more than `older_than_days` ago: it was
    collected only to ask questions about an open report. Returns how many were erased (each
    erasure is in the audit log, itself masked)."""
    from datetime import timedelta

    if older_than_days < 0:
        raise invalid("/older_than_days", "Must be at least {ge}.", code="greater_than_equal", ge=0)
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    rows = list(db.scalars(select(Report).where(Report.contact.is_not(None), Report.closed_at.is_not(None), Report.closed_at < cutoff)))
    for r in rows:
        r.contact = None
    db.flush()
    return len(rows)
