"""Views on the ledger: balances at a date, movement history, the mass-balance report of a site.

Dates are local (Asia/Almaty): "at 2026-03-31" means the end of that day there, and a period
from D1 to D2 covers D1 00:00 to D2 24:00 local time. Entries count by their effective time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from qaldyq.core.errors import invalid_param
from qaldyq.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from qaldyq.ledger.service import AccountKind, Kind
from qaldyq.ledger.sites import site_infos

LOCAL = ZoneInfo("Asia/Almaty")


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, LOCAL)


def day_end(d: date) -> datetime:
    """The first instant after day `d` (exclusive bound)."""
    return day_start(d + timedelta(days=1))


def local_today() -> date:
    return datetime.now(LOCAL).date()


def check_period(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise invalid_param("date_to", "The end of the period cannot be before its start.", code="dates-out-of-order")
    if (date_to - date_from).days > 3660:
        raise invalid_param("date_to", "The period cannot be longer than ten years.", code="period-too-long")


# ---------------------------------------------------------------- balances


@dataclass(frozen=True)
class Balance:
    waste_code: str
    balance_kg: int


def balances(db: Session, site_id: int, at: date | None = None, waste_code: str | None = None) -> list[Balance]:
    """What a site holds per waste code: now (stored balances) or at the end of a local date
    (sum of entries effective by then). Codes with a zero balance are left out."""
    if at is None:
        q = select(LedgerAccount.waste_code, LedgerAccount.balance_kg).where(
            LedgerAccount.site_id == site_id, LedgerAccount.kind == AccountKind.SITE, LedgerAccount.balance_kg != 0)
        if waste_code:
            q = q.where(LedgerAccount.waste_code == waste_code)
        return [Balance(c, b) for c, b in db.execute(q.order_by(LedgerAccount.waste_code))]
    total = func.sum(LedgerEntry.amount_kg)
    q = (select(LedgerAccount.waste_code, total).join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
         .where(LedgerAccount.site_id == site_id, LedgerAccount.kind == AccountKind.SITE, LedgerEntry.effective_at < day_end(at))
         .group_by(LedgerAccount.waste_code).order_by(LedgerAccount.waste_code))
    if waste_code:
        q = q.where(LedgerAccount.waste_code == waste_code)
    return [Balance(c, int(b)) for c, b in db.execute(q) if b]


def balance_kg(db: Session, site_id: int, waste_code: str, at: date | None = None) -> int:
    rows = balances(db, site_id, at, waste_code)
    return rows[0].balance_kg if rows else 0


# ---------------------------------------------------------------- movements


@dataclass(frozen=True)
class Movement:
    entry_id: int
    transaction_id: int
    kind: str
    line: str
    waste_code: str
    amount_kg: int
    effective_at: datetime
    counterparty_site_id: int | None
    counterparty_site_name: str | None
    ref_type: str | None
    ref_id: str | None
    operation: str | None
    reversed: bool  # this transaction was later reversed
    reverses_id: int | None


def movements(db: Session, site_id: int, date_from: date | None = None, date_to: date | None = None, waste_code: str | None = None,
              limit: int = 100, offset: int = 0) -> tuple[list[Movement], int]:
    """Entries on the site's accounts, newest first, with the transaction they belong to."""
    rev = aliased(LedgerTransaction)
    cond = [LedgerAccount.site_id == site_id, LedgerAccount.kind == AccountKind.SITE]
    if date_from:
        cond.append(LedgerEntry.effective_at >= day_start(date_from))
    if date_to:
        cond.append(LedgerEntry.effective_at < day_end(date_to))
    if waste_code:
        cond.append(LedgerAccount.waste_code == waste_code)
    base = select(LedgerEntry.id).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id).where(*cond)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    q = (
        select(LedgerEntry.id, LedgerEntry.transaction_id, LedgerTransaction.kind, LedgerEntry.line, LedgerAccount.waste_code, LedgerEntry.amount_kg,
               LedgerEntry.effective_at, LedgerTransaction.site_id, LedgerTransaction.counterparty_site_id, LedgerTransaction.ref_type,
               LedgerTransaction.ref_id, LedgerTransaction.operation, rev.id, LedgerTransaction.reverses_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(rev, rev.reverses_id == LedgerTransaction.id)
        .where(*cond).order_by(LedgerEntry.effective_at.desc(), LedgerEntry.id.desc()).limit(limit).offset(offset)
    )
    rows = db.execute(q).all()
    others = {r[8] if r[7] == site_id else r[7] for r in rows}
    names = site_infos(db, others)
    out = []
    for r in rows:
        other = r[8] if r[7] == site_id else r[7]
        out.append(Movement(r[0], r[1], r[2], r[3], r[4], r[5], r[6], other, names[other].name if other in names else None,
                            r[9], r[10], r[11], r[12] is not None, r[13]))
    return out, total


# ---------------------------------------------------------------- mass balance


# Every line of a site-account entry falls in exactly one column, so that
# closing = opening + generated + received + returned + produced - processed - sent - disposed - exported.
INFLOWS = ("generated", "received", "returned", "produced")
OUTFLOWS = ("processed", "sent", "disposed", "exported")
LINE_COLUMN = {
    "generated": "generated", "accepted": "received", "refused": "returned", "returned": "returned", "output": "produced",
    "residue": "produced", "input": "processed", "pickup": "sent", "excess": "sent", "disposed": "disposed", "exported": "exported",
}


@dataclass
class MassBalanceRow:
    waste_code: str
    opening: int = 0
    generated: int = 0
    received: int = 0
    returned: int = 0
    produced: int = 0
    processed: int = 0
    sent: int = 0
    disposed: int = 0
    exported: int = 0
    loss: int = 0  # declared processing loss, part of `processed`
    closing: int = 0

    @property
    def computed_closing(self) -> int:
        return self.opening + sum(getattr(self, c) for c in INFLOWS) - sum(getattr(self, c) for c in OUTFLOWS)


@dataclass
class MassBalance:
    site_id: int
    site_name: str
    organization_name: str
    organization_bin: str
    date_from: date
    date_to: date
    rows: list[MassBalanceRow]
    products: list[tuple[str, int]] = field(default_factory=list)  # end-of-waste products made at the site
    total: MassBalanceRow | None = None


def mass_balance(db: Session, site_id: int, date_from: date, date_to: date) -> MassBalance:
    """The mass balance of a site for a period per waste code: the shape of Order 690 Appendix 1
    Section A (opening, collected = received, closing) and Section B (processed, products)."""
    check_period(date_from, date_to)
    info = site_infos(db, [site_id])[site_id]
    start, end = day_start(date_from), day_end(date_to)
    rows: dict[str, MassBalanceRow] = {}

    def row(code: str) -> MassBalanceRow:
        return rows.setdefault(code, MassBalanceRow(code))

    site_acct = and_(LedgerAccount.site_id == site_id, LedgerAccount.kind == AccountKind.SITE)
    for code, kg in db.execute(select(LedgerAccount.waste_code, func.sum(LedgerEntry.amount_kg)).join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                               .where(site_acct, LedgerEntry.effective_at < start).group_by(LedgerAccount.waste_code)):
        row(code).opening = int(kg or 0)
    for code, line, kg in db.execute(
        select(LedgerAccount.waste_code, LedgerEntry.line, func.sum(LedgerEntry.amount_kg)).join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(site_acct, LedgerEntry.effective_at >= start, LedgerEntry.effective_at < end).group_by(LedgerAccount.waste_code, LedgerEntry.line)
    ):
        column = LINE_COLUMN[line]
        r = row(code)
        signed = int(kg or 0) if column in INFLOWS else -int(kg or 0)
        setattr(r, column, getattr(r, column) + signed)
    # Loss and products are booked on world accounts by the site's processing transactions.
    world = (select(LedgerAccount.kind, LedgerAccount.waste_code, func.sum(LedgerEntry.amount_kg))
             .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id).join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
             .where(LedgerTransaction.site_id == site_id, LedgerAccount.kind.in_([AccountKind.LOSS, AccountKind.PRODUCT]), LedgerEntry.line.in_(["loss", "output"]),
                    LedgerEntry.effective_at >= start, LedgerEntry.effective_at < end)
             .group_by(LedgerAccount.kind, LedgerAccount.waste_code))
    products = []
    for kind, code, kg in db.execute(world):
        if kind == AccountKind.LOSS:
            row(code).loss += int(kg or 0)
        elif kg:
            products.append((code, int(kg)))
    for r in rows.values():
        r.closing = r.computed_closing
    ordered = sorted((r for r in rows.values() if any(getattr(r, c) for c in ("opening", *INFLOWS, *OUTFLOWS, "loss"))), key=lambda r: r.waste_code)
    total = MassBalanceRow("")
    for r in ordered:
        for c in ("opening", *INFLOWS, *OUTFLOWS, "loss", "closing"):
            setattr(total, c, getattr(total, c) + getattr(r, c))
    return MassBalance(site_id, info.name, info.organization_name, info.organization_bin, date_from, date_to, ordered, sorted(products), total)


def kg_to_t(kg: int) -> str:
    """Kilograms shown as tonnes with three decimals."""
    sign = "-" if kg < 0 else ""
    kg = abs(kg)
    return f"{sign}{kg // 1000:,}.{kg % 1000:03d}".replace(",", "\u202f")


def transaction_kinds() -> list[str]:
    return [k.value for k in Kind]


# ---------------------------------------------------------------- one transaction


@dataclass
class EntryDetail:
    account_id: int
    account_kind: str
    site_id: int | None
    waste_code: str
    amount_kg: int
    line: str


@dataclass
class TransactionDetail:
    id: int
    kind: str
    site_id: int | None
    counterparty_site_id: int | None
    waste_code: str | None
    mass_kg: int
    operation: str | None
    country: str | None
    ref_type: str | None
    ref_id: str | None
    effective_at: datetime
    recorded_at: datetime
    idempotency_key: str
    settles_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    note: str | None
    user_id: int | None
    entries: list[EntryDetail]

    @property
    def reference(self) -> dict | None:
        return {"type": self.ref_type, "id": self.ref_id} if self.ref_type else None

    @property
    def site_ids(self) -> set[int]:
        return {i for i in (self.site_id, self.counterparty_site_id, *(e.site_id for e in self.entries)) if i is not None}


def transaction_detail(db: Session, transaction_id: int) -> TransactionDetail:
    from qaldyq.core.errors import not_found

    tx = db.get(LedgerTransaction, transaction_id)
    if tx is None:
        raise not_found("Transaction {id} does not exist.", id=transaction_id)
    reversed_by = db.scalar(select(LedgerTransaction.id).where(LedgerTransaction.reverses_id == tx.id))
    entries = [EntryDetail(*r) for r in db.execute(
        select(LedgerEntry.account_id, LedgerAccount.kind, LedgerAccount.site_id, LedgerAccount.waste_code, LedgerEntry.amount_kg, LedgerEntry.line)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id).where(LedgerEntry.transaction_id == tx.id).order_by(LedgerEntry.id))]
    return TransactionDetail(tx.id, tx.kind, tx.site_id, tx.counterparty_site_id, tx.waste_code, tx.mass_kg, tx.operation, tx.country, tx.ref_type,
                             tx.ref_id, tx.effective_at, tx.recorded_at, tx.idempotency_key, tx.settles_id, tx.reverses_id, reversed_by, tx.note,
                             tx.user_id, entries)


def transactions_by_reference(db: Session, ref_type: str, ref_id: str) -> list[TransactionDetail]:
    ids = db.scalars(select(LedgerTransaction.id).where(LedgerTransaction.ref_type == ref_type, LedgerTransaction.ref_id == ref_id).order_by(LedgerTransaction.id))
    return [transaction_detail(db, i) for i in ids]
