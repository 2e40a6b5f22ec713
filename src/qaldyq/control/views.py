"""Pages for the operator and inspectors: findings with drill-down to the ledger transactions
and transfer documents, decisions, the inspection list and the map of sites by risk."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.control import mapsvg, service
from qaldyq.control.rules import default_rules
from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem, request_locale
from qaldyq.core.i18n import N_, Translator
from qaldyq.registry.regions import REGIONS
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem(N_("Control"), "/control", "control.read", order=70)]

SEVERITY_LABELS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
SEVERITY_BADGE = {"high": "bad", "medium": "warn", "low": ""}
STATUS_LABELS = {"open": N_("Open"), "acknowledged": N_("Acknowledged"), "dismissed": N_("Dismissed")}
RULE_LABELS = {
    "mass-balance": N_("Mass balance outside tolerance"), "capacity": N_("Processing above design capacity"),
    "certificate": N_("Weighing without a valid verification certificate"), "receipt-before-dispatch": N_("Receipt before dispatch"),
    "payload": N_("Load above the vehicle's payload"), "impossible-travel": N_("Vehicle in two places it could not reach in time"),
    "claim-above-ledger": N_("Claim above what the ledger shows"), "claim-outside-contract": N_("Claim outside the contract"),
    "round-weights": N_("Round weights repeated"), "identical-weights": N_("Identical weights repeated"),
    "sudden-jump": N_("Sudden jump against the site's history"),
}


def region_name(kato: str | None, locale: str) -> str:
    for r in REGIONS:
        if r[0] == kato:
            return {"kk": r[2], "ru": r[3]}.get(locale, r[4])
    return kato or "—"


def _ctx(request: Request) -> dict:
    locale = request_locale(request)
    return {"severity_labels": SEVERITY_LABELS, "severity_badge": SEVERITY_BADGE, "status_labels": STATUS_LABELS,
            "rule_labels": RULE_LABELS, "region_name": lambda k: region_name(k, locale)}


@router.get("/control")
def overview(request: Request, status: str = Query("open", pattern="^(open|acknowledged|dismissed|all)$"),
             region: str | None = Query(None, pattern=r"^\d{9}$"), principal: Principal = Depends(require("control.read")),
             db: Session = Depends(get_db)):
    _ = Translator(request_locale(request))
    findings = service.list_findings(db, principal, None if status == "all" else status)
    risk = service.risk_scores(db, principal, region)
    dots = [mapsvg.Dot(s.lat, s.lon, score, f"{s.name} · {score}", f"/control?site={s.id}") for s, score in service.site_risk(db, principal)]
    return render(request, "control/overview.html", {
        **_ctx(request), "findings": findings, "risk": risk, "status": status, "region": region,
        "regions": [(r[0], region_name(r[0], request_locale(request))) for r in REGIONS],
        "map": mapsvg.risk_map(dots, _("Sites by risk")), "rules": default_rules(), "can_run": principal.can("control.run"),
    })


@router.get("/control/findings/{finding_id}")
def finding(finding_id: int, request: Request, principal: Principal = Depends(require("control.read")), db: Session = Depends(get_db)):
    f = service.get_finding(db, principal, finding_id)
    return render(request, "control/finding.html", {**_ctx(request), "f": f, "can_decide": principal.can("control.decide")})


@router.post("/control/findings/{finding_id}/decision")
def decide(finding_id: int, request: Request, action: str = Form(...), reason: str = Form(""),
           principal: Principal = Depends(require("control.decide")), db: Session = Depends(get_db)):
    try:
        service.decide(db, principal, finding_id, action, reason)
    except Problem as exc:
        f = service.get_finding(db, principal, finding_id)
        body = exc.body(request_locale(request))
        return render(request, "control/finding.html", {**_ctx(request), "f": f, "can_decide": True,
                                                        "error": (body.get("errors") or [{}])[0].get("detail") or body["title"]}, status_code=422)
    db.commit()
    return RedirectResponse(f"/control/findings/{finding_id}", status_code=303)


@router.post("/control/run")
def run(request: Request, period_from: str = Form(...), period_to: str = Form(...), principal: Principal = Depends(require("control.run")),
        db: Session = Depends(get_db)):
    from datetime import date

    try:
        service.run(db, date.fromisoformat(period_from), date.fromisoformat(period_to))
    except (ValueError, Problem):
        return RedirectResponse("/control?status=open", status_code=303)
    db.commit()
    return RedirectResponse("/control?status=open", status_code=303)
