"""Pages for the operator and inspectors: findings with drill-down to the ledger transactions,
transfer documents and claims, decisions, the inspection list per region and the map of sites
by risk."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq.control import mapsvg, service
from qaldyq.control.models import ControlFinding
from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem, request_locale
from qaldyq.core.i18n import N_, Translator
from qaldyq.core.roles import Scope
from qaldyq.payouts import service as payouts
from qaldyq.registry.regions import REGIONS
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem(N_("Control"), "/control", "control.read", order=70)]

SEVERITY_LABELS = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low")}
SEVERITY_BADGE = {"high": "bad", "medium": "warn", "low": ""}
STATUS_LABELS = {"open": N_("Awaiting decision"), "acknowledged": N_("Acknowledged"), "dismissed": N_("Dismissed")}
RULE_LABELS = {
    "mass-balance": N_("Mass balance outside tolerance"), "capacity": N_("Processing above design capacity"),
    "certificate": N_("Weighing without a valid verification certificate"), "receipt-before-dispatch": N_("Receipt before dispatch"),
    "payload": N_("Load above the vehicle's payload"), "impossible-travel": N_("Vehicle in two places it could not reach in time"),
    "claim-above-ledger": N_("Claim above what the ledger shows"), "claim-outside-contract": N_("Claim outside the contract"),
    "round-weights": N_("Round weights repeated"), "identical-weights": N_("Identical weights repeated"),
    "sudden-jump": N_("Sudden jump against the site's history"),
    "telemetry-suspected-dumping": N_("Suspected dumping (GPS)"), "telemetry-signal-gap": N_("GPS signal lost while moving"),
}
# what a rule's value and limit measure: (value label, limit label, value unit, limit unit); hours are shown in minutes
MEASURES = {
    "mass-balance": (N_("Inputs minus outputs, residues and loss"), N_("Tolerance"), "kg", "kg"),
    "capacity": (N_("Processed in the period"), N_("Design capacity for the period"), "kg", "kg"),
    "payload": (N_("Net mass carried"), N_("Payload of the vehicle"), "kg", "kg"),
    "impossible-travel": (N_("Time between the two take-overs"), None, "h", ""),
    "claim-above-ledger": (N_("Claimed"), N_("What the ledger shows"), "kg", "kg"),
    "claim-outside-contract": (N_("Claimed"), None, "kg", ""),
    "round-weights": (N_("Receipts in round figures"), N_("All receipts"), "", ""),
    "identical-weights": (N_("Receipts of this weight"), N_("Weight"), "", "kg"),
    "sudden-jump": (N_("Received in the month"), N_("Average of the months before"), "kg", "kg"),
    "telemetry-suspected-dumping": (N_("Duration of the stop"), None, "min", ""),
    "telemetry-signal-gap": (N_("Duration of the gap"), None, "min", ""),
}


def region_name(kato: str | None, locale: str) -> str:
    for r in REGIONS:
        if r[0] == kato:
            return {"kk": r[2], "ru": r[3]}.get(locale, r[4])
    return kato or "—"


def _num(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if abs(x) >= 100 or x == int(x) else f"{x:,.2f}".replace(",", " ")


def measure(f: ControlFinding, _) -> list[tuple[str, str]]:
    """The finding's value and limit as labelled figures in the units a reader expects."""
    value_label, limit_label, value_unit, limit_unit = MEASURES.get(f.rule_id, (N_("Value"), N_("Limit"), "", ""))

    def fmt(x: float, unit: str) -> str:
        minutes = x * 60 if unit == "h" else x
        if unit in ("h", "min") and minutes < 1:
            return _("{seconds} s", seconds=_num(round(minutes * 60, 1)))
        if unit in ("h", "min"):
            return _("{minutes} min", minutes=_num(minutes))
        return f"{_num(x)} {_('kg')}" if unit == "kg" else _num(x)

    out = []
    if f.value is not None:
        out.append((_(value_label), fmt(f.value, value_unit)))
    if f.limit is not None and limit_label:
        out.append((_(limit_label), fmt(f.limit, limit_unit)))
    return out


def _ctx(request: Request) -> dict:
    locale = request_locale(request)
    return {"severity_labels": SEVERITY_LABELS, "severity_badge": SEVERITY_BADGE, "status_labels": STATUS_LABELS,
            "rule_labels": RULE_LABELS, "region_name": lambda k: region_name(k, locale), "locale": locale,
            "org_name": lambda o: (o.name_kk if locale == "kk" else o.name_ru) if o is not None else "—"}


@router.get("/control")
def overview(request: Request, status: str = Query("open", pattern="^(open|acknowledged|dismissed|all)$"),
             region: str | None = Query(None, pattern=r"^(\d{9})?$"), site: int | None = Query(None, gt=0, le=2**31),
             organization_id: int | None = Query(None, gt=0, le=2**31), principal: Principal = Depends(require("control.read")),
             db: Session = Depends(get_db)):
    return _overview(request, principal, db, status, region or None, site, organization_id)


def _overview(request: Request, principal: Principal, db: Session, status: str = "open", region: str | None = None, site: int | None = None,
              organization_id: int | None = None, error: str | None = None, values: dict | None = None, status_code: int = 200):
    locale = request_locale(request)
    _ = Translator(locale)
    ctx = _ctx(request)
    findings = service.list_findings(db, principal, None if status == "all" else status, organization_id=organization_id,
                                     site_id=site, region=region)
    orgs, sites = service.names(db, findings)
    regional = principal.scope("control.read") is Scope.REGION
    dots = [mapsvg.Dot(s.lat, s.lon, score, f"{s.name} · {_('risk')} {score}", f"/control?status=all&site={s.id}#findings", s.name)
            for s, score in service.site_risk(db, principal, region)]
    centres = [(r[5][0], r[5][1], region_name(r[0], locale)) for r in REGIONS]
    filtered_by = None
    if site or organization_id:
        by_org, by_site = service.names_of(db, {organization_id} - {None}, {site} - {None})
        filtered_by = by_site[site].name if site in by_site else ctx["org_name"](by_org.get(organization_id))
    return render(request, "control/overview.html", {
        **ctx, "findings": findings, "orgs": orgs, "sites": sites, "risk": service.risk_scores(db, principal, region), "status": status,
        "region": region, "site": site, "organization_id": organization_id, "filtered_by": filtered_by, "regional": regional,
        "regions": [(r[0], region_name(r[0], locale)) for r in REGIONS], "error": error, "values": values or {},
        "map": mapsvg.risk_map(dots, _("Sites by risk"), centres, zoom=bool(region) or regional),
        "can_run": principal.can("control.run"),
    }, status_code=status_code)


def _finding_page(request: Request, db: Session, principal: Principal, finding_id: int, error: str | None = None, status_code: int = 200):
    f = service.get_finding(db, principal, finding_id)
    orgs, sites = service.names(db, [f])
    _ = Translator(request_locale(request))
    claims = [d for d in f.evidence.get("documents", []) if d.startswith("PC-")]
    claim_ids = payouts.claim_ids_by_number(db, claims) if claims else {}
    decided_by = service.decider(db, f)
    return render(request, "control/finding.html", {
        **_ctx(request), "f": f, "org": orgs.get(f.organization_id), "site": sites.get(f.site_id), "measures": measure(f, _),
        "claim_ids": claim_ids, "decided_by": decided_by, "can_decide": principal.can("control.decide"), "error": error,
    }, status_code=status_code)


@router.get("/control/findings/{finding_id}")
def finding(finding_id: int, request: Request, principal: Principal = Depends(require("control.read")), db: Session = Depends(get_db)):
    return _finding_page(request, db, principal, finding_id)


@router.post("/control/findings/{finding_id}/decision")
def decide(finding_id: int, request: Request, action: str = Form(...), reason: str = Form(""),
           principal: Principal = Depends(require("control.decide")), db: Session = Depends(get_db)):
    try:
        service.decide(db, principal, finding_id, action, reason)
    except Problem as exc:
        db.rollback()
        body = exc.body(request_locale(request))
        return _finding_page(request, db, principal, finding_id, (body.get("errors") or [{}])[0].get("detail") or body["title"], 422)
    db.commit()
    return RedirectResponse(f"/control/findings/{finding_id}", status_code=303)


@router.post("/control/run")
def run(request: Request, period_from: str = Form(""), period_to: str = Form(""), principal: Principal = Depends(require("control.run")),
        db: Session = Depends(get_db)):
    values = {"period_from": period_from, "period_to": period_to}
    try:
        result = service.run(db, date.fromisoformat(period_from), date.fromisoformat(period_to))
    except ValueError:
        return _overview(request, principal, db, error=Translator(request_locale(request))(N_("Enter valid dates.")), values=values, status_code=422)
    except Problem as exc:
        db.rollback()
        body = exc.body(request_locale(request))
        return _overview(request, principal, db, error=(body.get("errors") or [{}])[0].get("detail") or body["title"], values=values,
                         status_code=422)
    db.commit()
    return RedirectResponse(f"/control?status=open&found={result.found}&new={result.new}", status_code=303)
