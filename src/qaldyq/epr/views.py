"""Pages of the operator route: producers and importers (routes, declarations, invoices,
certificates), the operator (review, payments and the unmatched queue, arrears, certificates), the
ministry (totals with charts) and the public verification of a certificate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog import service as catalog
from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import Problem
from qaldyq.core.i18n import N_, Translator
from qaldyq.epr import service, xlsx
from qaldyq.epr.charts import bar_chart
from qaldyq.epr.exemptions import EXEMPTIONS
from qaldyq.epr.models import Declaration
from qaldyq.registry import service as registry
from qaldyq.registry.models import Organization
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("EPR declarations", "/epr", "epr.declare", order=40), NavItem("EPR operator", "/epr/operator", "epr.review", order=41),
       NavItem("EPR totals", "/epr/totals", "epr.stats", order=42)]


def _messages(exc: Problem, locale: str) -> list[str]:
    body = exc.body(locale)
    return [e["detail"] + (f" ({e['pointer']})" if e.get("pointer") else "") for e in body.get("errors", [])] or [body.get("detail") or body["title"]]


def _year(value: Any, default: int = 2024) -> int:
    try:
        y = int(value)
        return y if 2016 <= y <= 2100 else default
    except (TypeError, ValueError):
        return default


def _producer_context(db: Session, principal: Principal, **extra) -> dict[str, Any]:
    decs = service.declarations(db, principal)
    invs = {i.declaration_id: i for i in service.invoices(db, principal)}
    org = db.get(Organization, principal.org_id)
    is_producer = org is not None and any(r in org.role_names for r in service.EPR_ROLES)
    return {"registrations": service.registrations(db, principal), "declarations": decs, "invoices": invs, "is_producer": is_producer,
            "certificates": service.certificates(db, principal), "credit": service.credit(db, principal.org_id), "errors": [],
            "groups": sorted(service.product_groups(db, dt.date(2024, 12, 31))), "exemptions": list(EXEMPTIONS.values()), "form": {}, **extra}


@router.get("/epr")
def producer_page(request: Request, done: str | None = None, principal: Principal = Depends(require("epr.declare")), db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    flash = {"registered": _("The route is registered."), "declared": _("The declaration is submitted.")}.get(done or "")
    return render(request, "epr/producer.html", _producer_context(db, principal, flash=flash))


@router.post("/epr/register")
async def register(request: Request, principal: Principal = Depends(require("epr.register")), db: Session = Depends(get_db)):
    form = await request.form()
    try:
        service.register_route(db, principal, organization_id=None, product_group=str(form.get("product_group") or ""),
                               year=_year(form.get("year"), 0), route=str(form.get("route") or ""))
        db.commit()
    except Problem as exc:
        db.rollback()
        return render(request, "epr/producer.html", _producer_context(db, principal, errors=_messages(exc, request.state.locale)), status_code=exc.status)
    return RedirectResponse("/epr?done=registered", status_code=303)


def _form_line(form) -> dict[str, Any]:
    """One line from the declaration form (the same fields as the API's line)."""
    line: dict[str, Any] = {"kind": str(form.get("kind") or "product")}
    for k in ("hs_code", "material", "category", "vin", "mass_kg", "gross_mass_t", "power_hp"):
        v = str(form.get(k) or "").strip()
        if v:
            line[k] = v
    for k in ("quantity_units", "engine_cc"):
        v = str(form.get(k) or "").strip()
        if v:
            line[k] = int(v) if v.isdigit() else v
    if form.get("electric"):
        line["electric"] = True
    if form.get("exemption"):
        ev = {"kind": str(form.get("evidence_kind") or ""), "number": str(form.get("evidence_number") or "")}
        if form.get("recycled_percent"):
            ev["recycled_percent"] = str(form.get("recycled_percent"))
        line["exemption"] = {"code": str(form.get("exemption")), "evidence": [ev] if ev["kind"] else []}
    return line


def _dates(form) -> tuple[dt.date, dt.date]:
    try:
        return dt.date.fromisoformat(str(form.get("period_from"))), dt.date.fromisoformat(str(form.get("period_to")))
    except ValueError:
        raise Problem(422, "invalid", "The request is not valid.", "A date as YYYY-MM-DD.") from None


@router.post("/epr/declare")
async def declare(request: Request, principal: Principal = Depends(require("epr.declare")), db: Session = Depends(get_db)):
    form = await request.form()
    upload = form.get("file")
    try:
        start, end = _dates(form)
        if upload is not None and getattr(upload, "filename", ""):
            content = await upload.read()
            rows = service.read_table_file(content, upload.filename)
            lines = [xlsx.row_to_line(r) for r in rows]
            bad = service.check_lines(db, lines, end, principal.org_id)
            if bad:
                msgs = {i: "; ".join(_messages(p, request.state.locale)) for i, p in bad.items()}
                return Response(xlsx.error_workbook(rows, msgs), status_code=422, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                headers={"Content-Disposition": 'attachment; filename="declaration-errors.xlsx"'})
        else:
            lines = [_form_line(form)]
        dec = service.submit_declaration(db, principal, organization_id=None, period_from=start, period_to=end, lines=lines)
        db.commit()
    except Problem as exc:
        db.rollback()
        return render(request, "epr/producer.html", _producer_context(db, principal, errors=_messages(exc, request.state.locale), form=dict(form)),
                      status_code=exc.status)
    return RedirectResponse(f"/epr/declarations/{dec.id}", status_code=303)


@router.get("/epr/declarations/{declaration_id}")
def declaration_page(request: Request, declaration_id: int, principal: Principal = Depends(require("epr.read")), db: Session = Depends(get_db)):
    dec = service.get_declaration(db, principal, declaration_id)
    inv = service.invoice_for(db, dec.id)
    return render(request, "epr/declaration.html", {"dec": dec, "invoice": inv, "org": db.get(Organization, dec.organization_id),
                                                    "certificates": service.certificates(db, principal, inv.id) if inv else [],
                                                    "balance": service.balance(inv) if inv else None, "can_review": principal.can("epr.review")})


@router.post("/epr/declarations/{declaration_id}/review")
async def review(request: Request, declaration_id: int, principal: Principal = Depends(require("epr.review")), db: Session = Depends(get_db)):
    form = await request.form()
    try:
        service.review_declaration(db, principal, declaration_id, form.get("decision") == "accept", str(form.get("note") or "") or None)
        db.commit()
    except Problem:
        db.rollback()
        raise
    return RedirectResponse(f"/epr/declarations/{declaration_id}", status_code=303)


def _operator_context(db: Session, principal: Principal, year: int, **extra) -> dict[str, Any]:
    loc = extra.get("locale", "en")
    return {"submitted": service.declarations(db, principal, "submitted"), "unmatched": service.payments(db, principal, "unmatched"),
            "recent": service.payments(db, principal)[:20], "arrears": service.arrears(db, year, locale=loc),
            "certificates": service.certificates(db, principal)[:50], "year": year, "errors": [], "flash": None, "orgs": _org_names(db),
            "regions": {r.kato: getattr(r, f"name_{loc}") for r in registry.list_regions(db)}, **extra}


def _org_names(db: Session) -> dict[int, str]:
    ids = select(Declaration.organization_id).distinct()
    return {o.id: o.name_ru for o in db.scalars(select(Organization).where(Organization.id.in_(ids)))}


@router.get("/epr/operator")
def operator_page(request: Request, year: int = 2024, principal: Principal = Depends(require("epr.review")), db: Session = Depends(get_db)):
    return render(request, "epr/operator.html", _operator_context(db, principal, _year(year), locale=request.state.locale))


@router.post("/epr/operator/payments")
async def operator_payment(request: Request, principal: Principal = Depends(require("epr.review")), db: Session = Depends(get_db)):
    form = await request.form()
    _ = Translator(request.state.locale)
    try:
        upload = form.get("file")
        if upload is not None and getattr(upload, "filename", ""):
            out = service.import_statement(db, principal, await upload.read())
            flash = _("Statement: {matched} matched, {unmatched} to review, {duplicates} already registered.", matched=out.matched,
                      unmatched=out.unmatched, duplicates=out.duplicates)
        elif form.get("payment_id"):
            service.assign_payment(db, principal, int(str(form.get("payment_id"))), str(form.get("invoice_number") or ""))
            flash = _("The payment is assigned.")
        else:
            try:
                amount = Decimal(str(form.get("amount_kzt") or "").replace(",", "."))
                paid_on = dt.date.fromisoformat(str(form.get("paid_on")))
            except (InvalidOperation, ValueError):
                raise Problem(422, "invalid", "The request is not valid.", "Must be a number.") from None
            pay = service.record_payment(db, principal, service.PaymentIn(str(form.get("bank_reference") or ""), paid_on, amount,
                                                                          str(form.get("payer_bin") or ""), str(form.get("purpose") or ""),
                                                                          str(form.get("invoice_number") or "") or None))
            flash = _("The payment is matched.") if pay.status == "matched" else _("The payment matches no invoice; it is in the review queue.")
        db.commit()
    except Problem as exc:
        db.rollback()
        return render(request, "epr/operator.html", _operator_context(db, principal, 2024, locale=request.state.locale, errors=_messages(exc, request.state.locale)),
                      status_code=exc.status)
    return render(request, "epr/operator.html", _operator_context(db, principal, 2024, locale=request.state.locale, flash=flash))


@router.post("/epr/certificates/{number}/cancel")
async def cancel(request: Request, number: str, principal: Principal = Depends(require("epr.review")), db: Session = Depends(get_db)):
    form = await request.form()
    try:
        service.cancel_certificate(db, principal, number, str(form.get("reason") or ""))
        db.commit()
    except Problem as exc:
        db.rollback()
        return render(request, "epr/operator.html", _operator_context(db, principal, 2024, locale=request.state.locale, errors=_messages(exc, request.state.locale)),
                      status_code=exc.status)
    return RedirectResponse("/epr/operator", status_code=303)


@router.get("/epr/totals")
def totals_page(request: Request, year: int = 2024, principal: Principal = Depends(require("epr.stats")), db: Session = Depends(get_db)):
    data = service.totals(db, _year(year))
    loc = request.state.locale
    regions = {r.kato: getattr(r, f"name_{loc}") for r in registry.list_regions(db)}
    _, rows = catalog.list_rows(db, "product-groups", dt.date(_year(year), 12, 31), limit=1000)
    groups = {g.code: getattr(g, f"name_{loc}") for g in rows}
    _ = Translator(loc)
    groups.update({"vehicles": _("Vehicles"), "agricultural-machinery": _("Agricultural machinery")})
    return render(request, "epr/totals.html", {
        "t": data, "year": _year(year),
        "group_chart": bar_chart([(groups.get(g, g), v["invoiced"], v["paid"]) for g, v in data["by_product_group"].items()]),
        "region_chart": bar_chart([(regions.get(r, r), v["invoiced"], v["paid"]) for r, v in data["by_region"].items()]),
        "arrears": service.arrears(db, _year(year), locale=request.state.locale)})


@router.get("/epr/verify/{number}")
def verify_page(request: Request, number: str, db: Session = Depends(get_db), _p: Principal | None = Depends(checked_principal)):
    """Public: the page the QR code of a certificate points to."""
    try:
        info = service.certificate_subject(db, service.get_certificate(db, number))
    except Problem:
        info = None
    return render(request, "epr/verify.html", {"info": info, "number": number}, status_code=200 if info else 404)


# Words shown through `_(value)` in the templates, declared so that they are translated.
WORDS = [N_("submitted"), N_("accepted"), N_("rejected"), N_("open"), N_("partial"), N_("paid"), N_("vehicle"), N_("products"), N_("valid"),
         N_("cancelled")]
