"""HTTP API of the control engine: run the rules, findings, decisions, risk, rule-file check."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

from qaldyq.control import rules as rules_mod
from qaldyq.control import service
from qaldyq.control.schemas import DecisionIn, FindingOut, RiskOut, RunIn, RunOut
from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import invalid
from qaldyq.core.i18n import N_

router = APIRouter(prefix="/control", tags=["control"])


def finding_out(f) -> FindingOut:
    return FindingOut(id=f.id, rule_id=f.rule_id, source=f.source, severity=f.severity, organization_id=f.organization_id, site_id=f.site_id,
                      region_kato=f.region_kato, period_from=f.period_from, period_to=f.period_to, subject=f.subject, value=f.value,
                      limit=f.limit, evidence=f.evidence, status=f.status, reason=f.reason)


@router.get("/rules")
def rules(principal: Principal = Depends(require("control.read"))):
    return [{"id": r.id, "check": r.check, "severity": r.severity, "description": r.description, "params": p.model_dump(), "enabled": r.enabled}
            for r, p in rules_mod.default_rules()]


@router.post("/rules/validate")
def validate_rules(body: dict = Body(...), principal: Principal = Depends(require("control.run"))):
    """Check a rule file before it is deployed; refusals name the offending field."""
    parsed = rules_mod.parse_rules(body)
    return {"valid": True, "rules": [r.id for r, _ in parsed]}


@router.post("/runs", response_model=RunOut)
def run(body: RunIn, db: Session = Depends(get_db), principal: Principal = Depends(require("control.run"))):
    known = {r.id for r, _ in rules_mod.default_rules()}
    for i, rid in enumerate(body.rules or []):
        if rid not in known:
            raise invalid(f"/rules/{i}", N_("Unknown rule {rule}."), code="unknown-rule", rule=rid)
    res = service.run(db, body.period_from, body.period_to, only=set(body.rules) if body.rules else None)
    db.commit()
    return RunOut(found=res.found, new=res.new, by_rule=res.by_rule)


@router.get("/findings", response_model=list[FindingOut])
def findings(status: str | None = Query(None, max_length=16), rule: str | None = Query(None, max_length=40),
             organization_id: int | None = Query(None, gt=0), db: Session = Depends(get_db), principal: Principal = Depends(require("control.read"))):
    return [finding_out(f) for f in service.list_findings(db, principal, status, rule, organization_id)]


@router.get("/findings/{finding_id}", response_model=FindingOut)
def finding(finding_id: int, db: Session = Depends(get_db), principal: Principal = Depends(require("control.read"))):
    return finding_out(service.get_finding(db, principal, finding_id))


@router.post("/findings/{finding_id}/decision", response_model=FindingOut)
def decide(finding_id: int, body: DecisionIn, db: Session = Depends(get_db), principal: Principal = Depends(require("control.decide"))):
    f = service.decide(db, principal, finding_id, body.action, body.reason)
    db.commit()
    return finding_out(f)


@router.get("/risk", response_model=list[RiskOut])
def risk(region: str | None = Query(None, pattern=r"^\d{9}$"), db: Session = Depends(get_db), principal: Principal = Depends(require("control.read"))):
    return [RiskOut(**r.__dict__) for r in service.risk_scores(db, principal, region)]
