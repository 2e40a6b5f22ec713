"""HTTP API of payouts: contracts, claims and their lifecycle, payment registries and bank export."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import request_locale
from qaldyq.payouts import service
from qaldyq.payouts.models import PayoutClaim, PayoutContract
from qaldyq.payouts.schemas import ActionIn, ClaimIn, ClaimOut, ContractIn, ContractOut, LineOut, RegistryIn, RegistryOut

router = APIRouter(prefix="/payouts", tags=["payouts"])


def contract_out(c: PayoutContract) -> ContractOut:
    return ContractOut(id=c.id, number=c.number, organization_id=c.organization_id, operations=c.operations, categories=c.categories,
                       valid_from=c.valid_from, valid_to=c.valid_to, status=c.status)


def claim_out(c: PayoutClaim, locale: str = "en", lines: bool = True) -> ClaimOut:
    return ClaimOut(
        id=c.id, number=c.number, organization_id=c.organization_id, contract_id=c.contract_id, operation=c.operation,
        period_from=c.period_from, period_to=c.period_to, status=c.status, mass_kg=c.mass_kg, amount_kzt=format(c.amount_kzt, "f"),
        reason=c.reason, registry_id=c.registry_id,
        lines=[LineOut(transaction_id=x.transaction_id, operation=x.operation, waste_code=x.waste_code, category=x.category, mass_kg=x.mass_kg,
                       effective_on=x.effective_on, reference=x.reference, rate_mrp=format(x.rate_mrp.normalize(), "f"),
                       amount_kzt=format(x.amount_kzt, "f"), explanation=x.explanation.get(locale) or x.explanation["en"])
               for x in c.lines] if lines else [])


@router.get("/contracts", response_model=list[ContractOut])
def contracts(db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.read"))):
    return [contract_out(c) for c in service.list_contracts(db, principal)]


@router.post("/contracts", response_model=ContractOut, status_code=201)
def create_contract(body: ContractIn, db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.review"))):
    c = service.create_contract(db, **body.model_dump())
    db.commit()
    return contract_out(c)


@router.get("/claims", response_model=list[ClaimOut])
def claims(status: str | None = Query(None, max_length=16), db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.read"))):
    return [claim_out(c, lines=False) for c in service.list_claims(db, principal, status)]


@router.post("/claims", response_model=ClaimOut, status_code=201)
def create_claim(body: ClaimIn, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.claim"))):
    c = service.create_claim(db, principal, **body.model_dump())
    db.commit()
    return claim_out(c, request_locale(request))


@router.get("/claims/{claim_id}", response_model=ClaimOut)
def claim(claim_id: int, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.read"))):
    return claim_out(service.get_claim(db, principal, claim_id), request_locale(request))


@router.post("/claims/{claim_id}/actions", response_model=ClaimOut)
def claim_action(claim_id: int, body: ActionIn, request: Request, db: Session = Depends(get_db),
                 principal: Principal = Depends(require("payouts.read"))):
    c = service.transition(db, principal, claim_id, body.action, body.reason)
    db.commit()
    return claim_out(c, request_locale(request))


def registry_out(r) -> RegistryOut:
    return RegistryOut(id=r.id, number=r.number, status=r.status, total_kzt=format(r.total_kzt, "f"))


@router.post("/registries", response_model=RegistryOut, status_code=201)
def create_registry(body: RegistryIn, db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.review"))):
    r = service.create_registry(db, body.claim_ids)
    db.commit()
    return registry_out(r)


@router.get("/registries/{registry_id}/export")
def export_registry(registry_id: int, format: str = Query("csv", pattern="^(csv|xlsx)$"), db: Session = Depends(get_db),
                    principal: Principal = Depends(require("payouts.review"))):
    data, media, name = service.export_registry(db, registry_id, format)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/registries/{registry_id}/pay", response_model=RegistryOut)
def pay_registry(registry_id: int, db: Session = Depends(get_db), principal: Principal = Depends(require("payouts.review"))):
    r = service.pay_registry(db, principal, registry_id)
    db.commit()
    return registry_out(r)
