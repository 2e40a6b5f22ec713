"""The chain of custody of a transaction's mass: where it came from and where it went, through
the sites, down to the generators and to the final operations.

Mass in an account is fungible, so the ledger attributes it first-in, first-out: the kilograms an
entry brought into an account are the ones the next withdrawals took, in effective-time order.
Inside a transaction that mixes (processing, a partial acceptance) mass is shared in proportion
to the entries. A transaction that was reversed, and its reversal, take no part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from qaldyq.core.errors import not_found
from qaldyq.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from qaldyq.ledger.service import GUARDED, AccountKind, Kind
from qaldyq.ledger.sites import site_infos

MIN_KG = 0.5  # links carrying less are not shown


@dataclass
class TxSummary:
    id: int
    kind: str
    site_id: int | None
    site_name: str | None
    counterparty_site_id: int | None
    counterparty_site_name: str | None
    waste_code: str | None
    mass_kg: int
    effective_at: datetime
    ref_type: str | None
    ref_id: str | None
    operation: str | None
    country: str | None
    reversed: bool = False


@dataclass
class ChainNode:
    """A step of the chain: a transaction (or an end point) and the kilograms of the starting
    transaction's mass that went through it."""

    kg: float
    waste_code: str | None
    transaction: TxSummary | None = None
    end: str | None = None  # origin, disposal, export, product, loss, held (still at a site or in transit), unattributed
    end_detail: str | None = None  # product name, site name...
    children: list[ChainNode] = field(default_factory=list)

    @property
    def kg_rounded(self) -> int:
        return int(round(self.kg))


@dataclass
class Chain:
    root: TxSummary
    sources: list[ChainNode]
    destinations: list[ChainNode]
    truncated: bool


@dataclass(frozen=True)
class _Entry:
    id: int
    tx_id: int
    account_id: int
    account_kind: str
    site_id: int | None
    code: str
    amount: int
    effective_at: datetime


class _Walker:
    def __init__(self, db: Session, max_nodes: int, max_depth: int):
        self.db = db
        self.budget = max_nodes
        self.max_depth = max_depth
        self.truncated = False
        self._entries: dict[int, list[_Entry]] = {}
        self._tx: dict[int, TxSummary] = {}

    # -- loading

    def entries(self, tx_id: int) -> list[_Entry]:
        if tx_id not in self._entries:
            rows = self.db.execute(
                select(LedgerEntry.id, LedgerEntry.transaction_id, LedgerEntry.account_id, LedgerAccount.kind, LedgerAccount.site_id,
                       LedgerAccount.waste_code, LedgerEntry.amount_kg, LedgerEntry.effective_at)
                .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id).where(LedgerEntry.transaction_id == tx_id).order_by(LedgerEntry.id)
            ).all()
            self._entries[tx_id] = [_Entry(*r) for r in rows]
        return self._entries[tx_id]

    def summary(self, tx_id: int) -> TxSummary:
        if tx_id not in self._tx:
            self.load_summaries([tx_id])
        return self._tx[tx_id]

    def load_summaries(self, ids) -> None:
        ids = [i for i in ids if i not in self._tx]
        if not ids:
            return
        t, r = LedgerTransaction, aliased(LedgerTransaction)
        rows = self.db.execute(
            select(t.id, t.kind, t.site_id, t.counterparty_site_id, t.waste_code, t.mass_kg, t.effective_at, t.ref_type, t.ref_id, t.operation, t.country, r.id)
            .outerjoin(r, r.reverses_id == t.id).where(t.id.in_(ids))
        ).all()
        names = site_infos(self.db, {x[2] for x in rows} | {x[3] for x in rows})
        for x in rows:
            self._tx[x[0]] = TxSummary(x[0], x[1], x[2], names[x[2]].name if x[2] in names else None, x[3], names[x[3]].name if x[3] in names else None,
                                       x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11] is not None)

    # -- FIFO inside one account

    def _valid(self):
        """Entries of transactions that count: neither a reversal nor reversed."""
        rev = aliased(LedgerTransaction)
        return and_(LedgerTransaction.kind != Kind.REVERSAL, ~exists().where(rev.reverses_id == LedgerTransaction.id))

    def _flows(self, account_id: int, inflow: bool):
        q = (select(LedgerEntry.id, LedgerEntry.transaction_id, LedgerEntry.amount_kg, LedgerEntry.effective_at)
             .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
             .where(LedgerEntry.account_id == account_id, self._valid(), LedgerEntry.amount_kg > 0 if inflow else LedgerEntry.amount_kg < 0))
        return q

    def _before(self, e: _Entry):
        return or_(LedgerEntry.effective_at < e.effective_at, and_(LedgerEntry.effective_at == e.effective_at, LedgerEntry.id < e.id))

    def _sum(self, account_id: int, inflow: bool, e: _Entry) -> int:
        sub = self._flows(account_id, inflow).where(self._before(e)).subquery()
        return abs(int(self.db.scalar(select(func.coalesce(func.sum(sub.c.amount_kg), 0))) or 0))

    def consumers(self, e: _Entry) -> tuple[list[tuple[int, int]], int]:
        """The withdrawals that took the kilograms `e` brought into its account: [(tx, kg)], and
        what is still there."""
        lo = self._sum(e.account_id, True, e)
        hi = lo + e.amount
        before = self._sum(e.account_id, False, e)
        q = self._flows(e.account_id, False).order_by(LedgerEntry.effective_at, LedgerEntry.id)
        if before <= lo:
            cum = before
            q = q.where(~self._before(e))
        else:  # recorded out of time order: walk from the start
            cum = 0
        out, taken = [], 0
        for _id, tx_id, amount, _at in self.db.execute(q.limit(5000)):
            o_lo, o_hi = cum, cum - amount
            overlap = min(hi, o_hi) - max(lo, o_lo)
            if overlap > 0 and tx_id != e.tx_id:
                out.append((tx_id, overlap))
                taken += overlap
            cum = o_hi
            if cum >= hi:
                break
        return out, e.amount - taken

    def suppliers(self, e: _Entry) -> tuple[list[tuple[int, int]], int]:
        """The deposits whose kilograms withdrawal `e` took: [(tx, kg)], and what could not be
        attributed."""
        need = -e.amount
        lo = self._sum(e.account_id, False, e)
        hi = lo + need
        cum = self._sum(e.account_id, True, e)
        q = self._flows(e.account_id, True).where(self._before(e)).order_by(LedgerEntry.effective_at.desc(), LedgerEntry.id.desc())
        out, found = [], 0
        for _id, tx_id, amount, _at in self.db.execute(q.limit(5000)):
            i_hi, i_lo = cum, cum - amount
            overlap = min(hi, i_hi) - max(lo, i_lo)
            if overlap > 0 and tx_id != e.tx_id:
                out.append((tx_id, overlap))
                found += overlap
            cum = i_lo
            if cum <= lo:
                break
        out.reverse()
        return out, need - found

    # -- walking

    def _spend(self) -> bool:
        if self.budget <= 0:
            self.truncated = True
            return False
        self.budget -= 1
        return True

    def forward(self, tx_id: int, kg: float, depth: int) -> list[ChainNode]:
        """Where `kg` of the mass that went into transaction `tx_id` went next."""
        entries = self.entries(tx_id)
        debit = sum(-x.amount for x in entries if x.amount < 0) or 1
        ratio = kg / debit
        nodes: list[ChainNode] = []
        for c in (x for x in entries if x.amount > 0):
            share = c.amount * ratio
            if share < MIN_KG:
                continue
            if c.account_kind not in GUARDED:
                if self._spend():
                    nodes.append(ChainNode(share, c.code, end=c.account_kind, end_detail=c.code if c.account_kind == AccountKind.PRODUCT else None))
                continue
            consumers, held = self.consumers(c)
            self.load_summaries(t for t, _ in consumers)
            for next_tx, part in consumers:
                part_kg = part * share / c.amount
                if part_kg < MIN_KG or not self._spend():
                    continue
                node = ChainNode(part_kg, c.code, self.summary(next_tx))
                if depth < self.max_depth:
                    node.children = self.forward(next_tx, part_kg, depth + 1)
                else:
                    self.truncated = True
                nodes.append(node)
            held_kg = held * share / c.amount
            if held_kg >= MIN_KG and self._spend():
                where = site_infos(self.db, [c.site_id]).get(c.site_id) if c.site_id else None
                nodes.append(ChainNode(held_kg, c.code, end="held", end_detail=where.name if where else None))
        return nodes

    def backward(self, tx_id: int, kg: float, depth: int) -> list[ChainNode]:
        """Where `kg` of the mass that came out of transaction `tx_id` came from."""
        entries = self.entries(tx_id)
        credit = sum(x.amount for x in entries if x.amount > 0) or 1
        ratio = kg / credit
        nodes: list[ChainNode] = []
        for d in (x for x in entries if x.amount < 0):
            share = -d.amount * ratio
            if share < MIN_KG:
                continue
            if d.account_kind not in GUARDED:
                if self._spend():
                    nodes.append(ChainNode(share, d.code, end="origin" if d.account_kind == AccountKind.GENERATION else d.account_kind))
                continue
            suppliers, missing = self.suppliers(d)
            self.load_summaries(t for t, _ in suppliers)
            for prev_tx, part in suppliers:
                part_kg = part * share / -d.amount
                if part_kg < MIN_KG or not self._spend():
                    continue
                node = ChainNode(part_kg, d.code, self.summary(prev_tx))
                if depth < self.max_depth:
                    node.children = self.backward(prev_tx, part_kg, depth + 1)
                else:
                    self.truncated = True
                nodes.append(node)
            missing_kg = missing * share / -d.amount
            if missing_kg >= MIN_KG and self._spend():
                nodes.append(ChainNode(missing_kg, d.code, end="unattributed"))
        return nodes


def chain_of_custody(db: Session, transaction_id: int, max_nodes: int = 300, max_depth: int = 30) -> Chain:
    """Follow the mass of a transaction backwards to where it was generated and forwards to its
    final operations (or to where it still is)."""
    w = _Walker(db, max_nodes, max_depth)
    if db.get(LedgerTransaction, transaction_id) is None:
        raise not_found("Transaction {id} does not exist.", id=transaction_id)
    root = w.summary(transaction_id)
    entries = w.entries(transaction_id)
    moved = sum(x.amount for x in entries if x.amount > 0)
    return Chain(root, w.backward(transaction_id, moved, 1), w.forward(transaction_id, moved, 1), w.truncated)


def chain_for_reference(db: Session, ref_type: str, ref_id: str) -> Chain:
    """The chain of the first transaction recorded for a document (a transfer's pick-up)."""
    tx_id = db.scalar(select(LedgerTransaction.id).where(LedgerTransaction.ref_type == ref_type, LedgerTransaction.ref_id == ref_id,
                                                         LedgerTransaction.kind != Kind.REVERSAL).order_by(LedgerTransaction.id).limit(1))
    if tx_id is None:
        raise not_found("No ledger transaction refers to {ref_type} {ref_id}.", ref_type=ref_type, ref_id=ref_id)
    return chain_of_custody(db, tx_id)
