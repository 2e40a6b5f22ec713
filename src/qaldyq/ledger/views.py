"""Pages: the sites a user may see, a site's balances and movements, recording events (signed
with the key held for the user), the mass-balance report, a transaction and its chain of custody."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem, pydantic_field_errors
from qaldyq.core.i18n import N_, Translator
from qaldyq.ledger import chain as chain_mod
from qaldyq.ledger import events, reports
from qaldyq.ledger.api import readable_site, readable_transaction
from qaldyq.ledger.charts import mass_balance_svg
from qaldyq.ledger.schemas import DisposalIn, ExportIn, GenerationIn, ProcessingIn, ReversalIn
from qaldyq.ledger.service import ACCOUNT_LABELS, KIND_LABELS
from qaldyq.ledger.sites import site_infos, visible_sites
from qaldyq.signing import service as signing
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Waste ledger", "/ledger", "ledger.read", order=40)]

PAGE = 50
LINE_LABELS = {
    "generated": N_("Generated"), "pickup": N_("Picked up (sent)"), "accepted": N_("Accepted"), "refused": N_("Refused, returned"), "returned": N_("Returned"),
    "input": N_("Processed (input)"), "output": N_("Output of processing"), "residue": N_("Residue of processing"), "loss": N_("Declared loss"),
    "disposed": N_("Disposed of"), "exported": N_("Exported"), "excess": N_("Sent (weighed above the estimate)"), "settled": N_("Left transit"), "shortfall": N_("Lost in transit"),
}
END_LABELS = {
    "origin": N_("Generated (origin)"), "disposal": N_("Disposed of"), "export": N_("Exported"), "product": N_("End-of-waste product"), "loss": N_("Declared loss"),
    "held": N_("Still held"), "unattributed": N_("Not attributable"), "generation": N_("Generated (origin)"), "transit": N_("In transit"),
}
SIMPLE_KINDS = {"generation": GenerationIn, "disposal": DisposalIn, "export": ExportIn}


def _base(request: Request, db: Session, principal: Principal) -> dict:
    return {"kind_labels": {k.value: v for k, v in KIND_LABELS.items()}, "line_labels": LINE_LABELS, "end_labels": END_LABELS,
            "account_labels": {k.value: v for k, v in ACCOUNT_LABELS.items()}, "t": reports.kg_to_t}


def _errors(exc: Exception, locale: str) -> list[str]:
    _ = Translator(locale)
    if isinstance(exc, ValidationError):
        return [f"{e.pointer or ''}: {_(e.msgid, **e.params)}".lstrip(": ") for e in pydantic_field_errors([{**x, "loc": ("body", *x["loc"])} for x in exc.errors(include_url=False)])]
    body = exc.body(locale)
    details = [f"{e.get('pointer') or e.get('parameter') or ''}: {e['detail']}".lstrip(": ") for e in body.get("errors", [])]
    return details or [body.get("detail") or body["title"]]


@router.get("/ledger")
def index(request: Request, q: str | None = Query(default=None, max_length=100), page: int = Query(default=1, ge=1, le=10_000),
          principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    sites = visible_sites(db, principal, q, PAGE + 1, (page - 1) * PAGE)
    return render(request, "ledger/index.html", {**_base(request, db, principal), "sites": sites[:PAGE], "more": len(sites) > PAGE, "q": q or "", "page": page})


def _site_context(request: Request, db: Session, principal: Principal, site_id: int, at: date | None, date_from: date | None, date_to: date | None,
                  waste_code: str | None, page: int) -> dict:
    info = readable_site(db, principal, site_id)
    balances = reports.balances(db, site_id, at)
    moves, total = reports.movements(db, site_id, date_from, date_to, waste_code or None, PAGE, (page - 1) * PAGE)
    can_write = principal.can("ledger.write") and info.organization_id == principal.org_id
    return {
        **_base(request, db, principal), "site": info, "balances": balances, "total_kg": sum(b.balance_kg for b in balances), "at": at,
        "movements": moves, "moves_total": total, "page": page, "pages": max(1, -(-total // PAGE)), "date_from": date_from, "date_to": date_to,
        "waste_code": waste_code or "", "can_write": can_write, "form_key": uuid.uuid4().hex, "today": reports.local_today(),
        "held": signing.held_certificate(db, principal.user_id) if can_write else None, "form": {}, "errors": [],
    }


@router.get("/ledger/sites/{site_id}")
def site_page(request: Request, site_id: int, at: date | None = Query(default=None), date_from: date | None = Query(default=None),
              date_to: date | None = Query(default=None), waste_code: str | None = Query(default=None, max_length=32),
              page: int = Query(default=1, ge=1, le=100_000), principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    if date_from and date_to:
        reports.check_period(date_from, date_to)
    return render(request, "ledger/site.html", _site_context(request, db, principal, site_id, at, date_from, date_to, waste_code, page))


def _form_dict(form) -> dict:
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in form.items() if k != "csrf_token"}


def _int(value: str | None):
    """Form numbers: whole kilograms; anything else goes through as text so validation names it."""
    if value is None or value == "":
        return None
    try:
        return int(value.replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        return value


def _event_body(kind: str, site_id: int, f: dict) -> BaseModel:
    common = {"idempotency_key": f.get("idempotency_key") or uuid.uuid4().hex, "site_id": site_id, "note": f.get("note") or None}
    if f.get("ref_id"):
        common["reference"] = {"type": f.get("ref_type") or "journal", "id": f["ref_id"]}
    if kind == "processing":
        rows = lambda prefix: [i for i in range(10) if f.get(f"{prefix}_code_{i}") or f.get(f"{prefix}_kg_{i}")]  # noqa: E731
        return ProcessingIn.model_validate({
            **common, "operation": f.get("operation") or None, "loss_kg": _int(f.get("loss_kg")) or 0,
            "inputs": [{"waste_code": f.get(f"in_code_{i}", ""), "mass_kg": _int(f.get(f"in_kg_{i}"))} for i in rows("in")],
            "outputs": [{"kind": f.get(f"out_kind_{i}") or "waste", "code": f.get(f"out_code_{i}", ""), "mass_kg": _int(f.get(f"out_kg_{i}"))} for i in rows("out")],
            "residues": [{"waste_code": f.get(f"res_code_{i}", ""), "mass_kg": _int(f.get(f"res_kg_{i}"))} for i in rows("res")],
        })
    model = SIMPLE_KINDS[kind]
    data = {**common, "waste_code": f.get("waste_code", ""), "mass_kg": _int(f.get("mass_kg"))}
    if kind == "disposal":
        data["operation"] = f.get("operation") or None
    if kind == "export":
        data["country"] = f.get("country", "")
    return model.model_validate(data)


@router.post("/ledger/sites/{site_id}/record")
async def record(request: Request, site_id: int, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    """Record an event from a form; the server signs it with the key it holds for the user."""
    f = _form_dict(await request.form())
    kind = f.get("kind", "")
    try:
        if kind not in (*SIMPLE_KINDS, "processing"):
            raise Problem(422, "invalid", "The request is not valid.", "Choose what to record.")
        body = _event_body(kind, site_id, f)
        rec = events.record(db, principal, kind, body)
        db.commit()
    except (Problem, ValidationError) as exc:
        db.rollback()
        ctx = _site_context(request, db, principal, site_id, None, None, None, None, 1)
        ctx.update(form=f, errors=_errors(exc, request.state.locale), open_form=kind, form_key=f.get("idempotency_key") or ctx["form_key"])
        return render(request, "ledger/site.html", ctx, status_code=exc.status if isinstance(exc, Problem) else 422)
    return RedirectResponse(f"/ledger/transactions/{rec.posting.transaction_id}?recorded=1", status_code=303)


@router.get("/ledger/sites/{site_id}/mass-balance")
def mass_balance_page(request: Request, site_id: int, date_from: date | None = Query(default=None), date_to: date | None = Query(default=None),
                      principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    readable_site(db, principal, site_id)
    today = reports.local_today()
    if date_from is None or date_to is None:  # default: the current half-year, as Order 690 reports
        date_from = date(today.year, 1 if today.month <= 6 else 7, 1)
        date_to = today
    reports.check_period(date_from, date_to)
    mb = reports.mass_balance(db, site_id, date_from, date_to)
    return render(request, "ledger/mass_balance.html", {**_base(request, db, principal), "mb": mb, "svg": mass_balance_svg(mb, request.state.locale)})


@router.get("/ledger/transactions/{transaction_id}")
def transaction_page(request: Request, transaction_id: int, recorded: int | None = Query(default=None),
                     principal: Principal = Depends(require("ledger.read")), db: Session = Depends(get_db)):
    return render(request, "ledger/transaction.html", _transaction_context(request, db, principal, transaction_id, recorded))


def _transaction_context(request: Request, db: Session, principal: Principal, transaction_id: int, recorded=None) -> dict:
    detail = readable_transaction(db, principal, transaction_id)
    names = site_infos(db, detail.site_ids)
    chain = chain_mod.chain_of_custody(db, transaction_id)
    sigs = events.signatures(db, transaction_id)
    checks = {s.id: signing.check_stored(db, s) for s in sigs}
    site = names.get(detail.site_id)
    can_reverse = (detail.kind in events.REVERSIBLE and detail.reversed_by_id is None and site is not None
                   and principal.can("ledger.write") and site.organization_id == principal.org_id)
    _ = Translator(request.state.locale)
    return {**_base(request, db, principal), "tx": detail, "names": names, "chain": chain, "signatures": sigs, "checks": checks,
            "can_reverse": can_reverse, "form_key": uuid.uuid4().hex, "errors": [],
            "flash": _("Recorded and signed.") if recorded else None}


@router.post("/ledger/transactions/{transaction_id}/reverse")
async def reverse(request: Request, transaction_id: int, principal: Principal = Depends(require("ledger.write")), db: Session = Depends(get_db)):
    f = _form_dict(await request.form())
    try:
        body = ReversalIn.model_validate({"idempotency_key": f.get("idempotency_key") or uuid.uuid4().hex, "reason": f.get("reason", "")})
        rec = events.reverse(db, principal, transaction_id, body)
        db.commit()
    except (Problem, ValidationError) as exc:
        db.rollback()
        ctx = _transaction_context(request, db, principal, transaction_id)
        ctx.update(errors=_errors(exc, request.state.locale))
        return render(request, "ledger/transaction.html", ctx, status_code=exc.status if isinstance(exc, Problem) else 422)
    return RedirectResponse(f"/ledger/transactions/{rec.posting.transaction_id}?recorded=1", status_code=303)


def _ledger_dt(value) -> str:
    """A UTC time shown in Asia/Almaty."""
    return value.astimezone(reports.LOCAL).strftime("%Y-%m-%d %H:%M") if value else ""


from qaldyq.web import templates  # noqa: E402

templates.env.filters.setdefault("ledger_dt", _ledger_dt)
