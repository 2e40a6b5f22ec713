"""Control: run the rules, keep findings (one per rule, subject and period), accept telemetry
findings, acknowledge or dismiss with a reason, risk per organization, inspection list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from qaldyq.control import engine
from qaldyq.control.models import ControlFinding
from qaldyq.control.rules import SEVERITY_WEIGHT, default_rules
from qaldyq.core.auth import Principal
from qaldyq.core.database import utcnow
from qaldyq.core.errors import invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.core.roles import Scope
from qaldyq.registry.models import Organization, Site

DECISIONS = {"acknowledge": "acknowledged", "dismiss": "dismissed", "reopen": "open"}  # action -> status


@dataclass
class RunResult:
    found: int
    new: int
    by_rule: dict[str, int]


def run(db: Session, d1: date, d2: date, rules=None, only: set[str] | None = None, with_telemetry: bool = True) -> RunResult:
    if d2 < d1:
        raise invalid("/period_to", N_("The end of the period is before its start."), code="dates-out-of-order")
    if (d2 - d1).days > 366:
        raise invalid("/period_to", N_("A run covers at most {days} days."), code="period-too-long", days=366)
    raw = engine.run_rules(engine.sqlalchemy_executor(db), db.get_bind().dialect.name, rules or default_rules(), d1, d2, only)
    if with_telemetry and not only:
        raw += telemetry_findings(db, d1, d2)
    return store(db, raw, d1, d2)


def telemetry_findings(db: Session, d1: date, d2: date) -> list[engine.RawFinding]:
    """The telemetry domain's findings (suspected dumping, signal gaps…) as findings of this engine."""
    from qaldyq.registry.models import Vehicle
    from qaldyq.telemetry import service as telemetry

    p = engine.period_params(d1, d2, "postgresql")
    out = []
    for f in telemetry.findings(db, p["start"], p["end"]):
        vid = f.vehicle_id if isinstance(f.vehicle_id, int) else None
        org = db.scalar(select(Vehicle.organization_id).where(Vehicle.id == vid)) if vid else None
        extra = {"vehicle_id": vid, "day": f.at.astimezone(engine.LOCAL).date().isoformat()} if vid else {}
        out.append(engine.RawFinding(f"telemetry-{f.kind}".replace("_", "-"), f.severity, org, f.evidence.get("nearest_site_id"),
                                     f"{f.subject or f.vehicle_id} {f.at.isoformat()}", f.evidence.get("minutes"), None, [],
                                     [f.subject] if f.subject else [], extra))
    return out


def store(db: Session, raw: list[engine.RawFinding], d1: date, d2: date) -> RunResult:
    sites = {s.id: s for s in db.scalars(select(Site).where(Site.id.in_({r.site_id for r in raw if r.site_id})))}
    orgs = dict(db.execute(select(Organization.id, Organization.region_kato).where(Organization.id.in_({r.organization_id for r in raw if r.organization_id}))).all())
    fps = {f"{r.rule_id}|{r.subject}|{d1}|{d2}"[:200]: r for r in raw}
    existing = {f.fingerprint: f for f in db.scalars(select(ControlFinding).where(ControlFinding.fingerprint.in_(list(fps))))} if fps else {}
    new, by_rule = 0, {}
    for fp, r in fps.items():
        by_rule[r.rule_id] = by_rule.get(r.rule_id, 0) + 1
        evidence = {"transactions": r.transactions, "documents": r.documents, **r.extra}
        f = existing.get(fp)
        if f is None:
            region = sites[r.site_id].region_kato if r.site_id in sites else orgs.get(r.organization_id)
            db.add(ControlFinding(fingerprint=fp, rule_id=r.rule_id, source="telemetry" if r.rule_id.startswith("telemetry-") else "rules",
                                  severity=r.severity, organization_id=r.organization_id, site_id=r.site_id, region_kato=region,
                                  period_from=d1, period_to=d2, subject=r.subject[:200], value=r.value, limit=r.limit, evidence=evidence,
                                  status="open"))
            new += 1
        else:
            f.value, f.limit, f.evidence, f.runs = r.value, r.limit, evidence, f.runs + 1
    db.flush()
    return RunResult(len(fps), new, by_rule)


def _scoped(principal: Principal, q):
    scope = principal.scope("control.read")
    if scope is Scope.REGION:
        return q.where(ControlFinding.region_kato == principal.region_kato)
    if scope is Scope.OWN:
        return q.where(ControlFinding.organization_id == principal.org_id)
    return q


def list_findings(db: Session, principal: Principal, status: str | None = None, rule_id: str | None = None,
                  organization_id: int | None = None, limit: int = 200, site_id: int | None = None,
                  region: str | None = None) -> list[ControlFinding]:
    q = _scoped(principal, select(ControlFinding))
    if status:
        q = q.where(ControlFinding.status == status)
    if rule_id:
        q = q.where(ControlFinding.rule_id == rule_id)
    if organization_id:
        q = q.where(ControlFinding.organization_id == organization_id)
    if site_id:
        q = q.where(ControlFinding.site_id == site_id)
    if region:
        q = q.where(ControlFinding.region_kato == region)
    sev = case({"high": 0, "medium": 1, "low": 2}, value=ControlFinding.severity, else_=3)
    return list(db.scalars(q.order_by(sev, ControlFinding.id.desc()).limit(limit)))


def get_finding(db: Session, principal: Principal, finding_id: int) -> ControlFinding:
    f = db.scalar(_scoped(principal, select(ControlFinding).where(ControlFinding.id == finding_id)))
    if f is None:
        raise not_found()
    return f


def decide(db: Session, principal: Principal, finding_id: int, action: str, reason: str | None) -> ControlFinding:
    f = get_finding(db, principal, finding_id)
    if action not in DECISIONS:
        raise invalid("/action", N_("Must be one of: {expected}."), code="literal_error", expected=", ".join(DECISIONS))
    if not reason or not reason.strip():
        raise invalid("/reason", N_("Give the reason."), code="missing")
    f.status, f.reason, f.decided_by_user_id, f.decided_at = DECISIONS[action], reason.strip(), principal.user_id, utcnow()
    db.flush()
    return f


@dataclass
class Risk:
    organization_id: int
    name: str
    name_kk: str
    region_kato: str
    score: int
    open_findings: int
    high: int


def risk_scores(db: Session, principal: Principal, region: str | None = None, limit: int = 100) -> list[Risk]:
    """Risk per organization: the severity weights of its open and acknowledged findings
    (dismissed ones do not count), highest first: the inspection list."""
    weight = case({k: v for k, v in SEVERITY_WEIGHT.items()}, value=ControlFinding.severity, else_=0)
    q = _scoped(principal, select(
        ControlFinding.organization_id, func.sum(weight).label("score"), func.count().label("n"),
        func.sum(case((ControlFinding.severity == "high", 1), else_=0)).label("high"),
    ).where(ControlFinding.organization_id.is_not(None), ControlFinding.status != "dismissed").group_by(ControlFinding.organization_id))
    rows = db.execute(q).all()
    orgs = {o.id: o for o in db.scalars(select(Organization).where(Organization.id.in_([r[0] for r in rows])))}
    out = [Risk(r[0], orgs[r[0]].name_ru, orgs[r[0]].name_kk, orgs[r[0]].region_kato, int(r[1] or 0), int(r[2]), int(r[3] or 0))
           for r in rows if r[0] in orgs]
    if region:
        out = [x for x in out if x.region_kato == region]
    return sorted(out, key=lambda x: (-x.score, -x.high, x.name))[:limit]


def site_risk(db: Session, principal: Principal, region: str | None = None) -> list[tuple[Site, int]]:
    """The sites with findings that are not dismissed, and the weight of those findings."""
    weight = case({k: v for k, v in SEVERITY_WEIGHT.items()}, value=ControlFinding.severity, else_=0)
    q = _scoped(principal, select(ControlFinding.site_id, func.sum(weight)).where(
        ControlFinding.site_id.is_not(None), ControlFinding.status != "dismissed").group_by(ControlFinding.site_id))
    if region:
        q = q.where(ControlFinding.region_kato == region)
    scores = dict(db.execute(q).all())
    sites = db.scalars(select(Site).where(Site.id.in_(list(scores)))) if scores else []
    return [(s, int(scores[s.id])) for s in sites]


def names_of(db: Session, org_ids: set[int], site_ids: set[int]) -> tuple[dict[int, Organization], dict[int, Site]]:
    orgs = {o.id: o for o in db.scalars(select(Organization).where(Organization.id.in_(org_ids)))} if org_ids else {}
    sites = {s.id: s for s in db.scalars(select(Site).where(Site.id.in_(site_ids)))} if site_ids else {}
    return orgs, sites


def names(db: Session, findings: list[ControlFinding]) -> tuple[dict[int, Organization], dict[int, Site]]:
    """The organizations and sites the findings are about, to show names instead of ids."""
    return names_of(db, {f.organization_id for f in findings if f.organization_id}, {f.site_id for f in findings if f.site_id})


def decider(db: Session, f: ControlFinding) -> str | None:
    """Who acknowledged or dismissed the finding (the audit keeps the history)."""
    from qaldyq.core.models import User

    user = db.get(User, f.decided_by_user_id) if f.decided_by_user_id else None
    return user.full_name if user else None
