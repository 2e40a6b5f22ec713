"""The substantive review: the rule set (data, editable by the authorized body) and the automatic
cross-checks of point 3 and Appendix 1: certificates of the weighing instruments valid through the
half-year, Sections A/B against the ledger, Section C against the state revenue (customs) data.

Order No. 688 point 4(6), whose conditions the Rules refer to, is not in the sources, so the
defaults below are this system's choice and say so; each is a row of `ownsystem_rules`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.errors import invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.ownsystem import deadlines as dl
from qaldyq.ownsystem.models import OwnApplication, ReviewRule

Q = Decimal("0.001")


@dataclass(frozen=True)
class RuleSpec:
    code: str
    label: str
    params: dict  # default parameters (strings for decimals)
    severity: str  # fail: the report cannot conclude "conforms"; warn: shown to the reviewer


DEFAULT_RULES: tuple[RuleSpec, ...] = (
    RuleSpec("recycled_vs_placed", N_("Recycled mass (Section D) at least the share of the mass placed on the market"),
             {"min_ratio": "1.000"}, "fail"),
    RuleSpec("certificates_cover_half_year", N_("Every weighing instrument has a verification certificate valid through the half-year"),
             {}, "fail"),
    RuleSpec("ledger_match", N_("Sections A and B agree with the waste ledger"), {"tolerance_t": "0.000"}, "warn"),
    RuleSpec("customs_match", N_("Imports of Section C agree with the state revenue (customs) data"), {"tolerance_pct": "5"}, "fail"),
    RuleSpec("collection_balance", N_("Opening + collected − closing is close to the mass recycled (a heuristic, not in the Rules)"),
             {"tolerance_pct": "10"}, "warn"),
)
SPECS = {r.code: r for r in DEFAULT_RULES}
# What each parameter means and its bounds (the page and the API check them).
PARAMS = {
    "min_ratio": (N_("Minimum share of the mass placed on the market"), Decimal("0"), Decimal("10")),
    "tolerance_t": (N_("Tolerance, tonnes"), Decimal("0"), Decimal("1000")),
    "tolerance_pct": (N_("Tolerance, per cent"), Decimal("0"), Decimal("100")),
}
SEVERITY_LABELS = {"fail": N_("Blocks a conclusion of conformity"), "warn": N_("Warning to the reviewer")}


def rules(db: Session) -> list[ReviewRule]:
    """The rule set, seeded with the defaults on first use."""
    have = {r.code: r for r in db.scalars(select(ReviewRule))}
    for spec in DEFAULT_RULES:
        if spec.code not in have:
            have[spec.code] = ReviewRule(code=spec.code, params=dict(spec.params), severity=spec.severity, active=True)
            db.add(have[spec.code])
    db.flush()
    return [have[s.code] for s in DEFAULT_RULES]


def update_rule(db: Session, code: str, params: dict | None, severity: str | None, active: bool | None) -> ReviewRule:
    spec = SPECS.get(code)
    if spec is None:
        raise not_found()
    row = next(r for r in rules(db) if r.code == code)
    if params is not None:
        unknown = set(params) - set(spec.params)
        if unknown:
            raise invalid(f"/params/{sorted(unknown)[0]}", N_("This field is not allowed here."), code="extra_forbidden")
        for k, v in params.items():
            _, lo, hi = PARAMS[k]
            try:
                d = Decimal(str(v).strip().replace(",", "."))
            except Exception:
                d = Decimal("NaN")
            if not d.is_finite() or d < lo or d > hi or d != d.quantize(Decimal("0.001")):
                raise invalid(f"/params/{k}", N_("Must be a number between {lo} and {hi}, with at most 3 decimals."), lo=lo, hi=hi)
        row.params = {**row.params, **{k: str(v).strip().replace(",", ".") for k, v in params.items()}}
    if severity is not None:
        if severity not in ("fail", "warn"):
            raise invalid("/severity", N_("Must be one of: {expected}."), expected="fail, warn")
        row.severity = severity
    if active is not None:
        row.active = active
    db.flush()
    return row


def _sum(values) -> Decimal:
    return sum((Decimal(v or 0) for v in values), Decimal("0")).quantize(Q)


def check_recycled_vs_placed(db, app, p) -> tuple[bool, dict]:
    need = (app.d_placed_t * Decimal(p["min_ratio"])).quantize(Q)
    return app.d_recycled_t >= need, {"recycled_t": str(app.d_recycled_t), "required_t": str(need)}


def check_certificates(db, app, p) -> tuple[bool, dict]:
    from qaldyq.registry import service as registry

    start, end = dl.half_bounds(app.year, app.half)
    ids = [int(d.ref_value) for d in app.documents if d.ref_kind == "instrument"]
    uncovered = [i for i in ids if registry.certificate_covering(db, i, start, end) is None]
    return bool(ids) and not uncovered, {"instruments": ids, "uncovered": uncovered}


def check_ledger(db, app, p) -> tuple[bool, dict]:
    from qaldyq.ownsystem.service import ledger_differences

    tol = Decimal(p["tolerance_t"])
    diffs = [d for d in ledger_differences(db, app) if abs(d["difference_t"]) > tol]
    return not diffs, {"differences": len(diffs)}


def check_customs(db, app, p) -> tuple[bool | None, dict]:
    """Imports of Section C against the state revenue bodies' answer (the customs feed until it
    is recorded), per product group when every imported line names its group, else in total;
    each within tolerance_pct of the customs mass."""
    from qaldyq.ownsystem.service import _imports_by_group, customs_figures

    got = customs_figures(db, app)
    if got is None:
        return None, {"reason": "no state revenue data yet"}
    source, figures = got
    by_group = _imports_by_group(app)
    declared = _sum(by_group.values())
    known = _sum(v for v in figures.values() if v is not None)
    if any(v is None for v in figures.values()):
        return None, {"reason": "mass not established for every product", "source": source, "customs_t": str(known), "declared_t": str(declared)}
    pct = Decimal(p["tolerance_pct"]) / 100
    tol = (known * pct).quantize(Q)
    detail = {"source": source, "declared_t": str(declared), "customs_t": str(known), "tolerance_t": str(tol)}
    ungrouped = any(ln.section == "C" and not ln.product_group and (ln.m2 or 0) > 0 for ln in app.lines)
    if ungrouped:
        return abs(declared - known) <= tol, detail
    groups = []
    for g in sorted((set(by_group) | set(figures)) - {None}):
        d, c = by_group.get(g, Decimal("0.000")), figures.get(g) or Decimal("0.000")
        groups.append({"product_group": g, "declared_t": str(d), "customs_t": str(c), "passed": abs(d - c) <= (c * pct).quantize(Q)})
    return all(x["passed"] for x in groups), {**detail, "groups": groups}


def check_balance(db, app, p) -> tuple[bool, dict]:
    a = [ln for ln in app.lines if ln.section == "A"]
    moved = (_sum(ln.m1 for ln in a) + _sum(ln.m2 for ln in a) - _sum(ln.m3 for ln in a)).quantize(Q)
    recycled = _sum(ln.m1 for ln in app.lines if ln.section == "B")
    tol = (max(moved, recycled) * Decimal(p["tolerance_pct"]) / 100).quantize(Q)
    return abs(moved - recycled) <= tol, {"collected_net_t": str(moved), "recycled_t": str(recycled)}


CHECKS = {"recycled_vs_placed": check_recycled_vs_placed, "certificates_cover_half_year": check_certificates, "ledger_match": check_ledger,
          "customs_match": check_customs, "collection_balance": check_balance}


def evaluate(db: Session, app: OwnApplication) -> list[dict]:
    """Each active rule: passed (True/False, None when it cannot be decided yet) with its figures."""
    out = []
    for r in rules(db):
        if not r.active:
            continue
        ok, detail = CHECKS[r.code](db, app, r.params)
        out.append({"code": r.code, "label": SPECS[r.code].label, "severity": r.severity, "passed": ok, "detail": detail})
    return out


def suggested_conclusion(results: list[dict]) -> str:
    return "not_conforms" if any(r["passed"] is False and r["severity"] == "fail" for r in results) else "conforms"
