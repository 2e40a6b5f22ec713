"""HTTP API of the own-system confirmation (Order 690). The period deadlines are public; every
other operation needs the `ownsystem.*` permission of the workflow actor (see permissions.py)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import Field
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import invalid, not_found, request_locale
from qaldyq.core.i18n import N_, translate
from qaldyq.core.schemas import Strict
from qaldyq.catalog.service import today_almaty
from qaldyq.ownsystem import customs, deadlines as dl, documents, report, review, service, sla
from qaldyq.ownsystem.checklist import MAX_FILE_BYTES
from qaldyq.ownsystem.schemas import ApplicationIn, ApplicationOut, EventIn, PeriodDeadlines, PrefillOut
from qaldyq.ownsystem.workflow import ACTOR_LABELS, EVENT_LABELS, STATUS_LABELS, TRANSITIONS

PUBLIC = {"x-qaldyq-public": True}  # no account needed (tests/quality/test_security.py)
router = APIRouter(tags=["ownsystem"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


@router.get("/ownsystem/prefill", response_model=PrefillOut)
def prefill(year: int = Query(...), half: int = Query(...), organization_id: int | None = Query(None), db: Session = Depends(get_db),
            principal: Principal = Depends(require("ownsystem.apply"))):
    """What `prefill: true` puts in Sections A–C for a half-year: A and B from the ledger of the
    organization's sites, C from the customs feed, with the Section C sources per product group
    (customs imports, mass declared to the operator, route). Nothing is stored."""
    return service.prefill_preview(db, principal, year, half, organization_id)


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


# --- documents, review, report ---------------------------------------------------------------

def _meta(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise invalid("/meta", N_("Must be an object."), code="dict_type")
    return value


@router.get("/ownsystem/applications/{app_id}/documents")
def list_documents(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    app = service.get_application(db, principal, app_id)
    t = _t(request)
    return [{**r, "label": t(r["label"])} for r in documents.checklist(app)]


@router.post("/ownsystem/applications/{app_id}/documents", status_code=201)
async def upload(app_id: int, item: Annotated[str, Form(max_length=4)], file: UploadFile = File(...), meta: Annotated[str | None, Form()] = None,
                 db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    """A file for an item of the checklist; its type is recognised from the content."""
    app = service.get_application(db, principal, app_id)
    data = await file.read(MAX_FILE_BYTES + 1)
    doc = documents.add_file(db, principal, app, item, file.filename or "", data, _meta(meta))
    out = documents.doc_out(doc)
    db.commit()
    return out


class ReferenceIn(Strict):
    item: str = Field(min_length=1, max_length=4)
    ref: str = Field(min_length=1, max_length=40)
    meta: dict = Field(default_factory=dict)


@router.post("/ownsystem/applications/{app_id}/references", status_code=201)
def attach(app_id: int, data: ReferenceIn, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.apply"))):
    """A record already in Qaldyq: a transfer document by number or a weighing instrument by id."""
    app = service.get_application(db, principal, app_id)
    out = documents.doc_out(documents.add_reference(db, principal, app, data.item, data.ref, data.meta))
    db.commit()
    return out


class MarkIn(Strict):
    legible: bool | None = None
    conforms: bool | None = None
    note: str | None = Field(default=None, max_length=2000)


@router.post("/ownsystem/applications/{app_id}/documents/{doc_id}/mark")
def mark(app_id: int, doc_id: int, data: MarkIn, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.review"))):
    app = service.get_application(db, principal, app_id)
    out = documents.doc_out(documents.mark(db, principal, app, doc_id, data.legible, data.conforms, data.note))
    db.commit()
    return out


@router.get("/ownsystem/applications/{app_id}/documents/{doc_id}/file")
def download(app_id: int, doc_id: int, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    app = service.get_application(db, principal, app_id)
    doc = next((d for d in app.documents if d.id == doc_id and d.data is not None), None)
    if doc is None:
        raise not_found()
    return Response(doc.data, media_type=doc.content_type, headers={"Content-Disposition": f'attachment; filename="document-{doc.id}"'})


@router.get("/ownsystem/applications/{app_id}/review")
def review_results(app_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.review"))):
    """The rule set and cross-checks on this application, with the conclusion they suggest."""
    app = service.get_application(db, principal, app_id)
    results = review.evaluate(db, app)
    t = _t(request)
    out = {"results": [{**r, "label": t(r["label"])} for r in results], "suggested_conclusion": review.suggested_conclusion(results),
           "missing": documents.missing(app)}
    db.commit()  # the default rules are stored on first use
    return out


@router.get("/ownsystem/rules")
def list_rules(request: Request, db: Session = Depends(get_db), _: Principal = Depends(require("ownsystem.read"))):
    t = _t(request)
    out = [{"code": r.code, "label": t(review.SPECS[r.code].label), "params": r.params, "severity": r.severity, "active": r.active,
            "bounds": {k: [str(review.PARAMS[k][1]), str(review.PARAMS[k][2])] for k in r.params}} for r in review.rules(db)]
    db.commit()
    return out


class RuleIn(Strict):
    params: dict | None = None
    severity: str | None = Field(default=None, max_length=8)
    active: bool | None = None


@router.put("/ownsystem/rules/{code}")
def edit_rule(code: str, data: RuleIn, db: Session = Depends(get_db), _: Principal = Depends(require("ownsystem.decide"))):
    """The authorized body edits a substantive condition (parameters, severity, on/off)."""
    r = review.update_rule(db, code, data.params, data.severity, data.active)
    out = {"code": r.code, "params": r.params, "severity": r.severity, "active": r.active}
    db.commit()
    return out


@router.get("/ownsystem/applications/{app_id}/report.{fmt}")
def report_file(app_id: int, fmt: str, lang: str = Query("ru", pattern="^(kk|ru)$"), db: Session = Depends(get_db),
                principal: Principal = Depends(require("ownsystem.read"))):
    """The Appendix 2 report (Kazakh or Russian) as PDF or XLSX."""
    app = service.get_application(db, principal, app_id)
    if fmt == "pdf":
        return Response(report.pdf(app, lang), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{app.number}-app2-{lang}.pdf"'})
    if fmt == "xlsx":
        return Response(report.xlsx(app, lang), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{app.number}-app2-{lang}.xlsx"'})
    raise not_found()


@router.get("/ownsystem/sla")
def sla_board(request: Request, today: date | None = Query(None), db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    """What is due this week per actor and what is overdue (`today` for planning; default today in Almaty)."""
    b = sla.board(db, principal, today or today_almaty())
    t = _t(request)
    for v in b["actors"].values():
        for rows in v.values():
            for r in rows:
                r["label"] = t(r["label"])
    return b


@router.get("/ownsystem/notifications")
def notifications(request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.read"))):
    """Messages for the caller: its organization's (as applicant) and its role's (authority, operator)."""
    t = _t(request)
    return [{"id": n.id, "application_id": n.application_id, "actor": n.actor, "event": n.event, "label": t(EVENT_LABELS[n.event]),
             "created_at": n.created_at} for n in service.notifications_for(db, principal)]


@router.post("/ownsystem/applications/{app_id}/customs", response_model=ApplicationOut)
async def customs_import(app_id: int, request: Request, file: UploadFile = File(...), day: Annotated[date | None, Form()] = None,
                         db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.srb"))):
    """The state revenue bodies' answer as a CSV or XLSX file (see docs/ownsystem.md); records the `srb_answer` event."""
    app = service.get_application(db, principal, app_id)
    items = customs.parse(await file.read(2 * 1024 * 1024), file.filename)
    service.fire(db, app, principal, EventIn(event="srb_answer", day=day, srb_items=items))
    out = service.present(db, app, principal, _t(request))
    db.commit()
    return out


class FeedIn(Strict):
    day: date | None = None
    note: str | None = Field(default=None, max_length=4000)


@router.post("/ownsystem/applications/{app_id}/customs/feed", response_model=ApplicationOut)
def customs_feed(app_id: int, data: FeedIn, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("ownsystem.srb"))):
    """The state revenue bodies' answer taken from the customs feed in Qaldyq (the applicant's
    EPR imports in the half-year per product group); records the `srb_answer` event."""
    app = service.get_application(db, principal, app_id)
    service.fire(db, app, principal, EventIn(event="srb_answer", day=data.day, note=data.note, srb_items=customs.from_feed(db, app)))
    out = service.present(db, app, principal, _t(request))
    db.commit()
    return out
