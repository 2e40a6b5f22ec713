"""The EPR operator-route API: registration, declarations, invoices, payments, certificates of
payment and the customs reconciliation. Certificate verification is public."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.config import get_settings
from qaldyq.core.errors import FieldError, Problem, forbidden, invalid
from qaldyq.core.i18n import N_, translate
from qaldyq.epr import service, xlsx
from qaldyq.epr.exemptions import EVIDENCE_LABELS, EXEMPTIONS
from qaldyq.epr.models import Declaration, Invoice
from qaldyq.epr.pdf import certificate_pdf
from qaldyq.epr.schemas import AssignIn, CancelIn, CustomsIn, DeclarationIn, PaymentBody, RegistrationIn, RegistrationOut, ReviewIn

PUBLIC = {"x-qaldyq-public": True}
MAX_UPLOAD = 10 * 1024 * 1024
router = APIRouter(tags=["epr"])


def locale(request: Request) -> str:
    return getattr(request.state, "locale", "en")


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def declaration_out(db: Session, dec: Declaration, loc: str) -> dict[str, Any]:
    inv = service.invoice_for(db, dec.id)
    return {"id": dec.id, "number": dec.number, "organization_id": dec.organization_id, "period_from": dec.period_from.isoformat(),
            "period_to": dec.period_to.isoformat(), "status": dec.status, "total_kzt": format(dec.total_kzt, "f"), "review_note": dec.review_note,
            "invoice": invoice_out(inv) if inv else None,
            "lines": [{"line_no": ln.line_no, "kind": ln.kind, "product_group": ln.product_group, "category": ln.category, "hs_code": ln.hs_code,
                       "quantity_units": ln.quantity_units, "mass_kg": plain(ln.mass_kg), "mass_source": ln.mass_source, "vin": ln.vin,
                       "attributes": ln.attributes, "exemption": ln.exemption, "evidence": ln.evidence, "amount_kzt": format(ln.amount_kzt, "f"),
                       "explanation": ln.explanation.get(loc) or ln.explanation.get("en"), "arithmetic": ln.arithmetic} for ln in dec.lines]}


def invoice_out(inv: Invoice) -> dict[str, Any]:
    return {"number": inv.number, "declaration_id": inv.declaration_id, "organization_id": inv.organization_id, "amount_kzt": format(inv.amount_kzt, "f"),
            "paid_kzt": format(inv.paid_kzt, "f"), "balance_kzt": format(service.balance(inv), "f"), "status": inv.status,
            "issued_at": inv.issued_at.isoformat()}


def payment_out(p) -> dict[str, Any]:
    return {"id": p.id, "bank_reference": p.bank_reference, "paid_on": p.paid_on.isoformat(), "amount_kzt": format(p.amount_kzt, "f"),
            "payer_bin": p.payer_bin, "purpose": p.purpose, "source": p.source, "status": p.status, "invoice_id": p.invoice_id}


async def _read(file: UploadFile) -> bytes:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise invalid("/file", N_("The file is larger than {mb} MB."), code="too-large", mb=10)
    return content


# --- registration ---------------------------------------------------------------------------

@router.post("/epr/registrations", status_code=201, response_model=RegistrationOut)
def register(body: RegistrationIn, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.register"))):
    """Choose the route (operator or own_system) for a product group and year; exclusive."""
    reg = service.register_route(db, principal, organization_id=body.organization_id, product_group=body.product_group,
                                 year=body.year, route=body.route)
    db.commit()
    return RegistrationOut(id=reg.id, organization_id=reg.organization_id, product_group=reg.product_group, year=reg.year, route=reg.route)


@router.get("/epr/registrations", response_model=list[RegistrationOut])
def list_registrations(organization_id: int | None = None, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    return [RegistrationOut(id=r.id, organization_id=r.organization_id, product_group=r.product_group, year=r.year, route=r.route)
            for r in service.registrations(db, principal, organization_id)]


@router.get("/epr/exemptions", openapi_extra=PUBLIC)
def exemptions(request: Request):
    """The eight exemptions of the EPR report §2.4 with the evidence each needs. Public."""
    loc = locale(request)
    return [{"code": e.code, "item": e.item, "label": translate(loc, e.label), "applies_to": list(e.kinds),
             "evidence": [{"kind": k, "label": translate(loc, EVIDENCE_LABELS[k])} for k in e.evidence],
             "min_recycled_percent": e.min_recycled_percent} for e in EXEMPTIONS.values()]


# --- declarations ---------------------------------------------------------------------------

@router.post("/epr/declarations", status_code=201)
def declare(body: DeclarationIn, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.declare"))):
    """Submit a declaration; every line is priced by the catalogue's calculators."""
    lines = [ln.model_dump(mode="json", exclude_none=True) for ln in body.lines]
    dec = service.submit_declaration(db, principal, organization_id=body.organization_id, period_from=body.period_from, period_to=body.period_to, lines=lines)
    db.commit()
    return declaration_out(db, dec, locale(request))


@router.post("/epr/declarations/xlsx", status_code=201)
async def declare_xlsx(request: Request, file: UploadFile = File(...), period_from: dt.date = Form(...), period_to: dt.date = Form(...),
                       error_file: bool = Query(False), db: Session = Depends(get_db), principal: Principal = Depends(require("epr.declare"))):
    """Declaration lines from an XLSX (columns of `xlsx.COLUMNS`). Any bad row refuses the file:
    problem+json pointing at /rows/{n}, or with ?error_file=true the rows back with an error column."""
    rows = service.read_table_file(await _read(file), file.filename or "x.xlsx")
    if not rows:
        raise invalid("/file", N_("The file has no rows."), code="empty-file")
    lines = [xlsx.row_to_line(r) for r in rows]
    org = service.producer(db, principal.org_id)
    if period_to < period_from:
        raise invalid("/period_to", N_("The end of the period is before its start."), code="dates-out-of-order")
    errors = service.check_lines(db, lines, period_to, org.id)
    if errors:
        loc = locale(request)
        if error_file:
            msgs = {i: "; ".join(e["detail"] for e in p.body(loc).get("errors", [])) or p.body(loc)["title"] for i, p in errors.items()}
            return Response(xlsx.error_workbook(rows, msgs), status_code=422,
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"Content-Disposition": 'attachment; filename="declaration-errors.xlsx"'})
        fields = []
        for i, p in errors.items():
            for e in p.errors or [FieldError(p.detail or p.title, params=p.params)]:
                fields.append(FieldError(e.msgid, pointer=f"/rows/{i + 2}" + (e.pointer or "").replace("/lines/0", ""), params=e.params, code=e.code))
        raise Problem(422, "invalid-rows", "The request is not valid.", N_("The file has errors; nothing was declared."), fields)
    dec = service.submit_declaration(db, principal, organization_id=None, period_from=period_from, period_to=period_to, lines=lines)
    db.commit()
    return declaration_out(db, dec, locale(request))


@router.get("/epr/declarations/template.xlsx")
def declaration_template(principal: Principal = Depends(require("epr.declare"))):
    return Response(xlsx.template_workbook(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="epr-declaration.xlsx"'})


@router.get("/epr/declarations")
def list_declarations(request: Request, status: str | None = None, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    return [declaration_out(db, d, locale(request)) for d in service.declarations(db, principal, status)]


@router.get("/epr/declarations/{declaration_id}")
def get_declaration(declaration_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    return declaration_out(db, service.get_declaration(db, principal, declaration_id), locale(request))


@router.post("/epr/declarations/{declaration_id}/review")
def review(declaration_id: int, body: ReviewIn, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    """The operator accepts a declaration (an invoice is issued) or rejects it with a reason."""
    dec = service.review_declaration(db, principal, declaration_id, body.accept, body.note)
    db.commit()
    return declaration_out(db, dec, locale(request))


# --- invoices and payments ------------------------------------------------------------------

@router.get("/epr/invoices")
def list_invoices(db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    return [invoice_out(i) for i in service.invoices(db, principal)]


@router.get("/epr/invoices/{number}")
def get_invoice(number: str, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    inv = service.get_invoice(db, principal, number)
    return {**invoice_out(inv), "credit_kzt": format(service.credit(db, inv.organization_id), "f"),
            "payments": [payment_out(p) for p in service.payments(db, principal) if p.invoice_id == inv.id],
            "certificates": [c.number for c in service.certificates(db, principal, inv.id)]}


@router.post("/epr/payments", status_code=201)
def add_payment(body: PaymentBody, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    """A payment registered by the operator; matched by invoice number and BIN, else queued."""
    pay = service.record_payment(db, principal, service.PaymentIn(body.bank_reference, body.paid_on, body.amount_kzt, body.payer_bin, body.purpose,
                                                                  body.invoice_number))
    db.commit()
    return payment_out(pay)


@router.post("/epr/payments/statement")
async def statement(file: UploadFile = File(...), db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    """A bank statement CSV: bank_reference, paid_on, amount_kzt, payer_bin, purpose (invoice number in it)."""
    out = service.import_statement(db, principal, await _read(file))
    db.commit()
    return {"matched": out.matched, "unmatched": out.unmatched, "duplicates": out.duplicates, "payments": out.payments}


@router.get("/epr/payments")
def list_payments(status: str | None = Query(None, pattern="^(matched|unmatched)$"), db: Session = Depends(get_db),
                  principal: Principal = Depends(require("epr.read"))):
    return [payment_out(p) for p in service.payments(db, principal, status)]


@router.post("/epr/payments/{payment_id}/assign")
def assign(payment_id: int, body: AssignIn, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    pay = service.assign_payment(db, principal, payment_id, body.invoice_number)
    db.commit()
    return payment_out(pay)


# --- certificates ---------------------------------------------------------------------------

@router.get("/epr/certificates")
def list_certificates(db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    return [{"number": c.number, "kind": c.kind, "status": c.status, "amount_kzt": format(c.amount_kzt, "f"), "invoice_id": c.invoice_id}
            for c in service.certificates(db, principal)]


@router.get("/epr/certificates/{number}", openapi_extra=PUBLIC)
def verify(number: str, db: Session = Depends(get_db), _: Principal | None = Depends(checked_principal)):
    """Public verification: whether the certificate is valid and what it is for. No private data
    beyond what the certificate itself shows (payer BIN and name, VIN or product masses)."""
    return service.certificate_subject(db, service.get_certificate(db, number))


@router.get("/epr/certificates/{number}/pdf")
def certificate_file(number: str, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.read"))):
    cert = service.get_certificate(db, number)
    if not service.visible(principal, cert.organization_id):
        raise service.not_found("Certificate {number} does not exist.", number=number)
    url = f"{get_settings().public_base_url.rstrip('/')}/epr/verify/{cert.number}"
    return Response(certificate_pdf(service.certificate_subject(db, cert), url), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})


@router.post("/epr/certificates/{number}/cancel")
def cancel(number: str, body: CancelIn, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    cert = service.cancel_certificate(db, principal, number, body.reason)
    db.commit()
    return service.certificate_subject(db, cert)


# --- customs reconciliation -----------------------------------------------------------------

@router.post("/epr/customs")
def customs(body: CustomsIn, db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    """Customs declaration lines from the state revenue bodies; a line loaded again is ignored."""
    out = service.load_customs(db, [ln.model_dump() for ln in body.lines], pointer="/lines")
    db.commit()
    return {"loaded": out.loaded, "ignored": out.ignored, "not_epr": out.not_epr}


@router.post("/epr/customs/file")
async def customs_file(file: UploadFile = File(...), db: Session = Depends(get_db), principal: Principal = Depends(require("epr.review"))):
    out = service.load_customs(db, service.read_table_file(await _read(file), file.filename))
    db.commit()
    return {"loaded": out.loaded, "ignored": out.ignored, "not_epr": out.not_epr}


@router.get("/epr/arrears")
def arrears(request: Request, year: int = Query(ge=2016, le=2100), region: str | None = None, product_group: str | None = None,
            db: Session = Depends(get_db), principal: Principal = Depends(require("epr.stats"))):
    """Importers with EPR goods imported in the year and nothing or too little paid."""
    rows = service.arrears(db, year, region, product_group, locale(request))
    return {"year": year, "total_due_kzt": format(sum((a.due_kzt or 0 for a in rows), Decimal("0.00")), "f"),
            "items": [plain(a.__dict__) for a in rows]}


@router.get("/epr/totals")
def totals(year: int = Query(ge=2016, le=2100), db: Session = Depends(get_db), principal: Principal = Depends(require("epr.stats"))):
    return plain(service.totals(db, year))
