"""Pages: a waste organization's claims (from the ledger to payment), the operator's review,
payment registries with the bank export."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem, request_locale
from qaldyq.core.i18n import N_, Translator
from qaldyq.payouts import service
from qaldyq.payouts import workflow as wf
from qaldyq.payouts.models import PaymentRegistry
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem(N_("Payouts"), "/payouts", "payouts.read", order=60)]
OPERATION_LABELS = {"collection": N_("Collection"), "transportation": N_("Transportation"), "processing": N_("Processing"), "single": N_("Single rate")}


def _ctx(request: Request, principal: Principal) -> dict:
    return {"status_labels": wf.STATUS_LABELS, "status_badge": wf.STATUS_BADGE, "operation_labels": OPERATION_LABELS,
            "can_claim": principal.can("payouts.claim"), "can_review": principal.can("payouts.review"), "locale": request_locale(request)}


def _error(request: Request, exc: Problem) -> str:
    body = exc.body(request_locale(request))
    errs = body.get("errors") or []
    return errs[0]["detail"] if errs else body.get("detail") or body["title"]


@router.get("/payouts")
def claims(request: Request, operation: str | None = Query(None, pattern="^(collection|transportation|processing|single)$"),
           period_from: date | None = Query(None), period_to: date | None = Query(None),
           status: str | None = Query(None, pattern="^(draft|submitted|approved|rejected|paid)$"),
           principal: Principal = Depends(require("payouts.read")), db: Session = Depends(get_db)):
    """The claims and contracts; a link from "months not yet claimed" fills the form in."""
    values = {"operation": operation, "period_from": period_from.isoformat() if period_from else None,
              "period_to": period_to.isoformat() if period_to else None}
    return _claims_page(request, principal, db, values=values, status=status)


def _claims_page(request: Request, principal: Principal, db: Session, error: str | None = None, values: dict | None = None,
                 status_code: int = 200, status: str | None = None):
    can_claim = principal.can("payouts.claim") and principal.org_id is not None
    claims, contracts = service.list_claims(db, principal, status), service.list_contracts(db, principal)
    locale = request_locale(request)
    return render(request, "payouts/claims.html", {
        **_ctx(request, principal), "claims": claims, "contracts": contracts, "status": status,
        "org_names": service.org_names(db, {c.organization_id for c in [*claims, *contracts]}, locale),
        "category_names": service.category_names(db, locale),
        "open_months": service.unclaimed_months(db, principal.org_id) if can_claim else [], "error": error, "values": values or {},
    }, status_code=status_code)


@router.post("/payouts/claims")
def create_claim(request: Request, operation: str = Form(...), period_from: str = Form(...), period_to: str = Form(...),
                 principal: Principal = Depends(require("payouts.claim")), db: Session = Depends(get_db)):
    values = {"operation": operation, "period_from": period_from, "period_to": period_to}
    try:
        d1, d2 = date.fromisoformat(period_from), date.fromisoformat(period_to)
        c = service.create_claim(db, principal, organization_id=principal.org_id, operation=operation, period_from=d1, period_to=d2)
    except ValueError:
        db.rollback()
        return _claims_page(request, principal, db, Translator(request_locale(request))(N_("Enter valid dates.")), values, 422)
    except Problem as exc:
        db.rollback()
        return _claims_page(request, principal, db, _error(request, exc), values, 422)
    db.commit()
    return RedirectResponse(f"/payouts/claims/{c.id}", status_code=303)


@router.get("/payouts/claims/{claim_id}")
def claim(claim_id: int, request: Request, principal: Principal = Depends(require("payouts.read")), db: Session = Depends(get_db)):
    return _claim_page(claim_id, request, principal, db)


def _claim_page(claim_id: int, request: Request, principal: Principal, db: Session, error: str | None = None, status_code: int = 200):
    c = service.get_claim(db, principal, claim_id)
    actions = [a for (s, a), (_, perm) in wf.TRANSITIONS.items() if s == c.status and principal.can(perm) and a != "pay"]
    reg = db.get(PaymentRegistry, c.registry_id) if c.registry_id else None
    locale = request_locale(request)
    return render(request, "payouts/claim.html", {
        **_ctx(request, principal), "c": c, "actions": actions, "registry": reg, "error": error,
        "org_name": service.org_names(db, {c.organization_id}, locale).get(c.organization_id, "—"),
        "category_names": service.category_names(db, locale), "reversed": service.reversed_since(db, [x.transaction_id for x in c.lines]),
    }, status_code=status_code)


@router.post("/payouts/claims/{claim_id}/action")
def claim_action(claim_id: int, request: Request, action: str = Form(...), reason: str = Form(""),
                 principal: Principal = Depends(require("payouts.read")), db: Session = Depends(get_db)):
    try:
        if action == "registry":
            if not principal.can("payouts.review"):
                raise Problem(403, "forbidden", "You are not allowed to do this.")
            service.create_registry(db, [claim_id])
        elif action == "pay":
            c = service.get_claim(db, principal, claim_id)
            if not principal.can("payouts.review") or c.registry_id is None:
                raise Problem(403, "forbidden", "You are not allowed to do this.")
            service.pay_registry(db, principal, c.registry_id)
        else:
            service.transition(db, principal, claim_id, action, reason or None)
    except Problem as exc:
        db.rollback()
        return _claim_page(claim_id, request, principal, db, _error(request, exc), 422)
    db.commit()
    return RedirectResponse(f"/payouts/claims/{claim_id}", status_code=303)
