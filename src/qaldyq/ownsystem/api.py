"""HTTP API of the own-system confirmation (Order 690). The period deadlines are public; every
other operation needs the `ownsystem.*` permission of the workflow actor (see permissions.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import request_locale
from qaldyq.core.i18n import translate
from qaldyq.ownsystem import deadlines as dl, service
from qaldyq.ownsystem.schemas import ApplicationIn, ApplicationOut, EventIn, PeriodDeadlines
from qaldyq.ownsystem.workflow import ACTOR_LABELS, EVENT_LABELS, STATUS_LABELS, TRANSITIONS

PUBLIC = {"x-qaldyq-public": True}  # no account needed (tests/quality/test_security.py)
router = APIRouter(tags=["ownsystem"])


def public(principal: Principal | None = Depends(checked_principal)) -> Principal | None:
    return principal


def _t(request: Request):
    loc = request_locale(request)
    return lambda msgid: translate(loc, msgid)


def period(db: Session, year: int, half: int) -> PeriodDeadlines:
    d = dl.period_deadlines(db, year, half)
    return PeriodDeadlines(year=year, half=half, **d)


@router.get("/ownsystem/deadlines", response_model=PeriodDeadlines, openapi_extra=PUBLIC,
            summary="D1 and D2 of a reporting half-year on the working-day calendar")
def deadlines(year: int = Query(...), half: int = Query(...), db: Session = Depends(get_db), _=Depends(public)):
    return period(db, year, half)


@router.get("/epr/own-system/deadlines", response_model=PeriodDeadlines, openapi_extra=PUBLIC, summary="Same as /ownsystem/deadlines (the path named in issue 6)")
def deadlines_alias(year: int = Query(...), half: int = Query(...), db: Session = Depends(get_db), _=Depends(public)):
    return period(db, year, half)


@router.get("/ownsystem/workflow", openapi_extra=PUBLIC, summary="The transition table (state, event, guard, next state, actor)")
def workflow(request: Request, _=Depends(public)):
    t = _t(request)
    return [{"state": r.state.value, "state_label": t(STATUS_LABELS[r.state]), "event": r.event, "event_label": t(EVENT_LABELS[r.event]),
             "guard": r.guard, "next": r.next.value if r.next else None, "actor": r.actor.value, "actor_label": t(ACTOR_LABELS[r.actor]),
             "point": r.point} for r in TRANSITIONS]


@router.post("/ownsystem/applications", response_model=ApplicationOut, status_code=201)
def create(data: ApplicationIn, request: Request, organization_id: int | None = Query(None), db: Session = Depends(get_db),
           principal: Principal = Depends(require("ownsystem.apply"))):
    app = service.create_application(db, principal, data, organization_id)
    out = service.present(db, app, principal, _t(request))
    db.commit()
    return out


@router.get("/ownsystem/applications", response_model=list[ApplicationOut])
def list_(request: Request, status: str | None = Query(None, max_length=24), year: int | None = Query(None, ge=2022, le=2100),
          half: int | None = Query(None, ge=1, le=2), db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    return [service.present(db, a, principal, _t(request)) for a in service.list_applications(db, principal, status, year, half)]


@router.get("/ownsystem/applications/{app_id}", response_model=ApplicationOut)
def get(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    return service.present(db, service.get_application(db, principal, app_id), principal, _t(request))


@router.put("/ownsystem/applications/{app_id}", response_model=ApplicationOut)
def update(app_id: int, data: ApplicationIn, request: Request, db: Session = Depends(get_db),
           principal: Principal = Depends(require("ownsystem.apply"))):
    app = service.update_application(db, principal, service.get_application(db, principal, app_id), data)
    out = service.present(db, app, principal, _t(request))
    db.commit()
    return out


@router.post("/ownsystem/applications/{app_id}/events", response_model=ApplicationOut)
def event(app_id: int, data: EventIn, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    """Fire one step of the workflow; the caller must hold the permission of the step's actor."""
    app = service.get_application(db, principal, app_id)
    if service.run_automatic(db, app):
        db.commit()  # the automatic outcome stands even if the caller's event is refused
    service.fire(db, app, principal, data)
    out = service.present(db, app, principal, _t(request))
    db.commit()
    return out
