"""Cadastre logic: indicator inputs, generators' inventory reports (entered or imported) and their
reconciliation with the ledger, the data-quality view and the reporting calendar. Takes a
Session, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from qaldyq.cadastre import tabular
from qaldyq.cadastre.flows import hazard_map, in_transit_kg, generating_sites, year_bounds
from qaldyq.cadastre.indicators import CENT, pct
from qaldyq.cadastre.models import NATIONAL, IndicatorInput, InventoryReport
from qaldyq.cadastre.schemas import IndicatorInputIn, InventoryLineIn, QualityOut, ReconRow
from qaldyq.catalog import service as catalog
from qaldyq.catalog.calendar import today_almaty
from qaldyq.core.auth import Principal
from qaldyq.core.errors import FieldError, Problem, forbidden, invalid, pydantic_field_errors
from qaldyq.core.i18n import N_
from qaldyq.core.roles import Scope
from qaldyq.ledger.models import LedgerAccount as A
from qaldyq.ledger.models import LedgerEntry as E
from qaldyq.registry.models import Site
from qaldyq.registry.regions import REGIONS

TOLERANCE_PCT = Decimal(1)  # a reported figure within 1 % (or 10 kg) of the ledger "matches"
TOLERANCE_KG = 10


# --- scope -------------------------------------------------------------------------------------

def region_scope(principal: Principal, permission: str, requested: str | None) -> str | None:
    """The region a caller may look at: region-scoped roles are held to their own region."""
    scope = principal.scope(permission)
    if scope is Scope.REGION:
        if requested and requested != principal.region_kato:
            raise forbidden(N_("You may only see the data of your region."))
        return principal.region_kato
    return requested


def org_scope(principal: Principal, permission: str) -> int | None:
    return principal.org_id if principal.scope(permission) is Scope.OWN else None


def _row_errors(exc: ValidationError, line: int | None) -> list[FieldError]:
    errors = pydantic_field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
    if line is not None:
        for e in errors:
            e.pointer = f"/rows/{line}" + (e.pointer or "")
    return errors


# --- indicator inputs --------------------------------------------------------------------------

def _check_input_reach(principal: Principal | None, data: IndicatorInputIn, pointer: str) -> None:
    if principal is None:
        return
    if principal.scope("cadastre.inputs") is Scope.REGION and data.region_kato != principal.region_kato:
        raise invalid(pointer + "/region_kato", N_("You may only enter figures for your region."), code="other-region")


def _store_input(db: Session, data: IndicatorInputIn, user_id: int | None) -> tuple[IndicatorInput, bool]:
    value = data.value_pct
    if data.numerator is not None:
        computed = pct(data.numerator, data.denominator)
        if value is not None and abs(Decimal(value) - computed) > CENT:
            raise invalid("/value_pct", N_("The share {value} % does not agree with {numerator} of {denominator} ({computed} %)."),
                          code="inconsistent", value=str(value), numerator=data.numerator, denominator=data.denominator, computed=str(computed))
        value = computed
    row = db.scalar(select(IndicatorInput).where(IndicatorInput.indicator == data.indicator, IndicatorInput.year == data.year,
                                                 IndicatorInput.region_kato == data.region_kato))
    created = row is None
    if created:
        row = IndicatorInput(indicator=data.indicator, year=data.year, region_kato=data.region_kato)
        db.add(row)
    row.value_pct, row.numerator, row.denominator = Decimal(value).quantize(CENT), data.numerator, data.denominator
    row.source, row.entered_by = data.source, user_id
    db.flush()
    return row, created


def save_input(db: Session, principal: Principal | None, data: IndicatorInputIn) -> tuple[IndicatorInput, bool]:
    _check_input_reach(principal, data, "")
    return _store_input(db, data, principal.user_id if principal else None)


INPUT_COLUMNS = ("indicator", "year", "region_kato", "value_pct", "numerator", "denominator", "source")
INVENTORY_COLUMNS = ("site_id", "year", "waste_code", "generated_kg", "transferred_kg", "treated_on_site_kg", "stock_end_kg")


def _cells(values: dict[str, object]) -> dict[str, object]:
    out = {}
    for k, v in values.items():
        if isinstance(v, float) and v.is_integer() and k not in ("value_pct",):
            v = int(v)
        if isinstance(v, str):
            v = v.strip()
        out[k] = v
    return out


def import_inputs(db: Session, principal: Principal | None, content: bytes, filename: str | None) -> dict[str, int]:
    """Every row is checked first; one bad row refuses the file (errors name `/rows/{n}/{column}`)."""
    rows = tabular.read(content, filename, INPUT_COLUMNS)
    parsed, errors, seen = [], [], {}
    for line, values in rows:
        values = _cells(values)
        values["year"] = values.get("year")
        values["region_kato"] = str(values["region_kato"]) if values.get("region_kato") is not None else None
        values["value_pct"] = str(values["value_pct"]) if isinstance(values.get("value_pct"), (int, float)) else values.get("value_pct")
        try:
            data = IndicatorInputIn.model_validate(values)
        except ValidationError as exc:
            errors.extend(_row_errors(exc, line))
            continue
        key = (data.indicator, data.year, data.region_kato)
        if key in seen:
            errors.append(FieldError(N_("Duplicate of row {row}."), pointer=f"/rows/{line}/region_kato", params={"row": seen[key]}, code="duplicate"))
            continue
        seen[key] = line
        if principal is not None and principal.scope("cadastre.inputs") is Scope.REGION and data.region_kato != principal.region_kato:
            errors.append(FieldError(N_("You may only enter figures for your region."), pointer=f"/rows/{line}/region_kato", code="other-region"))
            continue
        parsed.append((line, data))
    if errors:
        raise tabular.rejected(errors)
    created = 0
    for line, data in parsed:
        try:
            _, new = _store_input(db, data, principal.user_id if principal else None)
        except Problem as exc:
            for e in exc.errors:
                e.pointer = f"/rows/{line}" + (e.pointer or "")
            errors.extend(exc.errors)
            continue
        created += new
    if errors:
        raise tabular.rejected(errors)
    return {"rows": len(parsed), "created": created, "replaced": len(parsed) - created}


def list_inputs(db: Session, indicator: str | None = None, year: int | None = None, region: str | None = None) -> list[IndicatorInput]:
    q = select(IndicatorInput).order_by(IndicatorInput.indicator, IndicatorInput.year, IndicatorInput.region_kato)
    if indicator:
        q = q.where(IndicatorInput.indicator == indicator)
    if year:
        q = q.where(IndicatorInput.year == year)
    if region:
        q = q.where(IndicatorInput.region_kato == region)
    return list(db.scalars(q))


# --- inventory reports -------------------------------------------------------------------------

def _check_line(db: Session, principal: Principal | None, line: InventoryLineIn, pointer: str, sites: dict[int, Site]) -> tuple[Site, str]:
    site = sites.get(line.site_id) or db.get(Site, line.site_id)
    if site is None:
        raise invalid(pointer + "/site_id", N_("Unknown site {site_id}."), code="unknown-site", site_id=line.site_id)
    sites[site.id] = site
    if principal is not None and principal.scope("cadastre.inventory") is Scope.OWN and site.organization_id != principal.org_id:
        raise invalid(pointer + "/site_id", N_("Site {site_id} belongs to another organization."), code="other-organization", site_id=line.site_id)
    this_year = today_almaty().year
    if line.year > this_year:
        raise invalid(pointer + "/year", N_("An inventory cannot be reported for a future year."), code="future-year")
    info = catalog.get_waste_code(db, line.waste_code, date(line.year, 12, 31) if line.year < this_year else None, pointer=pointer + "/waste_code")
    return site, info.code


def submit_inventory(db: Session, principal: Principal | None, lines: list[InventoryLineIn], source: str,
                     row_numbers: list[int] | None = None) -> dict[str, int]:
    """Check every line (site, reach, year, classifier, duplicates), then store them; a line for
    the same site, year and code replaces the earlier one (a corrected report)."""
    errors: list[FieldError] = []
    sites: dict[int, Site] = {}
    seen: dict[tuple, int] = {}
    checked = []
    for i, line in enumerate(lines):
        where = row_numbers[i] if row_numbers else i
        pointer = f"/rows/{where}" if row_numbers else f"/lines/{i}"
        try:
            site, code = _check_line(db, principal, line, pointer, sites)
        except Problem as exc:
            errors.extend(exc.errors)
            continue
        key = (line.site_id, line.year, code)
        if key in seen:
            errors.append(FieldError(N_("Duplicate of line {row}."), pointer=pointer + "/waste_code", params={"row": seen[key]}, code="duplicate"))
            continue
        seen[key] = where
        checked.append((site, code, line))
    if errors:
        if row_numbers:
            raise tabular.rejected(errors)
        raise Problem(422, errors[0].code, "The request is not valid.", errors[0].msgid, errors, **errors[0].params)
    created = 0
    for site, code, line in checked:
        row = db.scalar(select(InventoryReport).where(InventoryReport.site_id == site.id, InventoryReport.year == line.year,
                                                      InventoryReport.waste_code == code))
        if row is None:
            row = InventoryReport(site_id=site.id, year=line.year, waste_code=code)
            db.add(row)
            created += 1
        row.organization_id, row.region_kato = site.organization_id, site.region_kato
        row.generated_kg, row.transferred_kg = line.generated_kg, line.transferred_kg
        row.treated_on_site_kg, row.stock_end_kg = line.treated_on_site_kg, line.stock_end_kg
        row.source, row.submitted_by = source, principal.user_id if principal else None
    db.flush()
    return {"rows": len(checked), "created": created, "replaced": len(checked) - created}


def import_inventory(db: Session, principal: Principal | None, content: bytes, filename: str | None) -> dict[str, int]:
    rows = tabular.read(content, filename, INVENTORY_COLUMNS)
    lines, numbers, errors = [], [], []
    for n, values in rows:
        values = _cells(values)
        if values.get("waste_code") is not None:
            values["waste_code"] = str(values["waste_code"])
        try:
            lines.append(InventoryLineIn.model_validate(values))
            numbers.append(n)
        except ValidationError as exc:
            errors.extend(_row_errors(exc, n))
    if errors:
        raise tabular.rejected(errors)
    return submit_inventory(db, principal, lines, f"import:{(filename or 'file')[:180]}", numbers)


def list_inventory(db: Session, year: int, region: str | None = None, organization_id: int | None = None) -> list[InventoryReport]:
    q = select(InventoryReport).where(InventoryReport.year == year).order_by(InventoryReport.region_kato, InventoryReport.site_id, InventoryReport.waste_code)
    if region:
        q = q.where(InventoryReport.region_kato == region)
    if organization_id is not None:
        q = q.where(InventoryReport.organization_id == organization_id)
    return list(db.scalars(q))


def ledger_by_site_code(db: Session, year: int, site_ids: set[int]) -> dict[tuple[int, str], dict[str, int]]:
    """Per (site, code): generated and sent in the year, held at the end of the year."""
    if not site_ids:
        return {}
    start, end = year_bounds(year)
    in_year = E.effective_at >= start
    q = (select(A.site_id, A.waste_code,
                func.coalesce(func.sum(case((and_(in_year, E.line == "generated"), E.amount_kg), else_=0)), 0).label("generated"),
                func.coalesce(func.sum(case((and_(in_year, E.line.in_(("pickup", "excess"))), -E.amount_kg), else_=0)), 0).label("sent"),
                func.coalesce(func.sum(E.amount_kg), 0).label("stock"))
         .join(E, E.account_id == A.id).where(A.kind == "site", A.site_id.in_(site_ids), E.effective_at < end).group_by(A.site_id, A.waste_code))
    return {(r.site_id, r.waste_code): {"generated": int(r.generated), "sent": int(r.sent), "stock": int(r.stock)} for r in db.execute(q)}


def _close(a: int, b: int) -> bool:
    return abs(a - b) <= max(TOLERANCE_KG, max(abs(a), abs(b)) * TOLERANCE_PCT / 100)


def reconcile(db: Session, year: int, region: str | None = None, organization_id: int | None = None) -> list[ReconRow]:
    reports = list_inventory(db, year, region, organization_id)
    ledger = ledger_by_site_code(db, year, {r.site_id for r in reports})
    names = {i: n for i, n in db.execute(select(Site.id, Site.name).where(Site.id.in_({r.site_id for r in reports})))} if reports else {}
    out = []
    for r in reports:
        lg = ledger.get((r.site_id, r.waste_code), {"generated": 0, "sent": 0, "stock": 0})
        ok = _close(r.generated_kg, lg["generated"]) and _close(r.transferred_kg, lg["sent"]) and _close(r.stock_end_kg, lg["stock"])
        out.append(ReconRow(site_id=r.site_id, site_name=names.get(r.site_id, ""), organization_id=r.organization_id, region_kato=r.region_kato,
                            year=year, waste_code=r.waste_code, reported_generated_kg=r.generated_kg, ledger_generated_kg=lg["generated"],
                            reported_transferred_kg=r.transferred_kg, ledger_transferred_kg=lg["sent"], reported_stock_kg=r.stock_end_kg,
                            ledger_stock_kg=lg["stock"], status="matches" if ok else "differs"))
    return out


def ledger_codes(db: Session, year: int) -> dict[str, set[str]]:
    start, end = year_bounds(year)
    q = (select(Site.region_kato, A.waste_code).distinct().join(E, E.account_id == A.id).join(Site, Site.id == A.site_id)
         .where(A.kind == "site", E.effective_at >= start, E.effective_at < end))
    out: dict[str, set[str]] = {}
    for kato, code in db.execute(q):
        out.setdefault(kato, set()).add(code)
    return out


def quality(db: Session, year: int, region: str | None = None) -> list[QualityOut]:
    """Per region: generators without an inventory report, report lines that differ from the
    ledger, reports of sites the ledger never saw generate, codes outside the classifier, and
    mass left in transit at the end of the year."""
    generating = generating_sites(db, year)
    recon = reconcile(db, year, region)
    known = hazard_map(db)
    codes = ledger_codes(db, year)
    out = []
    for kato, *_ in REGIONS:
        if region and kato != region:
            continue
        gen = {s for s, k in generating.items() if k == kato}
        lines = [r for r in recon if r.region_kato == kato]
        reported = {r.site_id for r in lines}
        out.append(QualityOut(region_kato=kato, generating_sites=len(gen), reported_sites=len(reported), missing_reports=len(gen - reported),
                              differing_lines=sum(r.status == "differs" for r in lines), reports_without_ledger=len(reported - gen),
                              unknown_codes=sorted(c for c in codes.get(kato, set()) if c not in known), in_transit_kg=in_transit_kg(db, year, kato)))
    return out


# --- reporting calendar ------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    code: str
    name: str
    month: int
    day: int


# Resolution No. 1201, points 2–4: information on the Concept's implementation, for the reporting year.
STEPS = (
    Step("implementers", N_("Implementers report to the Ministry of Ecology and Natural Resources"), 4, 1),
    Step("ministry", N_("The Ministry of Ecology reports to the Ministry of National Economy"), 5, 1),
    Step("government", N_("The Ministry of National Economy reports to the Government Office"), 6, 15),
)


def calendar(today: date | None = None, years: int = 2) -> list[dict]:
    """The reporting steps of the last `years` reporting years, with what is due."""
    today = today or today_almaty()
    out = []
    for ry in range(today.year - years, today.year + 1):
        for s in STEPS:
            due = date(ry + 1, s.month, s.day)
            days = (due - today).days
            status = "past" if days < 0 else ("due" if days <= 45 else "upcoming")
            out.append({"step": s.code, "name": s.name, "due": due, "reporting_year": ry, "status": status, "days": days})
    return out
