"""The operator route of EPR: registration (route per product group and year), declarations priced
by the catalogue's calculators, invoices, payments, certificates of payment (СВУП) and the customs
reconciliation. Takes a Session, never commits."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qaldyq.catalog import service as catalog
from qaldyq.core.auth import Principal
from qaldyq.core.database import utcnow
from qaldyq.core.errors import FieldError, Problem, conflict, forbidden, invalid, not_found
from qaldyq.core.i18n import N_, translate
from qaldyq.core.roles import Scope
from qaldyq.core.service import next_number
from qaldyq.epr.exemptions import EXEMPTIONS
from qaldyq.epr.models import Certificate, CustomsLine, Declaration, DeclarationLine, Invoice, Payment, Registration
from qaldyq.epr.vin import vin_problem
from qaldyq.registry import service as registry
from qaldyq.registry.models import Organization

LOCALES = ("en", "kk", "ru")
ROUTES = ("operator", "own_system")
EPR_ROLES = ("producer", "importer")
ZERO = Decimal("0.00")
KG = Decimal("0.001")

# Vehicles and machinery are not in the catalogue's HS list (their fee is Table 12's, per unit):
# the product group and the HS headings of each vehicle category, as data.
VEHICLE_GROUPS = {"vehicles": ("M1", "M2", "M3", "N1", "N2", "N3", "truck_tractor"), "agricultural-machinery": ("tractor", "combine")}
VEHICLE_HS = {"M1": ("8703",), "M2": ("8702",), "M3": ("8702",), "N1": ("8704",), "N2": ("8704",), "N3": ("8704",),
              "truck_tractor": ("870121", "870122", "870123", "870124", "870129"), "tractor": ("8701",), "combine": ("843351",)}
VEHICLE_ATTRIBUTES = ("engine_cc", "gross_mass_t", "power_hp", "electric")
INVOICE_RE = re.compile(r"EPR-INV-\d{4}-\d{6}")


def vehicle_group(category: str) -> str | None:
    return next((g for g, cats in VEHICLE_GROUPS.items() if category in cats), None)


def _repoint(exc: Problem, prefix: str, mapping: dict[str, str]) -> Problem:
    """A catalogue problem about its own fields, re-pointed at the caller's field."""
    for e in exc.errors:
        if e.pointer is not None:
            e.pointer = prefix + mapping.get(e.pointer, e.pointer)
    return exc


def _explain(text: str, **params) -> dict[str, list[str]]:
    return {loc: [translate(loc, text, **params)] for loc in LOCALES}


# --- organizations and registration ---------------------------------------------------------

def producer(db: Session, org_id: int, pointer: str = "/organization_id") -> Organization:
    """The organization if it is registered as a producer or importer, else a problem."""
    org = db.get(Organization, org_id)
    if org is None:
        raise invalid(pointer, N_("Organization {id} does not exist."), code="unknown-organization", id=org_id)
    if not any(registry.has_role(org, r) for r in EPR_ROLES):
        raise invalid(pointer, N_("The organization with BIN {bin} is not registered as a producer or importer."), code="not-producer", bin=org.bin)
    return org


def producer_by_bin(db: Session, bin_: str, pointer: str = "/bin") -> Organization:
    org = db.scalar(select(Organization).where(Organization.bin == bin_))
    if org is None:
        raise invalid(pointer, N_("No organization with BIN {bin}."), code="unknown-bin", bin=bin_)
    return producer(db, org.id, pointer)


def acting_org(principal: Principal, requested: int | None, permission: str = "epr.declare") -> int:
    """The organization a call acts for: one's own (OWN scope) or any (ALL)."""
    if requested is None or requested == principal.org_id:
        return principal.org_id
    if principal.scope(permission) is Scope.ALL:
        return requested
    raise forbidden(N_("You may act only for your own organization."))


def product_groups(db: Session, on_date: date) -> set[str]:
    _, rows = catalog.list_rows(db, "product-groups", on_date, limit=1000)
    return {r.code for r in rows} | set(VEHICLE_GROUPS)


def register_route(db: Session, principal: Principal, *, organization_id: int | None, product_group: str, year: int, route: str) -> Registration:
    org = producer(db, acting_org(principal, organization_id, "epr.register"))
    if route not in ROUTES:
        raise invalid("/route", N_("Unknown route {route}; use operator or own_system."), code="unknown-route", route=route)
    if not 2016 <= year <= 2100:
        raise invalid("/year", N_("The year must be between {low} and {high}."), code="year-range", low=2016, high=2100)
    if product_group not in product_groups(db, date(year, 12, 31)):
        raise invalid("/product_group", N_("{group} is not a product group under EPR."), code="unknown-product-group", group=product_group)
    existing = db.scalar(select(Registration).where(Registration.organization_id == org.id, Registration.product_group == product_group, Registration.year == year))
    if existing is not None:
        raise conflict("/product_group", N_("The organization has already chosen the route {route} for {group} in {year}; the two routes are exclusive."),
                       code="route-exists", route=existing.route, group=product_group, year=year)
    reg = Registration(organization_id=org.id, product_group=product_group, year=year, route=route, registered_by=principal.user_id)
    db.add(reg)
    db.flush()
    return reg


def routes_in_year(db: Session, org_id: int, year: int) -> set[str]:
    """The routes an organization registered for any product group in a year."""
    return set(db.scalars(select(Registration.route).where(Registration.organization_id == org_id, Registration.year == year)))


def route_for(db: Session, org_id: int, product_group: str, year: int) -> str | None:
    """The route (operator or own_system) an organization chose for a product group and year, or
    None when it has not registered one."""
    return db.scalar(select(Registration.route).where(Registration.organization_id == org_id, Registration.product_group == product_group,
                                                      Registration.year == year))


def registrations(db: Session, principal: Principal, org_id: int | None = None) -> list[Registration]:
    q = select(Registration).order_by(Registration.year.desc(), Registration.product_group)
    if principal.scope("epr.read") is not Scope.ALL:
        q = q.where(Registration.organization_id == principal.org_id)
    elif org_id:
        q = q.where(Registration.organization_id == org_id)
    return list(db.scalars(q))


# --- declarations ---------------------------------------------------------------------------

def _decimal(value: Any, pointer: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(pointer, N_("Must be a number."), code="decimal_parsing") from None
    if not d.is_finite() or d <= 0:
        raise invalid(pointer, N_("Must be greater than {gt}."), code="greater_than", gt=0)
    if d > Decimal("10000000000"):
        raise invalid(pointer, N_("Must be at most {le}."), code="less_than_equal", le="10000000000")
    return d


def _check_exemption(line: dict[str, Any], kind: str, p: str) -> tuple[str | None, list[dict[str, Any]]]:
    claim = line.get("exemption")
    if not claim:
        return None, []
    ex = EXEMPTIONS.get(claim.get("code") or "")
    if ex is None:
        raise invalid(f"{p}/exemption/code", N_("Unknown exemption {exemption}."), code="unknown-exemption", exemption=claim.get("code"))
    if kind not in ex.kinds:
        raise invalid(f"{p}/exemption/code", N_("The exemption {exemption} does not apply to a {kind} line."), code="exemption-not-applicable", exemption=ex.code, kind=kind)
    evidence = list(claim.get("evidence") or [])
    given = {e.get("kind"): e for e in evidence if (e.get("number") or "").strip()}
    for needed in ex.evidence:
        if needed not in given:
            raise invalid(f"{p}/exemption/evidence", N_("The exemption {exemption} needs the evidence {evidence} (kind and document number)."),
                          code="evidence-missing", exemption=ex.code, evidence=needed)
    if ex.min_recycled_percent is not None:
        share = given[ex.evidence[0]].get("recycled_percent")
        try:
            ok = share is not None and Decimal(str(share)) >= ex.min_recycled_percent
        except InvalidOperation:
            ok = False
        if not ok:
            raise invalid(f"{p}/exemption/evidence", N_("The certificate must show at least {percent} % recycled content."),
                          code="recycled-share-low", percent=ex.min_recycled_percent)
    return ex.code, evidence


def _price_product(db: Session, line: dict[str, Any], kind: str, p: str, on_date: date) -> dict[str, Any]:
    if kind == "packaging":
        material = line.get("material") or ""
        if not material.startswith("packaging-"):
            raise invalid(f"{p}/material", N_("Give the packaging material (packaging-glass, packaging-paper, packaging-polymer, packaging-combined or packaging-metal)."),
                          code="unknown-material")
        catalog.category(db, material, on_date, pointer=f"{p}/material")
        group, category, hs = "packaging", material, line.get("hs_code")
        if hs:
            match = catalog.product_group_for_hs(db, hs, on_date, pointer=f"{p}/hs_code")
            if match is None or match.product_group != "packaging":
                raise invalid(f"{p}/hs_code", N_("The HS code {hs} is not packaging on the EPR list."), code="hs-not-epr", hs=hs)
            hs = match.hs_code
    else:
        hs = line.get("hs_code") or ""
        if not hs:
            raise invalid(f"{p}/hs_code", N_("This field is required."), code="missing")
        match = catalog.product_group_for_hs(db, hs, on_date, pointer=f"{p}/hs_code")
        if match is None:
            raise invalid(f"{p}/hs_code", N_("The HS code {hs} is not on the EPR product list."), code="hs-not-epr", hs=hs)
        if line.get("product_group") and line["product_group"] != match.product_group:
            raise invalid(f"{p}/product_group", N_("The HS code {hs} belongs to the group {group}."), code="group-mismatch", hs=hs, group=match.product_group)
        if not match.waste_category:
            raise invalid(f"{p}/hs_code", N_("The HS code {hs} maps to no fee category of the catalogue; give a more precise code."), code="no-fee-category", hs=hs)
        group, category, hs = match.product_group, match.waste_category, match.hs_code
    units = line.get("quantity_units")
    if units is not None and (not isinstance(units, int) or isinstance(units, bool) or units <= 0 or units > 10**9):
        raise invalid(f"{p}/quantity_units", N_("Must be a whole number greater than {gt}."), code="greater_than", gt=0)
    mass_source = "declared"
    if line.get("mass_kg") is not None:
        mass_kg = _decimal(line["mass_kg"], f"{p}/mass_kg")
    else:
        if units is None:
            raise invalid(f"{p}/mass_kg", N_("Give the mass, or the number of units to use the reference book of average masses."), code="missing")
        ref = catalog.reference_mass(db, group, line.get("item") or "", on_date, pointer=f"{p}/mass_kg")
        if ref.unit_mass_kg is None:
            raise invalid(f"{p}/mass_kg", N_("The reference book gives no unit mass for {group}; the mass must be established from documents."),
                          code="no-reference-mass", group=group)
        mass_kg, mass_source = (ref.unit_mass_kg * units).quantize(KG, ROUND_HALF_UP), "reference"
    mass_t = (mass_kg / 1000).quantize(KG, ROUND_HALF_UP)
    if mass_t <= 0:
        raise invalid(f"{p}/mass_kg", N_("The mass is below one kilogram."), code="too-small")
    out = {"kind": kind, "product_group": group, "category": category, "hs_code": hs, "quantity_units": units, "mass_kg": mass_kg,
           "mass_source": mass_source, "attributes": {"item": line.get("item")} if line.get("item") else {}, "mass_t": mass_t}
    return out


def _price_vehicle(db: Session, line: dict[str, Any], p: str, on_date: date, seen_vins: set[str]) -> dict[str, Any]:
    category = line.get("category") or ""
    group = vehicle_group(category)
    if group is None:
        raise invalid(f"{p}/category", N_("Unknown vehicle category {category}."), code="unknown-category", category=category)
    vin = str(line.get("vin") or "").strip().upper()
    reason = vin_problem(vin)
    if reason:
        raise invalid(f"{p}/vin", reason, code="invalid-vin")
    if vin in seen_vins or db.scalar(select(DeclarationLine.id).where(DeclarationLine.vin == vin)) is not None:
        raise conflict(f"{p}/vin", N_("The vehicle {vin} is already declared."), code="duplicate-vin", vin=vin)
    seen_vins.add(vin)
    hs = line.get("hs_code")
    if hs:
        digits = re.sub(r"\D", "", str(hs))
        if not any(digits.startswith(h) for h in VEHICLE_HS[category]):
            raise invalid(f"{p}/hs_code", N_("The HS code {hs} is not a heading of category {category}."), code="hs-mismatch", hs=hs, category=category)
        hs = digits
    attrs = {k: (str(line[k]) if isinstance(line[k], Decimal) else line[k]) for k in VEHICLE_ATTRIBUTES if line.get(k) is not None}
    return {"kind": "vehicle", "product_group": group, "category": category, "hs_code": hs or None, "quantity_units": 1, "vin": vin,
            "attributes": attrs}


def price_lines(db: Session, lines: list[dict[str, Any]], on_date: date, org_id: int) -> list[dict[str, Any]]:
    """Check and price every line with the catalogue's calculators (Problem at the first bad line)."""
    if not lines:
        raise invalid("/lines", N_("A declaration needs at least one line."), code="missing")
    if len(lines) > 5000:
        raise invalid("/lines", N_("At most {n} lines per declaration."), code="too-many", n=5000)
    seen: set[str] = set()
    out = []
    for i, line in enumerate(lines):
        p = f"/lines/{i}"
        kind = line.get("kind") or "product"
        if kind not in ("product", "packaging", "vehicle"):
            raise invalid(f"{p}/kind", N_("Unknown line kind {kind}."), code="unknown-kind", kind=kind)
        row = _price_vehicle(db, line, p, on_date, seen) if kind == "vehicle" else _price_product(db, line, kind, p, on_date)
        route = route_for(db, org_id, row["product_group"], on_date.year)
        if route != "operator":
            msg = (N_("The organization has chosen its own system for {group} in {year}; it does not declare to the operator.") if route
                   else N_("Register the route for {group} in {year} before declaring."))
            raise invalid(p + ("/category" if kind == "vehicle" else "/hs_code"), msg, code="no-operator-route", group=row["product_group"], year=on_date.year)
        row["exemption"], row["evidence"] = _check_exemption(line, kind, p)
        if row["exemption"]:
            ex = EXEMPTIONS[row["exemption"]]
            row["amount_kzt"], row["arithmetic"] = ZERO, None
            row["explanation"] = {loc: [translate(loc, N_("Exempt: {label} (report §2.4, item {item})."), label=translate(loc, ex.label), item=ex.item)]
                                  + [translate(loc, N_("Evidence: {kind} No. {number}."), kind=e.get("kind"), number=e.get("number")) for e in row["evidence"]]
                                  for loc in LOCALES}
        else:
            try:
                if kind == "vehicle":
                    a = row["attributes"]
                    q = catalog.quote_vehicle(db, category=row["category"], on_date=on_date, engine_cc=a.get("engine_cc"), gross_mass_t=a.get("gross_mass_t"),
                                              power_hp=a.get("power_hp"), electric=bool(a.get("electric")))
                else:
                    q = catalog.quote_product(db, category=row["category"], mass_t=row["mass_t"], on_date=on_date)
            except Problem as exc:
                raise _repoint(exc, p, {"/mass_t": "/mass_kg", "/date": "/date"}) from None
            row["amount_kzt"], row["arithmetic"] = q.amount_kzt, q.arithmetic
            row["explanation"] = {loc: q.explain(loc) for loc in LOCALES}
            if row.get("mass_source") == "reference":
                for loc in LOCALES:
                    row["explanation"][loc].insert(0, translate(loc, N_("Mass from the reference book of average masses: {units} units, {mass} kg."),
                                                                units=row["quantity_units"], mass=format(row["mass_kg"], "f")))
        row.pop("mass_t", None)
        out.append(row)
    return out


def submit_declaration(db: Session, principal: Principal, *, organization_id: int | None, period_from: date, period_to: date,
                       lines: list[dict[str, Any]]) -> Declaration:
    org = producer(db, acting_org(principal, organization_id))
    if period_to < period_from:
        raise invalid("/period_to", N_("The end of the period is before its start."), code="dates-out-of-order")
    if period_from.year != period_to.year:
        raise invalid("/period_to", N_("A period lies within one calendar year."), code="period-year")
    priced = price_lines(db, lines, period_to, org.id)
    dec = Declaration(number=next_number(db, "EPR-DEC"), organization_id=org.id, period_from=period_from, period_to=period_to,
                      submitted_by=principal.user_id, status="submitted")
    for n, row in enumerate(priced, start=1):
        dec.lines.append(DeclarationLine(line_no=n, **row))
    dec.total_kzt = sum((r["amount_kzt"] for r in priced), ZERO)
    db.add(dec)
    db.flush()
    return dec


def visible(principal: Principal, org_id: int) -> bool:
    return principal.scope("epr.read") is Scope.ALL or org_id == principal.org_id


def get_declaration(db: Session, principal: Principal, dec_id: int) -> Declaration:
    dec = db.get(Declaration, dec_id)
    if dec is None or not visible(principal, dec.organization_id):
        raise not_found("Declaration {id} does not exist.", id=dec_id)
    return dec


def declarations(db: Session, principal: Principal, status: str | None = None, limit: int = 200) -> list[Declaration]:
    q = select(Declaration).order_by(Declaration.id.desc()).limit(limit)
    if principal.scope("epr.read") is not Scope.ALL:
        q = q.where(Declaration.organization_id == principal.org_id)
    if status:
        q = q.where(Declaration.status == status)
    return list(db.scalars(q))


def review_declaration(db: Session, principal: Principal, dec_id: int, accept: bool, note: str | None = None) -> Declaration:
    """The operator accepts (an invoice is issued) or rejects (with a reason) a declaration."""
    dec = get_declaration(db, principal, dec_id)
    if dec.status != "submitted":
        raise conflict("/status", N_("The declaration is already {status}."), code="already-reviewed", status=dec.status)
    if not accept and not (note or "").strip():
        raise invalid("/note", N_("Give the reason for rejecting."), code="missing")
    dec.status, dec.review_note = ("accepted" if accept else "rejected"), note
    if accept:
        inv = Invoice(number=next_number(db, "EPR-INV"), declaration_id=dec.id, organization_id=dec.organization_id, amount_kzt=dec.total_kzt)
        db.add(inv)
        db.flush()
        _settle(db, inv)
    db.flush()
    return dec


def invoice_for(db: Session, dec_id: int) -> Invoice | None:
    return db.scalar(select(Invoice).where(Invoice.declaration_id == dec_id))


def get_invoice(db: Session, principal: Principal, number: str) -> Invoice:
    inv = db.scalar(select(Invoice).where(Invoice.number == number))
    if inv is None or not visible(principal, inv.organization_id):
        raise not_found("Invoice {number} does not exist.", number=number)
    return inv


def invoices(db: Session, principal: Principal) -> list[Invoice]:
    q = select(Invoice).order_by(Invoice.id.desc()).limit(500)
    if principal.scope("epr.read") is not Scope.ALL:
        q = q.where(Invoice.organization_id == principal.org_id)
    return list(db.scalars(q))


def balance(inv: Invoice) -> Decimal:
    """Still to pay (negative: over-paid, kept as the organization's credit)."""
    return inv.amount_kzt - inv.paid_kzt


def credit(db: Session, org_id: int) -> Decimal:
    rows = db.scalars(select(Invoice).where(Invoice.organization_id == org_id, Invoice.paid_kzt > Invoice.amount_kzt))
    return sum((r.paid_kzt - r.amount_kzt for r in rows), ZERO)


# --- payments -------------------------------------------------------------------------------

def _settle(db: Session, inv: Invoice) -> None:
    """Recompute what was paid from the matched payments (never incrementally, so nothing is
    counted twice) and issue the certificates when the invoice becomes fully paid."""
    db.flush()
    inv.paid_kzt = db.scalar(select(func.coalesce(func.sum(Payment.amount_kzt), 0)).where(Payment.invoice_id == inv.id, Payment.status == "matched")) or ZERO
    inv.paid_kzt = Decimal(inv.paid_kzt).quantize(Decimal("0.01"))
    if inv.paid_kzt >= inv.amount_kzt:
        if inv.status != "paid":
            inv.status, inv.paid_at = "paid", utcnow()
            _issue_certificates(db, inv)
    else:
        inv.status = "partial" if inv.paid_kzt > 0 else "open"


def _match(db: Session, payer_bin: str, invoice_number: str | None, purpose: str) -> Invoice | None:
    numbers = [invoice_number] if invoice_number else INVOICE_RE.findall(purpose or "")
    for number in numbers:
        inv = db.scalar(select(Invoice).join(Organization, Organization.id == Invoice.organization_id)
                        .where(Invoice.number == number, Organization.bin == payer_bin))
        if inv is not None:
            return inv
    return None


@dataclass
class PaymentIn:
    bank_reference: str
    paid_on: date
    amount_kzt: Decimal
    payer_bin: str
    purpose: str = ""
    invoice_number: str | None = None


def record_payment(db: Session, principal: Principal | None, data: PaymentIn, source: str = "manual", pointer: str = "") -> Payment:
    """Register a payment; matched to its invoice by number and BIN, else queued for review."""
    if db.scalar(select(Payment.id).where(Payment.bank_reference == data.bank_reference)) is not None:
        raise conflict(f"{pointer}/bank_reference", N_("The bank reference {ref} is already registered."), code="duplicate-payment", ref=data.bank_reference)
    if data.amount_kzt <= 0 or data.amount_kzt.as_tuple().exponent < -2:
        raise invalid(f"{pointer}/amount_kzt", N_("The amount must be positive, in tenge with at most two decimals."), code="invalid-amount")
    inv = _match(db, data.payer_bin, data.invoice_number, data.purpose)
    pay = Payment(bank_reference=data.bank_reference, paid_on=data.paid_on, amount_kzt=data.amount_kzt, payer_bin=data.payer_bin,
                  purpose=data.purpose[:500], source=source, invoice_id=inv.id if inv else None, status="matched" if inv else "unmatched",
                  created_by=principal.user_id if principal else None)
    db.add(pay)
    db.flush()
    if inv is not None:
        _settle(db, inv)
    return pay


def assign_payment(db: Session, principal: Principal, payment_id: int, invoice_number: str) -> Payment:
    """The operator resolves an unmatched payment by naming its invoice."""
    pay = db.get(Payment, payment_id)
    if pay is None:
        raise not_found("Payment {id} does not exist.", id=payment_id)
    if pay.status != "unmatched":
        raise conflict("/invoice_number", N_("The payment is already matched."), code="already-matched")
    inv = db.scalar(select(Invoice).where(Invoice.number == invoice_number))
    if inv is None:
        raise invalid("/invoice_number", N_("Invoice {number} does not exist."), code="unknown-invoice", number=invoice_number)
    pay.invoice_id, pay.status, pay.note = inv.id, "matched", f"assigned by {principal.username}"
    _settle(db, inv)
    return pay


def payments(db: Session, principal: Principal, status: str | None = None) -> list[Payment]:
    q = select(Payment).order_by(Payment.id.desc()).limit(500)
    if status:
        q = q.where(Payment.status == status)
    if principal.scope("epr.read") is not Scope.ALL:
        q = q.join(Invoice, Invoice.id == Payment.invoice_id).where(Invoice.organization_id == principal.org_id)
    return list(db.scalars(q))


STATEMENT_COLUMNS = ("bank_reference", "paid_on", "amount_kzt", "payer_bin", "purpose")


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1251")
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(io.StringIO(text), delimiter=dialect)]


@dataclass
class StatementOutcome:
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    payments: list[int] = field(default_factory=list)


def import_statement(db: Session, principal: Principal, content: bytes) -> StatementOutcome:
    """A bank statement CSV (columns STATEMENT_COLUMNS). Every row is checked first; then each is
    recorded: matched, or unmatched into the review queue; a bank reference already registered
    is skipped (a statement loaded twice counts once)."""
    rows = _csv_rows(content)
    if not rows:
        raise invalid("/file", N_("The file has no rows."), code="empty-file")
    missing = [c for c in STATEMENT_COLUMNS if c not in rows[0]]
    if missing:
        raise invalid("/file", N_("Missing columns: {columns}."), code="missing-columns", columns=", ".join(missing))
    parsed, errors = [], []
    for n, r in enumerate(rows, start=2):
        try:
            paid_on = date.fromisoformat(r["paid_on"])
        except ValueError:
            errors.append(FieldError(N_("A date as YYYY-MM-DD."), pointer=f"/rows/{n}/paid_on", code="date_parsing"))
            continue
        try:
            amount = Decimal(r["amount_kzt"].replace(" ", "").replace(",", "."))
        except InvalidOperation:
            errors.append(FieldError(N_("Must be a number."), pointer=f"/rows/{n}/amount_kzt", code="decimal_parsing"))
            continue
        if not r["bank_reference"] or not re.fullmatch(r"\d{12}", r["payer_bin"]):
            errors.append(FieldError(N_("A bank reference and a 12-digit BIN are required."), pointer=f"/rows/{n}/payer_bin", code="missing"))
            continue
        parsed.append((n, PaymentIn(r["bank_reference"], paid_on, amount, r["payer_bin"], r.get("purpose", ""))))
    if errors:
        raise Problem(422, "invalid-statement", "The request is not valid.", N_("The statement has errors; nothing was recorded."), errors)
    out = StatementOutcome()
    seen: set[str] = set()
    for n, data in parsed:
        if data.bank_reference in seen or db.scalar(select(Payment.id).where(Payment.bank_reference == data.bank_reference)) is not None:
            out.duplicates += 1
            continue
        seen.add(data.bank_reference)
        pay = record_payment(db, principal, data, source="statement", pointer=f"/rows/{n}")
        out.payments.append(pay.id)
        if pay.status == "matched":
            out.matched += 1
        else:
            out.unmatched += 1
    return out


# --- certificates ---------------------------------------------------------------------------

def _issue_certificates(db: Session, inv: Invoice) -> None:
    dec = db.get(Declaration, inv.declaration_id)
    products = ZERO
    has_products = False
    for line in dec.lines:
        if line.kind == "vehicle":
            if db.scalar(select(Certificate.id).where(Certificate.line_id == line.id)) is None:
                db.add(Certificate(number=next_number(db, "SVUP"), invoice_id=inv.id, organization_id=inv.organization_id, line_id=line.id,
                                   kind="vehicle", amount_kzt=line.amount_kzt))
        else:
            has_products, products = True, products + line.amount_kzt
    if has_products and db.scalar(select(Certificate.id).where(Certificate.invoice_id == inv.id, Certificate.kind == "products")) is None:
        db.add(Certificate(number=next_number(db, "SVUP"), invoice_id=inv.id, organization_id=inv.organization_id, kind="products", amount_kzt=products))
    db.flush()


def certificates(db: Session, principal: Principal, invoice_id: int | None = None) -> list[Certificate]:
    q = select(Certificate).order_by(Certificate.id.desc()).limit(500)
    if principal.scope("epr.read") is not Scope.ALL:
        q = q.where(Certificate.organization_id == principal.org_id)
    if invoice_id:
        q = q.where(Certificate.invoice_id == invoice_id)
    return list(db.scalars(q))


def get_certificate(db: Session, number: str) -> Certificate:
    cert = db.scalar(select(Certificate).where(Certificate.number == number))
    if cert is None:
        raise not_found("Certificate {number} does not exist.", number=number)
    return cert


def cancel_certificate(db: Session, principal: Principal, number: str, reason: str) -> Certificate:
    cert = get_certificate(db, number)
    if not (reason or "").strip():
        raise invalid("/reason", N_("Give the reason for cancelling."), code="missing")
    if cert.status == "cancelled":
        raise conflict("/reason", N_("The certificate is already cancelled."), code="already-cancelled")
    cert.status, cert.cancelled_at, cert.cancel_reason = "cancelled", utcnow(), reason.strip()[:500]
    db.flush()
    return cert


def certificate_subject(db: Session, cert: Certificate) -> dict[str, Any]:
    """What the certificate is for, without private data: the vehicle (VIN, category) or the
    product groups and masses, the period and the amount paid."""
    inv = db.get(Invoice, cert.invoice_id)
    dec = db.get(Declaration, inv.declaration_id)
    org = db.get(Organization, cert.organization_id)
    out: dict[str, Any] = {"number": cert.number, "valid": cert.status == "valid", "status": cert.status, "kind": cert.kind,
                           "issued_on": cert.issued_at.date().isoformat(), "amount_kzt": format(cert.amount_kzt, "f"),
                           "period": {"from": dec.period_from.isoformat(), "to": dec.period_to.isoformat()},
                           "payer": {"bin": org.bin, "name": org.name_ru}}
    if cert.status == "cancelled":
        out["cancelled_on"] = cert.cancelled_at.date().isoformat()
        out["cancel_reason"] = cert.cancel_reason
    if cert.kind == "vehicle":
        line = db.get(DeclarationLine, cert.line_id)
        out["vehicle"] = {"vin": line.vin, "category": line.category, "product_group": line.product_group}
    else:
        groups: dict[str, Decimal] = defaultdict(Decimal)
        for line in dec.lines:
            if line.kind != "vehicle":
                groups[line.category] += line.mass_kg or 0
        out["products"] = [{"category": c, "mass_kg": format(m, "f")} for c, m in sorted(groups.items())]
    return out


# --- customs reconciliation -----------------------------------------------------------------

CUSTOMS_COLUMNS = ("bin", "declaration_number", "line_no", "declared_on", "hs_code", "quantity", "mass_kg")


@dataclass
class CustomsOutcome:
    loaded: int = 0
    ignored: int = 0  # the same line loaded again
    not_epr: int = 0


def _customs_row(db: Session, r: dict[str, Any], p: str) -> tuple[dict[str, Any] | None, list[FieldError]]:
    errs: list[FieldError] = []
    out: dict[str, Any] = {}
    bin_ = str(r.get("bin") or "").strip()
    if not re.fullmatch(r"\d{12}", bin_):
        errs.append(FieldError(N_("A BIN has 12 digits."), pointer=f"{p}/bin", code="invalid-bin"))
    out["bin"] = bin_
    out["declaration_number"] = str(r.get("declaration_number") or "").strip()
    if not out["declaration_number"] or len(out["declaration_number"]) > 40:
        errs.append(FieldError(N_("This field is required."), pointer=f"{p}/declaration_number", code="missing"))
    try:
        out["line_no"] = int(str(r.get("line_no") or "1"))
        assert 1 <= out["line_no"] <= 100000
    except (ValueError, AssertionError):
        errs.append(FieldError(N_("Must be a whole number greater than {gt}."), pointer=f"{p}/line_no", params={"gt": 0}, code="greater_than"))
    d = r.get("declared_on")
    try:
        out["declared_on"] = d if isinstance(d, date) else date.fromisoformat(str(d or "")[:10])
    except ValueError:
        errs.append(FieldError(N_("A date as YYYY-MM-DD."), pointer=f"{p}/declared_on", code="date_parsing"))
    for col in ("quantity", "mass_kg"):
        try:
            v = Decimal(str(r.get(col)).replace(",", "."))
            assert v.is_finite() and 0 < v <= Decimal("1e10")
            out[col] = v.quantize(KG, ROUND_HALF_UP)
        except (InvalidOperation, AssertionError, ValueError):
            errs.append(FieldError(N_("Must be greater than {gt}."), pointer=f"{p}/{col}", params={"gt": 0}, code="greater_than"))
    try:
        match = catalog.product_group_for_hs(db, str(r.get("hs_code") or ""), out.get("declared_on"), pointer=f"{p}/hs_code")
        out["hs_code"] = re.sub(r"\D", "", str(r.get("hs_code")))
        out["product_group"] = match.product_group if match else None
        out["category"] = match.waste_category if match else None
        out["is_epr"] = match is not None
    except Problem as exc:
        errs.extend(exc.errors)
    return (None if errs else out), errs


def load_customs(db: Session, rows: list[dict[str, Any]], pointer: str = "/rows") -> CustomsOutcome:
    """Load customs declaration lines. All rows are checked first (any error refuses the whole
    feed); a line already loaded with the same content is ignored, with other content refused."""
    checked, errors = [], []
    for i, r in enumerate(rows):
        row, errs = _customs_row(db, r, f"{pointer}/{i}")
        errors.extend(errs)
        if row:
            checked.append((i, row))
    keys: dict[tuple[str, int], dict] = {}
    out = CustomsOutcome()
    todo = []
    for i, row in checked:
        key = (row["declaration_number"], row["line_no"])
        stored = db.scalar(select(CustomsLine).where(CustomsLine.declaration_number == key[0], CustomsLine.line_no == key[1]))
        prior = keys.get(key) or (stored and {c: getattr(stored, c) for c in ("bin", "hs_code", "mass_kg", "quantity", "declared_on")})
        if prior:
            same = all(prior[c] == row[c] for c in ("bin", "hs_code", "mass_kg", "quantity", "declared_on"))
            if same:
                out.ignored += 1
                continue
            errors.append(FieldError(N_("Line {line} of customs declaration {number} is already loaded with other content."),
                                     pointer=f"{pointer}/{i}/declaration_number", params={"line": key[1], "number": key[0]}, code="duplicate-customs-line"))
            continue
        keys[key] = row
        todo.append(row)
    if errors:
        raise Problem(422, "invalid-customs-feed", "The request is not valid.", N_("The customs feed has errors; nothing was loaded."), errors)
    for row in todo:
        org = db.scalar(select(Organization).where(Organization.bin == row["bin"]))
        db.add(CustomsLine(organization_id=org.id if org else None, **row))
        out.loaded += 1
        out.not_epr += 0 if row["is_epr"] else 1
    db.flush()
    return out


def read_table_file(content: bytes, filename: str | None) -> list[dict[str, Any]]:
    """Rows of a CSV or the first sheet of an XLSX, keyed by the header."""
    if (filename or "").lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            ws = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception:
            raise invalid("/file", N_("The file is not a readable XLSX workbook."), code="bad-file") from None
        it = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it, [])]
        rows = []
        for values in it:
            if values is None or all(v is None for v in values):
                continue
            rows.append({h: (v.date() if isinstance(v, datetime) else v) for h, v in zip(header, values) if h})
        return rows
    return _csv_rows(content)


@dataclass
class Arrear:
    bin: str
    organization_id: int | None
    name: str | None
    region_kato: str | None
    product_group: str
    category: str | None
    customs_kg: Decimal
    declared_kg: Decimal
    paid_kg: Decimal
    gap_kg: Decimal
    due_kzt: Decimal | None
    explanation: list[str]
    declarations: list[str]


def arrears(db: Session, year: int, region: str | None = None, product_group: str | None = None, locale: str = "en") -> list[Arrear]:
    """Importers with EPR goods in the customs feed of a year and too little declared and paid.
    The gap is the imported mass less the mass of paid declaration lines of the same fee category
    and year; the amount due is the catalogue's quote for the gap on the last import date."""
    q = select(CustomsLine).where(CustomsLine.is_epr.is_(True), CustomsLine.declared_on >= date(year, 1, 1), CustomsLine.declared_on <= date(year, 12, 31))
    if product_group:
        q = q.where(CustomsLine.product_group == product_group)
    imported: dict[tuple[str, str, str | None], list[CustomsLine]] = defaultdict(list)
    for c in db.scalars(q):
        imported[(c.bin, c.product_group, c.category)].append(c)
    out = []
    for (bin_, group, category), lines in sorted(imported.items()):
        org = lines[0].organization_id and db.get(Organization, lines[0].organization_id)
        if region and (not org or org.region_kato != region):
            continue
        customs_kg = sum((c.mass_kg for c in lines), Decimal(0))
        declared_kg = paid_kg = Decimal(0)
        if org:
            dl = db.execute(select(DeclarationLine.mass_kg, Invoice.status).join(Declaration, Declaration.id == DeclarationLine.declaration_id)
                            .outerjoin(Invoice, Invoice.declaration_id == Declaration.id)
                            .where(Declaration.organization_id == org.id, Declaration.status != "rejected", DeclarationLine.category == category,
                                   DeclarationLine.kind != "vehicle", Declaration.period_to >= date(year, 1, 1), Declaration.period_to <= date(year, 12, 31))).all()
            declared_kg = sum((m or 0 for m, _ in dl), Decimal(0))
            paid_kg = sum((m or 0 for m, s in dl if s == "paid"), Decimal(0))
        gap = customs_kg - paid_kg
        if gap <= 0:
            continue
        last = max(c.declared_on for c in lines)
        due, expl = None, []
        if category:
            try:
                qt = catalog.quote_product(db, category=category, mass_t=(gap / 1000).quantize(KG, ROUND_HALF_UP), on_date=last)
                due, expl = qt.amount_kzt, qt.explain(locale)
            except Problem as exc:
                expl = [exc.body(locale).get("detail") or ""]
        else:
            expl = [translate(locale, N_("The HS code does not tell the fee category; the amount is set on review."))]
        out.append(Arrear(bin_, org.id if org else None, org.name_ru if org else None, org.region_kato if org else None, group, category,
                          customs_kg, declared_kg, paid_kg, gap, due, expl, sorted({c.declaration_number for c in lines})))
    return out


# --- totals for the ministry ----------------------------------------------------------------

def totals(db: Session, year: int) -> dict[str, Any]:
    """Declared (accepted) and paid amounts of a year by product group and by region."""
    rows = db.execute(select(DeclarationLine.product_group, Organization.region_kato, DeclarationLine.amount_kzt, Invoice.status)
                      .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
                      .join(Organization, Organization.id == Declaration.organization_id)
                      .join(Invoice, Invoice.declaration_id == Declaration.id)
                      .where(Declaration.period_to >= date(year, 1, 1), Declaration.period_to <= date(year, 12, 31))).all()
    by_group: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"invoiced": ZERO, "paid": ZERO})
    by_region: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"invoiced": ZERO, "paid": ZERO})
    for group, region, amount, status in rows:
        for bucket in (by_group[group], by_region[region]):
            bucket["invoiced"] += amount
            if status == "paid":
                bucket["paid"] += amount
    certs = db.scalar(select(func.count(Certificate.id)).join(Invoice, Invoice.id == Certificate.invoice_id)
                      .join(Declaration, Declaration.id == Invoice.declaration_id)
                      .where(Certificate.status == "valid", Declaration.period_to >= date(year, 1, 1), Declaration.period_to <= date(year, 12, 31)))
    return {"year": year, "invoiced_kzt": sum((v["invoiced"] for v in by_group.values()), ZERO),
            "paid_kzt": sum((v["paid"] for v in by_group.values()), ZERO), "certificates": certs or 0,
            "by_product_group": dict(sorted(by_group.items())), "by_region": dict(sorted(by_region.items()))}


def check_lines(db: Session, lines: list[dict[str, Any]], on_date: date, org_id: int) -> dict[int, Problem]:
    """Each line checked on its own (for the per-row error file of a spreadsheet upload)."""
    errors: dict[int, Problem] = {}
    vins: set[str] = set()
    for i, line in enumerate(lines):
        vin = str(line.get("vin") or "").strip().upper()
        if line.get("kind") == "vehicle" and vin in vins:
            errors[i] = conflict("/vin", N_("The vehicle {vin} is already declared."), code="duplicate-vin", vin=vin)
            continue
        vins.add(vin)
        try:
            price_lines(db, [line], on_date, org_id)
        except Problem as exc:
            errors[i] = exc
    return errors


# --- figures for the own-system route (Order 690, Appendix 1 Section C) ----------------------

def imports_by_group(db: Session, org_id: int, start: date, end: date) -> dict[str, Decimal]:
    """Kilograms of EPR goods an organization imported between `start` and `end` (inclusive),
    per product group, from the customs feed (lines loaded before the organization was
    registered are matched by its BIN)."""
    org = db.get(Organization, org_id)
    who = CustomsLine.organization_id == org_id
    if org is not None and org.bin:
        who = who | (CustomsLine.organization_id.is_(None) & (CustomsLine.bin == org.bin))
    out: dict[str, Decimal] = defaultdict(Decimal)
    for group, mass in db.execute(select(CustomsLine.product_group, CustomsLine.mass_kg).where(
            who, CustomsLine.is_epr.is_(True), CustomsLine.declared_on >= start, CustomsLine.declared_on <= end)):
        if group:
            out[group] += Decimal(mass)
    return dict(out)


def declared_by_group(db: Session, org_id: int, start: date, end: date) -> dict[str, Decimal]:
    """Kilograms in an organization's declarations to the operator (not rejected) whose period
    ends between `start` and `end`, per product group. Vehicles are declared by the unit and
    carry no mass: they are left out."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for group, mass in db.execute(select(DeclarationLine.product_group, DeclarationLine.mass_kg)
                                  .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
                                  .where(Declaration.organization_id == org_id, Declaration.status != "rejected",
                                         Declaration.period_to >= start, Declaration.period_to <= end, DeclarationLine.mass_kg.is_not(None))):
        out[group] += Decimal(mass)
    return dict(out)
