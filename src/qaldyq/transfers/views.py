"""Pages: the documents waiting for the caller's organization, a new draft, the document with the
one form its party needs now (vehicle, weighing, acceptance, operation) and the signing button
(the server signs with the key it holds for the user, and the page says so), and the public
verification page that the PDF's QR code opens."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog import service as catalog
from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem, pydantic_field_errors, render_field_error
from qaldyq.core.i18n import N_, Translator
from qaldyq.registry import service as registry
from qaldyq.registry.models import Organization, Site
from qaldyq.transfers import schemas as s
from qaldyq.transfers import service
from qaldyq.transfers.workflow import ACTION_LABELS, STATE_LABELS, Action, State
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem(N_("Transfer documents"), "/transfers", service.READ, order=20)]
RECEIVING_TYPES = ("collection_point", "sorting", "recycling", "storage", "landfill", "incineration", "transfer_station")
STEPS = {"vehicle", "weighing", "acceptance", "operation", "cancel"}


def _ctx(request: Request, **extra) -> dict[str, Any]:
    return {"STATE_LABELS": STATE_LABELS, "ACTION_LABELS": ACTION_LABELS, "FORM_LABELS": s.FORM_LABELS, "CONTAINER_LABELS": s.CONTAINER_LABELS, **extra}


@router.get("/transfers")
def list_page(request: Request, state: str | None = None, waiting: bool = False, q: str | None = None, page: int = 1,
              principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db)):
    page = max(page, 1)
    state = state if state in {s_.value for s_ in State} else None
    total, rows = service.list_documents(db, principal, state=state, waiting=waiting, q=(q or "")[:100] or None, limit=50, offset=(page - 1) * 50)
    names = _org_names(db, {o for d in rows for o in (d.consignor_org_id, d.receiver_org_id)})
    return render(request, "transfers/list.html", _ctx(request, rows=rows, total=total, page=page, pages=max(1, -(-total // 50)),
                                                        state=state, waiting=waiting, q=q or "", names=names, can_create=principal.can(service.WRITE)))


def _org_names(db: Session, ids) -> dict[int, str]:
    if not ids:
        return {}
    return {o.id: o.name_ru for o in db.scalars(select(Organization).where(Organization.id.in_(ids)))}


def _form_choices(db: Session, principal: Principal) -> dict[str, Any]:
    receivers = db.scalars(select(Site).where(Site.site_type.in_(RECEIVING_TYPES), Site.status == "active").order_by(Site.region_kato, Site.name).limit(1000)).all()
    return {
        "own_sites": registry.sites_of(db, principal.org_id),
        "receivers": receivers,
        "carriers": registry.organizations_with_role(db, "carrier"),
        "codes": catalog.waste_codes(db),
        "forms": s.PHYSICAL_FORMS, "operations": s.OPERATIONS, "containers": s.CONTAINER_TYPES, "hazards": s.HAZARD_PROPERTIES,
    }


@router.get("/transfers/new")
def new_page(request: Request, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    return render(request, "transfers/new.html", _ctx(request, **_form_choices(db, principal), values={}, errors={}))


def _errors(request: Request, exc: Problem | ValidationError) -> tuple[dict[str, str], str]:
    locale = request.state.locale
    if isinstance(exc, ValidationError):
        items = [render_field_error(e, locale) for e in pydantic_field_errors(exc.errors())]
        summary = Translator(locale)("The request is not valid.")
    else:
        items = exc.body(locale).get("errors", [])
        summary = exc.body(locale).get("detail") or exc.body(locale)["title"]
    by_field = {}
    for e in items:
        key = (e.get("pointer") or e.get("parameter") or "").lstrip("/").split("/")[0]
        by_field.setdefault(key, e["detail"])
    return by_field, summary


@router.post("/transfers/new")
async def create_page(request: Request, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    form = await request.form()
    values = {k: form.get(k, "") for k in ("consignor_site_id", "receiver_site_id", "carrier_org_id", "vehicle_id", "waste_code", "description",
                                           "physical_form", "container_type", "container_count", "declared_mass_kg", "mass_basis", "planned_operation")}
    values["hazard_properties"] = form.getlist("hazard_properties")
    try:
        body = s.TransferIn(
            consignor_site_id=values["consignor_site_id"] or 0, receiver_site_id=values["receiver_site_id"] or 0,
            legs=[{"carrier_org_id": values["carrier_org_id"] or 0, "vehicle_id": values["vehicle_id"] or None}],
            waste_code=values["waste_code"], description=values["description"], physical_form=values["physical_form"],
            hazard_properties=values["hazard_properties"], containers=[{"type": values["container_type"], "count": values["container_count"] or 0}],
            declared_mass_kg=values["declared_mass_kg"] or 0, mass_basis=values["mass_basis"], planned_operation=values["planned_operation"])
        doc = service.create_document(db, principal, body)
        db.commit()
    except (Problem, ValidationError) as exc:
        db.rollback()
        errors, summary = _errors(request, exc)
        return render(request, "transfers/new.html", _ctx(request, **_form_choices(db, principal), values=values, errors=errors, summary=summary),
                      status_code=422)
    return RedirectResponse(f"/transfers/{doc.number}?done=create", status_code=303)


def _detail(request: Request, db: Session, principal: Principal, number: str, status_code: int = 200, **extra):
    doc = service.get_document(db, principal, number)
    sites = {x.id: x for x in db.scalars(select(Site).where(Site.id.in_([doc.consignor_site_id, doc.receiver_site_id])))}
    names = _org_names(db, service.parties(doc))
    leg = service.next_leg(doc)
    allowed = service.allowed_actions(principal, doc)
    from qaldyq.registry.models import Vehicle, WeighingInstrument
    from qaldyq.signing import service as signing

    vehicles = db.scalars(select(Vehicle).where(Vehicle.organization_id == leg.carrier_org_id, Vehicle.status == "active").order_by(Vehicle.plate)).all() if leg and "sign_carrier" in allowed else []
    instruments = db.scalars(select(WeighingInstrument).where(WeighingInstrument.site_id == doc.receiver_site_id).order_by(WeighingInstrument.name)).all() if "receive" in allowed else []
    sigs = signing.signatures_for(db, service.DOCUMENT_TYPE, doc.number)
    plates = {v.id: v.plate for v in db.scalars(select(Vehicle).where(Vehicle.id.in_([l.vehicle_id for l in doc.legs if l.vehicle_id])))}
    return render(request, "transfers/detail.html", _ctx(
        request, doc=doc, sites=sites, names=names, allowed=allowed, next_leg=leg, vehicles=vehicles, instruments=instruments,
        signatures=sigs, plates=plates, versions=service.versions(db, doc), done=request.query_params.get("done"),
        now=_local_now(), errors=extra.pop("errors", {}), **extra), status_code=status_code)


def _local_now() -> str:
    from zoneinfo import ZoneInfo

    return datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%dT%H:%M")


@router.get("/transfers/{number}")
def detail_page(request: Request, number: str, principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db)):
    return _detail(request, db, principal, number)


@router.post("/transfers/{number}/step/{step}")
async def step_page(request: Request, number: str, step: str, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """Record the data of the caller's step; the signature is a separate, explicit click."""
    if step not in STEPS:
        raise Problem(404, "not-found", "Not found.")
    form = await request.form()
    f = {k: v for k, v in form.items() if k != "csrf_token"}
    try:
        version = int(f.get("expected_version") or 0)
        if step == "vehicle":
            service.set_leg_vehicle(db, principal, number, int(f.get("vehicle_id") or 0), version)
        elif step == "weighing":
            at = datetime.fromisoformat(f.get("weighed_at") or "").replace(tzinfo=None)
            from zoneinfo import ZoneInfo

            local = at.replace(tzinfo=ZoneInfo("Asia/Almaty"))
            service.record_weighing(db, principal, number, s.WeighingIn(instrument_id=f.get("instrument_id") or 0, gross_kg=f.get("gross_kg") or 0,
                                                                          tare_kg=f.get("tare_kg") or 0, weighed_at=local, expected_version=version))
        elif step == "acceptance":
            service.record_acceptance(db, principal, number, s.AcceptanceIn(accepted_kg=f.get("accepted_kg") or 0, refused_kg=f.get("refused_kg") or 0,
                                                                            refusal_reason=f.get("refusal_reason") or None, expected_version=version))
        elif step == "operation":
            service.record_processing(db, principal, number, s.ProcessingIn(operation_done=f.get("operation_done", ""), expected_version=version))
        elif step == "cancel":
            service.cancel(db, principal, number, s.CancelIn(reason=f.get("reason", ""), expected_version=version).reason, version)
        db.commit()
    except (Problem, ValidationError, ValueError) as exc:
        db.rollback()
        if isinstance(exc, ValueError) and not isinstance(exc, ValidationError):
            exc = Problem(422, "validation", "The request is not valid.", "Must be a date and time (ISO 8601).")
        errors, summary = _errors(request, exc)
        return _detail(request, db, principal, number, errors=errors, summary=summary, status_code=exc.status if isinstance(exc, Problem) else 422)
    return RedirectResponse(f"/transfers/{number}?done={step}", status_code=303)


@router.post("/transfers/{number}/sign/{action}")
def sign_page(request: Request, number: str, action: str, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    try:
        service.sign_with_held_key(db, principal, number, action)
        db.commit()
    except Problem as exc:
        db.rollback()
        errors, summary = _errors(request, exc)
        return _detail(request, db, principal, number, errors=errors, summary=summary, status_code=exc.status)
    return RedirectResponse(f"/transfers/{number}?done={action}", status_code=303)


@router.get("/transfers/{number}/verify")
def verify_page(request: Request, number: str, db: Session = Depends(get_db)):
    """Public: what the QR code on the printed document opens."""
    try:
        result = service.verify_document(db, number[:20])
    except Problem:
        result = None
    return render(request, "transfers/verify.html", _ctx(request, number=number[:20], result=result), status_code=200 if result else 404)
