"""Payouts: contracts, claims built from ledger transactions, review, payment registries.

What each operation is paid for (never typed totals, always ledger transactions):
- collection: `transfer_posted` transactions received at the claimant's sites (accepted mass);
- transportation: `transfer_posted` transactions of transfer documents a leg of which the claimant
  carried (accepted mass);
- processing and single: `processing` transactions at the claimant's sites (input mass).
Reversed transactions are never paid. One transaction backs at most one claim per operation:
UNIQUE (transaction_id, operation) on `payout_claim_lines` decides races.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from qaldyq.catalog import service as catalog
from qaldyq.core import audit
from qaldyq.core.auth import Principal
from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem, conflict, forbidden, invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.core.roles import Scope
from qaldyq.core.service import next_number
from qaldyq.ledger.models import LedgerEntry, LedgerTransaction
from qaldyq.payouts import workflow as wf
from qaldyq.payouts.models import PaymentRegistry, PayoutClaim, PayoutClaimLine, PayoutContract
from qaldyq.registry.models import Organization, Site
from qaldyq.transfers.models import TransferDocument, TransferLeg

LOCAL = ZoneInfo("Asia/Almaty")
MAX_PERIOD_DAYS = 366


def local_bounds(d1: date, d2: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d1, time.min, LOCAL)
    end = datetime.combine(d2 + timedelta(days=1), time.min, LOCAL)
    return start, end


def local_day(dt: datetime) -> date:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo("UTC"))
    return dt.astimezone(LOCAL).date()


# --- scope -----------------------------------------------------------------------------------

def visible_orgs_clause(principal: Principal, permission: str, column):
    scope = principal.scope(permission)
    if scope is Scope.ALL:
        return True
    if scope is Scope.REGION:
        return or_(column == principal.org_id, column.in_(select(Organization.id).where(Organization.region_kato == principal.region_kato)))
    return column == principal.org_id


def check_sees(db: Session, principal: Principal, permission: str, org_id: int) -> None:
    org = db.get(Organization, org_id)
    if org is None or not principal.sees_org(permission, org_id, {org.region_kato}):
        raise not_found()


# --- contracts -------------------------------------------------------------------------------

def create_contract(db: Session, *, organization_id: int, operations: list[str], categories: list[str], valid_from: date,
                    valid_to: date | None) -> PayoutContract:
    if db.get(Organization, organization_id) is None:
        raise invalid("/organization_id", N_("Unknown organization {id}."), code="unknown-organization", id=organization_id)
    if valid_to is not None and valid_to < valid_from:
        raise invalid("/valid_to", N_("The end of validity is before its start."), code="dates-out-of-order")
    for i, op in enumerate(operations):
        if op not in wf.OPERATIONS:
            raise invalid(f"/operations/{i}", N_("Must be one of: {expected}."), code="literal_error", expected=", ".join(wf.OPERATIONS))
    if len(set(operations)) != len(operations) or len(set(categories)) != len(categories):
        raise invalid("/operations" if len(set(operations)) != len(operations) else "/categories", N_("Listed twice."), code="duplicate")
    for i, slug in enumerate(categories):
        catalog.category(db, slug, valid_from, pointer=f"/categories/{i}")
    overlap = db.scalar(select(PayoutContract.number).where(
        PayoutContract.organization_id == organization_id, PayoutContract.status == "active",
        or_(PayoutContract.valid_to.is_(None), PayoutContract.valid_to >= valid_from),
        True if valid_to is None else PayoutContract.valid_from <= valid_to))
    if overlap:
        raise conflict("/valid_from", N_("The organization already has contract {number} for this period."), code="contract-overlap", number=overlap)
    c = PayoutContract(number=next_number(db, "PK"), organization_id=organization_id, operations=list(operations),
                       categories=list(categories), valid_from=valid_from, valid_to=valid_to, status="active")
    db.add(c)
    db.flush()
    return c


def contract_in_force(db: Session, organization_id: int, d1: date, d2: date) -> PayoutContract | None:
    return db.scalar(select(PayoutContract).where(
        PayoutContract.organization_id == organization_id, PayoutContract.status == "active", PayoutContract.valid_from <= d1,
        or_(PayoutContract.valid_to.is_(None), PayoutContract.valid_to >= d2)))


def list_contracts(db: Session, principal: Principal) -> list[PayoutContract]:
    q = select(PayoutContract).where(visible_orgs_clause(principal, "payouts.read", PayoutContract.organization_id))
    return list(db.scalars(q.order_by(PayoutContract.id.desc())))


# --- eligible ledger transactions ------------------------------------------------------------

@dataclass
class Candidate:
    transaction_id: int
    waste_code: str
    mass_kg: int
    effective_at: datetime
    reference: str | None


def _line_mass(line: str, sign: int):
    return select(func.coalesce(func.sum(LedgerEntry.amount_kg * sign), 0)).where(
        LedgerEntry.transaction_id == LedgerTransaction.id, LedgerEntry.line == line).scalar_subquery()


def candidates_query(organization_id: int, operation: str, d1: date, d2: date):
    """One set-based query for the ledger transactions an organization may claim for an operation."""
    start, end = local_bounds(d1, d2)
    own_sites = select(Site.id).where(Site.organization_id == organization_id)
    rev = aliased(LedgerTransaction)
    not_reversed = ~exists().where(rev.reverses_id == LedgerTransaction.id)
    if operation == "collection":
        where = [LedgerTransaction.kind == "transfer_posted", LedgerTransaction.site_id.in_(own_sites)]
        mass = _line_mass("accepted", 1)
    elif operation == "transportation":
        carried = select(TransferDocument.number).join(TransferLeg, TransferLeg.document_id == TransferDocument.id).where(
            TransferLeg.carrier_org_id == organization_id)
        where = [LedgerTransaction.kind == "transfer_posted", LedgerTransaction.ref_type == "transfer", LedgerTransaction.ref_id.in_(carried)]
        mass = _line_mass("accepted", 1)
    else:  # processing, single
        where = [LedgerTransaction.kind == "processing", LedgerTransaction.site_id.in_(own_sites)]
        mass = _line_mass("input", -1)
    return select(LedgerTransaction.id, LedgerTransaction.waste_code, mass.label("mass_kg"), LedgerTransaction.effective_at,
                  LedgerTransaction.ref_id).where(
        *where, not_reversed, LedgerTransaction.reverses_id.is_(None),
        LedgerTransaction.effective_at >= start, LedgerTransaction.effective_at < end,
    ).order_by(LedgerTransaction.effective_at, LedgerTransaction.id)


def already_claimed(operation: str):
    return exists().where(PayoutClaimLine.transaction_id == LedgerTransaction.id, PayoutClaimLine.operation == operation)


@dataclass
class OpenMonth:
    operation: str
    period_from: date
    period_to: date
    transactions: int
    mass_kg: int


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def unclaimed_months(db: Session, organization_id: int, today: date | None = None, months: int = 12) -> list[OpenMonth]:
    """The ended months of the last `months` in which the organization has ledger transactions it
    may still claim under its contract, per operation, newest first: what the claim form offers.
    Counted like a claim would be (same query, categories of the contract), without building one."""
    today = today or catalog_today()
    last = month_bounds(today)[0] - timedelta(days=1)  # the last ended month
    first = month_bounds(last)[0]
    for _ in range(months - 1):
        first = month_bounds(first - timedelta(days=1))[0]
    out: list[OpenMonth] = []
    contracts = db.scalars(select(PayoutContract).where(
        PayoutContract.organization_id == organization_id, PayoutContract.status == "active", PayoutContract.valid_from <= last,
        or_(PayoutContract.valid_to.is_(None), PayoutContract.valid_to >= first))).all()
    maps: dict[date, dict[str, str]] = {}
    for contract in contracts:
        for operation in contract.operations:
            q = candidates_query(organization_id, operation, max(first, contract.valid_from), min(last, contract.valid_to or last))
            q = q.where(~already_claimed(operation))
            found: dict[date, list[int]] = {}
            for r in db.execute(q):
                day = local_day(r[3])
                mapping = maps.setdefault(day.replace(day=1), catalog.category_map(db, day.replace(day=1)))
                if catalog.category_from_map(mapping, r[1] or "") in contract.categories:
                    found.setdefault(day.replace(day=1), []).append(int(r[2]))
            for m, masses in found.items():
                out.append(OpenMonth(operation, *month_bounds(m), len(masses), sum(masses)))
    return sorted(out, key=lambda x: (x.period_from, x.operation), reverse=True)


# --- claims ----------------------------------------------------------------------------------

def create_claim(db: Session, principal: Principal, *, organization_id: int, operation: str, period_from: date, period_to: date,
                 transaction_ids: list[int] | None = None) -> PayoutClaim:
    if operation not in wf.OPERATIONS:
        raise invalid("/operation", N_("Must be one of: {expected}."), code="literal_error", expected=", ".join(wf.OPERATIONS))
    if period_to < period_from:
        raise invalid("/period_to", N_("The end of the period is before its start."), code="dates-out-of-order")
    if (period_to - period_from).days >= MAX_PERIOD_DAYS:
        raise invalid("/period_to", N_("A claim covers at most {days} days."), code="period-too-long", days=MAX_PERIOD_DAYS)
    if period_to > catalog_today():
        raise invalid("/period_to", N_("The period has not ended yet."), code="period-not-ended")
    if not principal.sees_org("payouts.claim", organization_id):
        raise forbidden()
    contract = contract_in_force(db, organization_id, period_from, period_to)
    if contract is None:
        raise invalid("/period_from", N_("No contract with the operator covers this period."), code="no-contract")
    if operation not in contract.operations:
        raise invalid("/operation", N_("Contract {number} does not cover the operation {operation}."), code="operation-not-in-contract",
                      number=contract.number, operation=operation)
    overlap = db.scalar(select(PayoutClaim.number).where(
        PayoutClaim.organization_id == organization_id, PayoutClaim.operation == operation, PayoutClaim.status != wf.REJECTED,
        PayoutClaim.period_from <= period_to, PayoutClaim.period_to >= period_from))
    if overlap:
        raise conflict("/period_from", N_("This period is already claimed (claim {number})."), code="period-claimed", number=overlap)

    q = candidates_query(organization_id, operation, period_from, period_to)
    rows = [Candidate(r[0], r[1], int(r[2]), r[3], r[4]) for r in db.execute(q)]
    if transaction_ids is not None:
        by_id = {r.transaction_id: r for r in rows}
        chosen = []
        for i, tid in enumerate(transaction_ids):
            if tid not in by_id:
                raise invalid(f"/transaction_ids/{i}", N_("Ledger transaction {id} is not a {operation} of this organization in the period."),
                              code="not-claimable", id=tid, operation=operation)
            chosen.append(by_id[tid])
        if len(set(transaction_ids)) != len(transaction_ids):
            raise invalid("/transaction_ids", N_("Listed twice."), code="duplicate")
        rows = chosen
    lines = []
    for i, r in enumerate(rows):
        day = local_day(r.effective_at)
        slug = catalog.category_for_waste_code(db, r.waste_code, day)
        if slug not in contract.categories:
            if transaction_ids is not None:
                raise invalid(f"/transaction_ids/{i}", N_("The waste code {waste_code} (category {category}) is outside contract {number}."),
                              code="category-not-in-contract", waste_code=r.waste_code, category=slug or "—", number=contract.number)
            continue  # not payable under this contract; the control engine reports such attempts
        quote = catalog.quote_payout(db, category=slug, operation=operation, mass_t=Decimal(r.mass_kg) / 1000, on_date=day)
        lines.append(PayoutClaimLine(
            transaction_id=r.transaction_id, operation=operation, waste_code=r.waste_code, category=slug, mass_kg=r.mass_kg,
            effective_on=day, reference=r.reference, rate_mrp=Decimal(str(quote.rate.get("rate_mrp", 0))), amount_kzt=quote.amount_kzt,
            explanation={loc: quote.explain(loc) for loc in ("en", "kk", "ru")}))
    if not lines:
        raise invalid("/period_from", N_("Nothing to claim: no unclaimed ledger transactions under the contract in this period."),
                      code="nothing-to-claim")
    claim = PayoutClaim(number=next_number(db, "PC"), organization_id=organization_id, contract_id=contract.id, operation=operation,
                        period_from=period_from, period_to=period_to, status=wf.DRAFT, mass_kg=sum(x.mass_kg for x in lines),
                        amount_kzt=sum((x.amount_kzt for x in lines), Decimal("0.00")), created_by_user_id=principal.user_id)
    try:
        with db.begin_nested():
            db.add(claim)
            db.flush()
            for line in lines:
                line.claim_id = claim.id
            db.add_all(lines)
            db.flush()
    except IntegrityError:
        raise conflict("/transaction_ids", N_("Some of these tonnes have just been claimed by another request."), code="already-claimed") from None
    audit.append(db, [("claim_lines", "payout_claim", str(claim.id), None,
                       {"lines": [[x.transaction_id, x.operation, x.mass_kg, str(x.amount_kzt)] for x in lines]})])
    return claim


def catalog_today() -> date:
    from qaldyq.catalog.calendar import today_almaty

    return today_almaty()


def get_claim(db: Session, principal: Principal, claim_id: int) -> PayoutClaim:
    claim = db.get(PayoutClaim, claim_id)
    if claim is None:
        raise not_found()
    check_sees(db, principal, "payouts.read", claim.organization_id)
    return claim


def claim_ids_by_number(db: Session, numbers: list[str]) -> dict[str, int]:
    """Claim numbers (as cited by control findings) to ids, for links; visibility is checked on the claim page."""
    return dict(db.execute(select(PayoutClaim.number, PayoutClaim.id).where(PayoutClaim.number.in_(numbers))).all())


def reversed_since(db: Session, transaction_ids: list[int]) -> set[int]:
    """Which of these ledger transactions have been reversed (a claim line that pays for one pays
    for tonnes the ledger no longer shows; the control engine reports it too)."""
    if not transaction_ids:
        return set()
    return set(db.scalars(select(LedgerTransaction.reverses_id).where(LedgerTransaction.reverses_id.in_(transaction_ids))))


def org_names(db: Session, ids: set[int], locale: str) -> dict[int, str]:
    rows = db.execute(select(Organization.id, Organization.name_kk, Organization.name_ru).where(Organization.id.in_(ids))).all() if ids else []
    return {r[0]: r[1] if locale == "kk" else r[2] for r in rows}


def category_names(db: Session, locale: str) -> dict[str, str]:
    """EPR category slugs to their names in the reader's language (as in force today)."""
    return {c.slug: catalog.localized(c, "name", locale) for c in catalog.categories(db)}


def list_claims(db: Session, principal: Principal, status: str | None = None) -> list[PayoutClaim]:
    q = select(PayoutClaim).where(visible_orgs_clause(principal, "payouts.read", PayoutClaim.organization_id))
    if status:
        q = q.where(PayoutClaim.status == status)
    return list(db.scalars(q.order_by(PayoutClaim.id.desc()).limit(500)))


def transition(db: Session, principal: Principal, claim_id: int, action: str, reason: str | None = None) -> PayoutClaim:
    claim = get_claim(db, principal, claim_id)
    step = wf.TRANSITIONS.get((claim.status, action))
    if step is None:
        allowed = sorted(a for (s, a) in wf.TRANSITIONS if s == claim.status)
        raise conflict("/action", N_("A claim in status {current} cannot be {action}; possible: {allowed}."), code="bad-transition",
                       current=claim.status, action=action, allowed=", ".join(allowed) or "—")
    new_status, permission = step
    if not principal.sees_org(permission, claim.organization_id, {claim_org_region(db, claim)}):
        raise forbidden()
    if action == "reject":
        if not reason or not reason.strip():
            raise invalid("/reason", N_("Give the reason."), code="missing")
        claim.reason = reason.strip()
        claim.lines.clear()  # the tonnes become claimable again (the audit keeps what was claimed)
    claim.status = new_status
    claim.updated_at = utcnow()
    db.flush()
    return claim


def claim_org_region(db: Session, claim: PayoutClaim) -> str:
    return db.scalar(select(Organization.region_kato).where(Organization.id == claim.organization_id)) or ""


# --- payment registry and bank export --------------------------------------------------------

def create_registry(db: Session, claim_ids: list[int]) -> PaymentRegistry:
    if not claim_ids:
        raise invalid("/claim_ids", N_("List at least one claim."), code="missing")
    claims = list(db.scalars(select(PayoutClaim).where(PayoutClaim.id.in_(claim_ids))))
    found = {c.id: c for c in claims}
    for i, cid in enumerate(claim_ids):
        c = found.get(cid)
        if c is None:
            raise invalid(f"/claim_ids/{i}", N_("Unknown claim {id}."), code="unknown-claim", id=cid)
        if c.status != wf.APPROVED or c.registry_id is not None:
            raise invalid(f"/claim_ids/{i}", N_("Claim {number} is not approved or already in a registry; only approved claims are paid."),
                          code="not-approved", number=c.number)
    reg = PaymentRegistry(number=next_number(db, "PR"), status="open", total_kzt=sum((c.amount_kzt for c in claims), Decimal("0.00")))
    db.add(reg)
    db.flush()
    for c in claims:
        c.registry_id = reg.id
    db.flush()
    return reg


def registry_rows(db: Session, registry_id: int) -> tuple[PaymentRegistry, list[dict]]:
    reg = db.get(PaymentRegistry, registry_id)
    if reg is None:
        raise not_found()
    claims = list(db.scalars(select(PayoutClaim).where(PayoutClaim.registry_id == reg.id).order_by(PayoutClaim.id)))
    for c in claims:
        if c.status not in (wf.APPROVED, wf.PAID):
            raise conflict(None, N_("Claim {number} is not approved; the registry cannot be exported."), code="not-approved", number=c.number)
    orgs = {o.id: o for o in db.scalars(select(Organization).where(Organization.id.in_([c.organization_id for c in claims])))}
    rows = [{"registry": reg.number, "claim": c.number, "bin": orgs[c.organization_id].bin, "payee": orgs[c.organization_id].name_ru,
             "operation": c.operation, "period": f"{c.period_from.isoformat()}..{c.period_to.isoformat()}",
             "mass_kg": c.mass_kg, "amount_kzt": format(c.amount_kzt, "f"), "purpose": f"EPR payout {c.operation} {c.number}"} for c in claims]
    return reg, rows


EXPORT_COLUMNS = ("registry", "claim", "bin", "payee", "operation", "period", "mass_kg", "amount_kzt", "purpose")


def export_registry(db: Session, registry_id: int, fmt: str) -> tuple[bytes, str, str]:
    import csv
    import io

    reg, rows = registry_rows(db, registry_id)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, delimiter=";")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8", f"{reg.number}.csv"
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = reg.number
        ws.append(list(EXPORT_COLUMNS))
        for r in rows:
            ws.append([Decimal(r[k]) if k == "amount_kzt" else r[k] for k in EXPORT_COLUMNS])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{reg.number}.xlsx"
    raise invalid("/format", N_("Must be one of: {expected}."), code="literal_error", expected="csv, xlsx")


def pay_registry(db: Session, principal: Principal, registry_id: int) -> PaymentRegistry:
    reg, _ = registry_rows(db, registry_id)
    if reg.status == "paid":
        raise conflict(None, N_("The registry is already paid."), code="already-paid")
    for c in db.scalars(select(PayoutClaim).where(PayoutClaim.registry_id == reg.id)):
        transition(db, principal, c.id, "pay")
    reg.status, reg.paid_at = "paid", utcnow()
    db.flush()
    return reg
