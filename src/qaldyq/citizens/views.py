"""Pages of the citizen channel: the report form and the reporter's private page (no account),
the public map, and the akimat's moderation queue with HTMX actions."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.citizens import forms, mapsvg, service
from qaldyq.citizens.api import client_address, device_id, secret, set_device, too_large_body
from qaldyq.citizens.config import citizen_settings
from qaldyq.citizens.directory import collection_points, organization_ref
from qaldyq.citizens.floods import Source
from qaldyq.citizens.places import nearest_region, region_centres, region_name
from qaldyq.citizens.workflow import (
    EVENT_LABELS, MAIN_PATH, OPEN_STATES, REJECT_REASONS, STATUS_BADGE, STATUS_LABELS, EventInput, Status, from_state,
)
from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import Problem, request_locale
from qaldyq.core.i18n import Translator
from qaldyq.core.roles import Scope
from qaldyq.registry.regions import REGIONS
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)

NAV = [
    NavItem("Report a dump", "/citizens/submit", "public", order=80),
    NavItem("Map of reports", "/citizens/map", "public", order=81),
    NavItem("Citizen reports", "/citizens/reports", "citizens.read", order=82),
]


def _common(request: Request, db: Session) -> dict:
    locale = request_locale(request)
    return {
        "kinds": service.kind_names(db, locale),
        "regions": [(r[0], region_name(r[0], locale)) for r in REGIONS],
        "region_names": {r[0]: region_name(r[0], locale) for r in REGIONS},
        "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
        "badges": {s.value: b for s, b in STATUS_BADGE.items()},
        "event_labels": EVENT_LABELS,
        "reject_reasons": REJECT_REASONS,
        "local_date": service.local_date,
        "local_dt": lambda at: at.astimezone(service.LOCAL_TZ).strftime("%d.%m.%Y %H:%M"),
    }


# --- reporting (no account) -----------------------------------------------------------------

def _form_page(request: Request, db: Session, values: dict | None = None, problem: Problem | None = None, status_code: int = 200):
    s = citizen_settings()
    locale = request_locale(request)
    _ = Translator(locale)
    challenge = service.issue_challenge(secret(request), s)
    errors: dict[str, str] = {}
    summary = None
    if problem is not None:
        body = problem.body(locale)
        summary = body.get("detail") or body["title"]
        for e in body.get("errors", []):
            name = (e.get("pointer") or "/").strip("/").split("/")[0] or "form"
            errors.setdefault(name, e["detail"])
    m = mapsvg.country_map(locale, _("Map of Kazakhstan: click to place the report"))
    device = device_id(request)
    response = render(request, "citizens/report_form.html", {
        **_common(request, db), "challenge": challenge, "values": values or {}, "errors": errors, "summary": summary, "limits": s,
        "map": m, "centres_json": json.dumps(region_centres(), ensure_ascii=False),
    }, status_code=status_code)
    set_device(response, request, device)
    return response


@router.get("/citizens/submit")
def report_form(request: Request, viewer: Principal | None = Depends(checked_principal), db: Session = Depends(get_db)):
    return _form_page(request, db)


@router.post("/citizens/submit")
async def report_submit(request: Request, viewer: Principal | None = Depends(checked_principal), db: Session = Depends(get_db)):
    too_large_body(request)
    fields, data, problem, uploads = await forms.read_report_form(request)
    if problem is None:
        device = device_id(request)
        try:
            report, token = service.submit(db, data, uploads, source=Source(client_address(request), device), secret=secret(request),
                                           channel="web", locale=request_locale(request))
        except Problem as exc:
            db.rollback()
            problem = exc
        else:
            db.commit()
            response = RedirectResponse(f"/citizens/r/{token}?new=1", status_code=303)
            set_device(response, request, device)
            return response
    fields.pop("pow_nonce", None)
    fields.pop("pow_challenge", None)
    return _form_page(request, db, fields, problem, status_code=problem.status)


@router.get("/citizens/r/{token}")
def private_page(token: str, request: Request, new: bool = False, viewer: Principal | None = Depends(checked_principal), db: Session = Depends(get_db)):
    report = service.by_token(db, token)
    locale = request_locale(request)
    _ = Translator(locale)
    m = mapsvg.country_map(locale, _("Location of the report"))
    mapsvg.add(m, report.lat, report.lon, "this", report.number)
    org = organization_ref(db, report.akimat_org_id)
    return render(request, "citizens/private.html", {
        **_common(request, db), "report": report, "token": token, "new": new, "map": m, "steps": MAIN_PATH,
        "routed_to": org.name(locale) if org else None,
        "private_url": f"{request.app.state.settings.public_base_url.rstrip('/')}/citizens/r/{token}",
    }, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@router.get("/citizens/track")
def track(request: Request, link: str | None = Query(default=None, max_length=300), viewer: Principal | None = Depends(checked_principal)):
    """Open a private page from a pasted link or token."""
    if link:
        token = link.strip().rstrip("/").split("/")[-1].split("?")[0]
        return RedirectResponse(f"/citizens/r/{token}", status_code=303)
    return render(request, "citizens/track.html")


# --- the public map -------------------------------------------------------------------------

@router.get("/citizens/map")
def public_map(request: Request, viewer: Principal | None = Depends(checked_principal), db: Session = Depends(get_db),
               kind: str | None = Query(default=None, max_length=32), status: str | None = Query(default=None, max_length=20),
               region: str | None = Query(default=None, max_length=9), points: bool = True):
    locale = request_locale(request)
    _ = Translator(locale)
    kind = kind or None
    status = status if status in {s.value for s in Status} else None
    region = region if region in {r[0] for r in REGIONS} else None
    reports = service.public_reports(db, kind=kind, status=status, region=region, limit=3000)
    kinds = service.kind_names(db, locale)
    m = mapsvg.country_map(locale, _("Map of reports and separate-collection points"))
    pts = collection_points(db, region) if points else []
    for p in pts:
        mapsvg.add(m, p.lat, p.lon, "point", f"{p.name} · {p.settlement}")
    for r in reports:
        mapsvg.add(m, service.rounded(r.lat), service.rounded(r.lon), r.status,
                   f"{r.number} · {kinds.get(r.kind, r.kind)} · {_(STATUS_LABELS[Status(r.status)])}", f"/citizens/map/{r.number}")
    counts = {s.value: 0 for s in Status}
    for per in service.status_counts_by_region(db).values() if not region else [service.status_counts_by_region(db).get(region, {})]:
        for st, n in per.items():
            counts[st] += n
    return render(request, "citizens/map.html", {
        **_common(request, db), "map": m, "reports": reports[:100], "shown": len(reports), "points": pts, "counts": counts,
        "filters": {"kind": kind, "status": status, "region": region, "points": points}, "rounded": service.rounded,
    })


@router.get("/citizens/map/{number}")
def public_report_page(number: str, request: Request, viewer: Principal | None = Depends(checked_principal), db: Session = Depends(get_db)):
    report = service.public_report(db, number)
    locale = request_locale(request)
    m = mapsvg.country_map(locale, Translator(locale)("Approximate location"))
    mapsvg.add(m, service.rounded(report.lat), service.rounded(report.lon), "this", report.number)
    public_photos = [p for p in report.photos if service.photo_is_public(report, p)]
    return render(request, "citizens/public_report.html", {**_common(request, db), "report": report, "map": m, "photos": public_photos,
                                                           "rounded": service.rounded})


# --- moderation -----------------------------------------------------------------------------

QUEUES = {"open": [s.value for s in OPEN_STATES], "all": None, **{s.value: [s.value] for s in Status}}


@router.get("/citizens/reports")
def queue(request: Request, principal: Principal = Depends(require("citizens.read")), db: Session = Depends(get_db),
          queue: str = Query(default="open", max_length=20), kind: str | None = Query(default=None, max_length=32),
          region: str | None = Query(default=None, max_length=9), number: str | None = Query(default=None, max_length=20),
          page: int = Query(default=1, ge=1, le=10000)):
    queue = queue if queue in QUEUES else "open"
    per_page = 50
    total, rows = service.list_reports(db, principal, status=QUEUES[queue], kind=kind or None, region=region or None, number=number or None,
                                       limit=per_page, offset=(page - 1) * per_page)
    counts = service.queue_counts(db, principal)
    return render(request, "citizens/queue.html", {
        **_common(request, db), "rows": rows, "total": total, "counts": counts, "queue": queue, "page": page, "pages": max(1, -(-total // per_page)),
        "filters": {"kind": kind, "region": region, "number": number}, "all_regions": principal.scope("citizens.read") is Scope.ALL,
        "open_count": sum(counts.get(s, 0) for s in QUEUES["open"]), "today": service.local_date(service.utcnow()).isoformat(),
    })


def _detail_context(request: Request, db: Session, principal: Principal, report, error: str | None = None, flash: str | None = None) -> dict:
    locale = request_locale(request)
    _ = Translator(locale)
    s = citizen_settings()
    m = mapsvg.country_map(locale, _("Location of the report"))
    mapsvg.add(m, report.lat, report.lon, "this", report.number)
    near = service.nearby(db, report, s.nearby_m, principal)
    local = mapsvg.local_map(report.lat, report.lon, max(s.nearby_m * 1.2, 300), _("Surroundings: other reports within {m} m", m=s.nearby_m))
    for other, _d in near:
        mapsvg.add(local, other.lat, other.lon, other.status, other.number, f"/citizens/reports/{other.number}")
    mapsvg.add(local, report.lat, report.lon, "this", report.number)
    org = organization_ref(db, report.akimat_org_id)
    return {
        **_common(request, db), "report": report, "map": m, "local": local, "nearby": near, "actions": service.allowed(principal, report),
        "can_hide": service.reaches(principal, "citizens.verify", report), "routed_to": org.name(locale) if org else None,
        "error": error, "action_flash": flash, "today": service.local_date(service.utcnow()).isoformat(), "nearest": nearest_region(report.lat, report.lon),
        "photo_public": service.photo_is_public, "all_transitions": from_state(report.status),
    }


@router.get("/citizens/reports/{number}")
def detail(number: str, request: Request, principal: Principal = Depends(require("citizens.read")), db: Session = Depends(get_db)):
    report = service.get_report(db, principal, number)
    return render(request, "citizens/detail.html", _detail_context(request, db, principal, report))


@router.post("/citizens/reports/{number}/events/{event}")
async def detail_event(number: str, event: str, request: Request, principal: Principal = Depends(require("citizens.read")),
                       db: Session = Depends(get_db), note: str | None = Form(default=None, max_length=2000),
                       reason_code: str | None = Form(default=None, max_length=32), reason: str | None = Form(default=None, max_length=2000),
                       scheduled_for: str | None = Form(default=None, max_length=10), region_kato: str | None = Form(default=None, max_length=9),
                       photo: UploadFile | None = None):
    """HTMX: fire an event and return the refreshed workflow panel (errors shown inside it)."""
    locale = request_locale(request)
    _ = Translator(locale)
    error = None
    try:
        when = None
        if scheduled_for:
            try:
                when = date.fromisoformat(scheduled_for)
            except ValueError:
                raise Problem(422, "validation", "The request is not valid.", "Must be a date (YYYY-MM-DD).") from None
        up = await forms.read_upload(photo, "/photo") if photo is not None else None
        inp = EventInput(note=(note or "").strip() or None, reason_code=reason_code or None, reason=(reason or "").strip() or None,
                         scheduled_for=when, region_kato=region_kato or None)
        report = service.fire(db, principal, number, event, inp, up)
        db.commit()
        flash = _("Done: {action}.", action=_(EVENT_LABELS.get(event, event)))
    except Problem as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        body = exc.body(locale)
        error = body.get("detail") or body["title"]
        report = service.get_report(db, principal, number)
        flash = None
    ctx = _detail_context(request, db, principal, report, error=error, flash=flash)
    template = "citizens/_workflow.html" if request.headers.get("hx-request") else "citizens/detail.html"
    return render(request, template, ctx, status_code=200 if request.headers.get("hx-request") or error is None else 422)


@router.post("/citizens/reports/{number}/photos/{photo_id}/{action}")
def detail_photo(number: str, photo_id: int, action: str, request: Request, principal: Principal = Depends(require("citizens.verify")),
                 db: Session = Depends(get_db)):
    if action not in ("hide", "show"):
        raise Problem(404, "not-found", "Not found.")
    photo = service.set_photo_hidden(db, principal, number, photo_id, action == "hide")
    db.commit()
    report = service.get_report(db, principal, number)
    if request.headers.get("hx-request"):
        return render(request, "citizens/_photo.html", {"report": report, "photo": photo, "can_hide": True, "photo_public": service.photo_is_public})
    return RedirectResponse(f"/citizens/reports/{number}", status_code=303)


