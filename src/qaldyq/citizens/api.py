"""HTTP API of the citizen channel. Reporting, the private link and the public data are open to
anyone (`Depends(public)`); moderation needs the `citizens.*` permissions."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from qaldyq.citizens import forms, present, service
from qaldyq.citizens.config import citizen_settings
from qaldyq.citizens.directory import collection_points
from qaldyq.citizens.floods import Source
from qaldyq.citizens.models import ReportPhoto
from qaldyq.citizens.schemas import (
    ChallengeOut, KindOut, PhotoOut, PublicReport, RegionCount, ReportOut, ReportPage, ReporterView, SubmittedOut, TransitionRow,
)
from qaldyq.citizens.workflow import TRANSITIONS, EventInput, Status
from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import Problem, invalid, invalid_param, problem_response, request_locale
from qaldyq.registry.regions import REGIONS

PUBLIC = {"x-qaldyq-public": True}  # no account needed (tests/quality/test_security.py)
router = APIRouter(prefix="/citizens", tags=["citizens"])
DEVICE_COOKIE = "qaldyq_device"
GEOJSON = "application/geo+json"


def public(principal: Principal | None = Depends(checked_principal)) -> Principal | None:
    """Declares an endpoint open to anyone (a logged-in caller is still identified for the audit)."""
    return principal


def device_id(request: Request) -> str:
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else secrets.token_urlsafe(18)


def set_device(response: Response, request: Request, device: str) -> None:
    if request.cookies.get(DEVICE_COOKIE) != device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=request.app.state.settings.secure_cookies)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def secret(request: Request) -> str:
    return request.app.state.settings.resolved_secret()


def private_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.public_base_url.rstrip('/')}/citizens/r/{token}"


def too_large_body(request: Request) -> None:
    """Refuse before reading when the declared body cannot fit the photo limits."""
    s = citizen_settings()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > s.max_photos * s.max_photo_bytes + 1024 * 1024:
        raise Problem(413, "too-large", "The request is too large.", "At most {n} photos of {mb} MB each.", n=s.max_photos,
                      mb=s.max_photo_bytes // (1024 * 1024))


def with_retry_after(request: Request, exc: Problem) -> JSONResponse:
    response = problem_response(request, exc)
    if exc.status == 429:
        response.headers["Retry-After"] = str(int(exc.params.get("minutes", 60)) * 60)
    return response


def photo_response(photo: ReportPhoto, thumb: bool, public_cache: bool = False) -> Response:
    headers = {"Cache-Control": "public, max-age=3600" if public_cache else "private, no-store", "Content-Disposition": "inline"}
    return Response(photo.thumb if thumb else photo.data, media_type=photo.content_type, headers=headers)


# --- open to anyone -------------------------------------------------------------------------

@router.get("/kinds", response_model=list[KindOut], openapi_extra=PUBLIC)
def kinds(_: Principal | None = Depends(public), db: Session = Depends(get_db)):
    """The kinds of violation a report can name."""
    return [KindOut(code=k.code, name_kk=k.name_kk, name_ru=k.name_ru, name_en=k.name_en) for k in service.kinds(db)]


@router.get("/workflow", response_model=list[TransitionRow], openapi_extra=PUBLIC)
def workflow_table(_: Principal | None = Depends(public)):
    """The status workflow as data: state, event, guard, next state, permission."""
    return [TransitionRow(state=t.state.value, event=t.event, next_state=t.next.value, permission=t.permission,
                          guard=t.guard.__name__ if t.guard else None, fields=list(t.fields)) for t in TRANSITIONS]


@router.get("/challenge", response_model=ChallengeOut, openapi_extra=PUBLIC)
def challenge(request: Request, _: Principal | None = Depends(public)):
    """A proof-of-work challenge for one report (see docs/citizens.md for the algorithm)."""
    s = citizen_settings()
    c = service.issue_challenge(secret(request), s)
    return ChallengeOut(challenge=c.challenge, bits=c.bits, issued_at=c.issued_at, expires_at=c.expires_at,
                        not_before=c.issued_at + timedelta(seconds=s.min_fill_seconds))


@router.post("/reports", response_model=SubmittedOut, status_code=201, openapi_extra={**forms.openapi_body(), **PUBLIC},
             responses={422: {"description": "Invalid field, outside Kazakhstan, bad photo, honeypot or proof of work"},
                        429: {"description": "Too many reports from this device or network"}})
async def submit(request: Request, response: Response, _: Principal | None = Depends(public), db: Session = Depends(get_db)):
    """Report an illegal dump or another violation (multipart form: the fields of `ReportIn` and
    up to 5 files `photos`). No account is needed; a proof of work, a minimum time since the
    challenge, a honeypot field and per-source rate limits keep floods out."""
    too_large_body(request)
    _fields, data, problem, uploads = await forms.read_report_form(request)
    if problem is not None:
        raise problem
    device = device_id(request)
    try:
        report, token = service.submit(db, data, uploads, source=Source(client_address(request), device), secret=secret(request),
                                       channel="api", locale=request_locale(request))
    except Problem as exc:
        if exc.status == 429:
            return with_retry_after(request, exc)
        raise
    db.commit()
    set_device(response, request, device)
    return SubmittedOut(number=report.number, status=report.status, region_kato=report.region_kato, region_source=report.region_source,
                        routed_to=present.routed_to(db, report, request_locale(request)), photos=len(report.photos),
                        private_token=token, private_url=private_url(request, token), created_at=report.created_at)


@router.get("/private/{token}", response_model=ReporterView, openapi_extra=PUBLIC)
def private_view(token: str, request: Request, _: Principal | None = Depends(public), db: Session = Depends(get_db)):
    """The reporter's view of their report: status and history, by the token from the submission."""
    return present.reporter(db, service.by_token(db, token), token, request_locale(request))


@router.get("/private/{token}/photos/{photo_id}", response_class=Response, openapi_extra=PUBLIC)
def private_photo(token: str, photo_id: int, thumb: bool = False, _: Principal | None = Depends(public), db: Session = Depends(get_db)):
    return photo_response(service.reporter_photo(db, token, photo_id, thumb), thumb)


def _status_param(status: str | None) -> str | None:
    if status is not None and status not in {s.value for s in Status}:
        raise invalid_param("status", "Unknown status {value}.", value=status)
    return status


@router.get("/public/reports", response_model=list[PublicReport], openapi_extra=PUBLIC)
def public_reports(_: Principal | None = Depends(public), db: Session = Depends(get_db),
                   kind: str | None = Query(default=None, max_length=32), status: str | None = Query(default=None, max_length=20),
                   region: str | None = Query(default=None, pattern=r"^\d{9}$"), since: date | None = None,
                   limit: int = Query(default=5000, ge=1, le=20000)):
    """Open data: reports without personal data (no description, no contact, location rounded to about 1 km)."""
    return [present.public(r) for r in service.public_reports(db, kind=kind, status=_status_param(status), region=region, since=since, limit=limit)]


@router.get("/public/reports.geojson", response_class=JSONResponse, responses={200: {"content": {GEOJSON: {}}}}, openapi_extra=PUBLIC)
def public_reports_geojson(_: Principal | None = Depends(public), db: Session = Depends(get_db),
                           kind: str | None = Query(default=None, max_length=32), status: str | None = Query(default=None, max_length=20),
                           region: str | None = Query(default=None, pattern=r"^\d{9}$"), since: date | None = None,
                           limit: int = Query(default=5000, ge=1, le=20000)):
    """The same as GeoJSON (RFC 7946), one Point feature per report."""
    reports = service.public_reports(db, kind=kind, status=_status_param(status), region=region, since=since, limit=limit)
    return JSONResponse(present.geojson(reports), media_type=GEOJSON)


@router.get("/public/collection-points.geojson", response_class=JSONResponse, responses={200: {"content": {GEOJSON: {}}}}, openapi_extra=PUBLIC)
def public_points(_: Principal | None = Depends(public), db: Session = Depends(get_db), region: str | None = Query(default=None, pattern=r"^\d{9}$")):
    """Active separate-collection points from the registry of sites, as GeoJSON."""
    return JSONResponse(present.points_geojson(collection_points(db, region)), media_type=GEOJSON)


@router.get("/public/summary", response_model=list[RegionCount], openapi_extra=PUBLIC)
def public_summary(_: Principal | None = Depends(public), db: Session = Depends(get_db)):
    """Reports per region and status (rejected ones included in the counts) and collection points per region."""
    counts = service.status_counts_by_region(db)
    points: dict[str, int] = {}
    for p in collection_points(db):
        points[p.region_kato] = points.get(p.region_kato, 0) + 1
    out = []
    for kato, _kind, kk, ru, en, _c in REGIONS:
        by = {s.value: counts.get(kato, {}).get(s.value, 0) for s in Status}
        out.append(RegionCount(region_kato=kato, region_name_kk=kk, region_name_ru=ru, region_name_en=en, by_status=by, total=sum(by.values()),
                               collection_points=points.get(kato, 0)))
    return out


@router.get("/public/photos/{photo_id}", response_class=Response, openapi_extra=PUBLIC)
def public_photo(photo_id: int, thumb: bool = False, _: Principal | None = Depends(public), db: Session = Depends(get_db)):
    """A photo of a verified report (never of one not yet verified or rejected, nor a hidden one)."""
    return photo_response(service.public_photo(db, photo_id, thumb), thumb, public_cache=True)


# --- moderation -----------------------------------------------------------------------------

@router.get("/reports", response_model=ReportPage)
def list_reports(request: Request, principal: Principal = Depends(require("citizens.read")), db: Session = Depends(get_db),
                 status: list[str] = Query(default=[]), kind: str | None = Query(default=None, max_length=32),
                 region: str | None = Query(default=None, pattern=r"^\d{9}$"), number: str | None = Query(default=None, max_length=20),
                 limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0)):
    """Reports in the caller's scope (an akimat or inspector: its region), newest first."""
    for s in status:
        _status_param(s)
    total, rows = service.list_reports(db, principal, status=status or None, kind=kind, region=region, number=number, limit=limit, offset=offset)
    return ReportPage(total=total, items=[present.row(r) for r in rows])


@router.get("/reports/{number}", response_model=ReportOut)
def get_report(number: str, request: Request, principal: Principal = Depends(require("citizens.read")), db: Session = Depends(get_db)):
    """One report with its photos, history and the actions the caller may take now."""
    return present.official(db, principal, service.get_report(db, principal, number), request_locale(request))


@router.post("/reports/{number}/events", response_model=ReportOut)
async def fire_event(number: str, request: Request, event: Annotated[str, Form(max_length=20)],
                     note: Annotated[str | None, Form(max_length=2000)] = None, reason_code: Annotated[str | None, Form(max_length=32)] = None,
                     reason: Annotated[str | None, Form(max_length=2000)] = None, scheduled_for: Annotated[date | None, Form()] = None,
                     region_kato: Annotated[str | None, Form(max_length=9)] = None, photo: Annotated[UploadFile | None, File()] = None,
                     principal: Principal = Depends(require("citizens.read")), db: Session = Depends(get_db)):
    """Move a report along the workflow (multipart form): `verify`, `forward` (region_kato),
    `reject` (reason_code, reason), `schedule` / `reschedule` (scheduled_for), `clean` (optional photo)."""
    up = await forms.read_upload(photo, "/photo") if photo is not None else None
    inp = EventInput(note=(note or "").strip() or None, reason_code=reason_code or None, reason=(reason or "").strip() or None,
                     scheduled_for=scheduled_for, region_kato=region_kato or None)
    report = service.fire(db, principal, number, event, inp, up)
    db.commit()
    return present.official(db, principal, report, request_locale(request))


@router.get("/reports/{number}/photos/{photo_id}", response_class=Response)
def official_photo(number: str, photo_id: int, thumb: bool = False, principal: Principal = Depends(require("citizens.read")),
                   db: Session = Depends(get_db)):
    return photo_response(service.official_photo(db, principal, number, photo_id, thumb), thumb)


@router.post("/reports/{number}/photos/{photo_id}/{action}", response_model=PhotoOut)
def hide_photo(number: str, photo_id: int, action: str, principal: Principal = Depends(require("citizens.verify")), db: Session = Depends(get_db)):
    """`hide` keeps a photo from the public (faces, number plates); `show` publishes it again."""
    if action not in ("hide", "show"):
        raise invalid("/action", "Unknown action {value}.", code="unknown-action", value=action)
    photo = service.set_photo_hidden(db, principal, number, photo_id, action == "hide")
    db.commit()
    return present.photo_out(photo, f"{present.API}/reports/{number}")
