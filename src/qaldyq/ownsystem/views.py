"""Pages of the own-system confirmation: each actor's queue with its SLA (applicant: its own
applications; authorized body and operator: what waits for them), and an application page with
Appendix 1, the deadlines, the documents, the history and the actions the viewer may take."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.catalog.service import today_almaty
from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem, request_locale
from qaldyq.core.i18n import N_, Translator, translate
from qaldyq.ownsystem import documents, service, sla
from qaldyq.ownsystem.schemas import EventIn
from qaldyq.ownsystem.workflow import ACTOR_LABELS, EVENT_LABELS, STATUS_LABELS, Actor
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem(N_("Own-system EPR"), "/ownsystem", "ownsystem.read", order=40)]
ALMATY = ZoneInfo("Asia/Almaty")


def local_dt(at: datetime) -> str:
    return at.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")


BADGE = {"met": "ok", "late": "warn", "overdue": "bad", "open": "", "pending": ""}
COLUMN_LABELS = {"opening_t": N_("Balance at the beginning of the half-year, t"), "collected_t": N_("Collected in the half-year, t"),
                 "closing_t": N_("Balance at the end of the half-year, t"), "recycled_t": N_("Recycled, t")}
STATE_LABELS = {"met": N_("Met"), "late": N_("Met late"), "overdue": N_("Overdue"), "open": N_("Open"), "pending": N_("Not started")}


def my_actor(principal: Principal) -> Actor:
    return {"authority": Actor.AUTHORITY, "operator": Actor.OPERATOR}.get(principal.role.value, Actor.APPLICANT)


@router.get("/ownsystem")
def queue(request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    today = today_almaty()
    t = Translator(request_locale(request))
    apps = service.list_applications(db, principal)
    rows = [{"app": a, "allowed": service.allowed_events(db, a, principal, today)} for a in apps]
    actor = my_actor(principal)
    board = sla.board(db, principal, today)
    return render(request, "ownsystem/queue.html", {
        "to_act": [r for r in rows if r["allowed"]], "rows": rows, "board": board["actors"][actor.value], "week": board,
        "actor_label": t(ACTOR_LABELS[actor]), "status_labels": STATUS_LABELS, "today": today,
    })


def _detail(request: Request, db: Session, principal: Principal, app_id: int, error: str | None = None, flash: str | None = None):
    app = service.get_application(db, principal, app_id)
    locale = request_locale(request)
    data = service.present(db, app, principal, lambda s: translate(locale, s))
    return render(request, "ownsystem/detail.html", {
        "a": data, "checklist": documents.checklist(app), "event_labels": EVENT_LABELS, "badge": BADGE, "error": error, "flash": flash,
        "actor_labels": ACTOR_LABELS, "today": today_almaty(), "state_labels": STATE_LABELS, "local_dt": local_dt, "column_labels": COLUMN_LABELS,
    }, status_code=422 if error else 200)


@router.get("/ownsystem/applications/{app_id}")
def detail(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    return _detail(request, db, principal, app_id)


@router.post("/ownsystem/applications/{app_id}/act")
def act(app_id: int, request: Request, event: str = Form(..., max_length=32), day: str = Form("", max_length=10),
        incoming_number: str = Form("", max_length=40), reasons: str = Form("", max_length=8000), conclusion: str = Form("", max_length=12),
        db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    locale = request_locale(request)
    try:
        when = date.fromisoformat(day) if day else None
        inp = EventIn(event=event, day=when, incoming_number=incoming_number or None, reasons=reasons or None,
                      conclusion=conclusion or None)
        app = service.get_application(db, principal, app_id)
        if service.run_automatic(db, app):
            db.commit()
        service.fire(db, app, principal, inp)
        db.commit()
    except Problem as p:
        msg = p.errors[0].msgid if p.errors else (p.detail or p.title)
        params = p.errors[0].params if p.errors else p.params
        return _detail(request, db, principal, app_id, error=translate(locale, msg, **params))
    except ValueError:
        return _detail(request, db, principal, app_id, error=translate(locale, "Must be a date (YYYY-MM-DD)."))
    return RedirectResponse(f"/ownsystem/applications/{app_id}?done={event}", status_code=303)
