"""verify_ledger: the invariants, checked from what is stored.

1. every transaction has at least two entries and they sum to zero;
2. every stored balance equals the sum of its account's entries and is not negative;
3. world accounts keep their sign (generation <= 0; disposal, loss, export, product >= 0);
4. a reversal's entries are the exact negation of the reversed transaction's, per account;
5. every transaction's entries are the ones its audit record (hash-chained) says were posted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from qaldyq.core.models import AuditRecord
from qaldyq.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from qaldyq.ledger.service import SOURCES, AccountKind

MAX_PROBLEMS = 100


@dataclass
class LedgerCheck:
    ok: bool = True
    transactions: int = 0
    entries: int = 0
    accounts: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)


def verify_ledger(db: Session, batch: int = 5000, progress=None) -> LedgerCheck:
    check = LedgerCheck()
    check.transactions = db.scalar(select(func.count()).select_from(LedgerTransaction)) or 0
    check.entries = db.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    check.accounts = db.scalar(select(func.count()).select_from(LedgerAccount)) or 0

    # 1. balanced transactions
    sums = (select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_kg), func.count())
            .group_by(LedgerEntry.transaction_id).having((func.sum(LedgerEntry.amount_kg) != 0) | (func.count() < 2)))
    for tx_id, total, n in db.execute(sums):
        check.fail(f"transaction {tx_id}: {n} entries summing to {total} kg")
    empty = select(LedgerTransaction.id).where(~select(LedgerEntry.id).where(LedgerEntry.transaction_id == LedgerTransaction.id).exists())
    for (tx_id,) in db.execute(empty):
        check.fail(f"transaction {tx_id} has no entries")

    # 2 and 3. balances and signs
    per_account = (select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.balance_kg, func.coalesce(func.sum(LedgerEntry.amount_kg), 0))
                   .outerjoin(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id).group_by(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.balance_kg))
    for aid, kind, stored, total in db.execute(per_account):
        total = int(total)
        if stored is not None:
            if stored != total:
                check.fail(f"account {aid}: stored balance {stored} kg, entries sum to {total} kg")
            if stored < 0:
                check.fail(f"account {aid}: negative balance {stored} kg")
        elif kind in (AccountKind.SITE, AccountKind.TRANSIT):
            check.fail(f"account {aid}: {kind} account without a stored balance")
        elif (total > 0) if kind in SOURCES else (total < 0):
            check.fail(f"account {aid}: {kind} world account has the wrong sign ({total} kg)")

    # 4. reversals mirror what they reverse
    orig = aliased(LedgerTransaction)
    pairs = dict(db.execute(select(LedgerTransaction.id, orig.id).join(orig, orig.id == LedgerTransaction.reverses_id)).all())
    if pairs:
        net: dict[tuple[int, int], int] = defaultdict(int)
        ids = list(pairs) + list(pairs.values())
        for i in range(0, len(ids), batch):
            for tx_id, aid, amount in db.execute(select(LedgerEntry.transaction_id, LedgerEntry.account_id, LedgerEntry.amount_kg).where(LedgerEntry.transaction_id.in_(ids[i:i + batch]))):
                net[(tx_id, aid)] += amount
        for rev, original in pairs.items():
            accounts = {a for (t, a) in net if t in (rev, original)}
            if any(net.get((rev, a), 0) + net.get((original, a), 0) for a in accounts):
                check.fail(f"reversal {rev} does not mirror transaction {original}")

    # 5. entries as audited
    last, done = 0, 0
    while True:
        tx_ids = list(db.scalars(select(LedgerTransaction.id).where(LedgerTransaction.id > last).order_by(LedgerTransaction.id).limit(batch)))
        if not tx_ids:
            break
        stored_entries: dict[int, list] = defaultdict(list)
        for tx_id, aid, amount, line in db.execute(select(LedgerEntry.transaction_id, LedgerEntry.account_id, LedgerEntry.amount_kg, LedgerEntry.line)
                                                   .where(LedgerEntry.transaction_id.in_(tx_ids)).order_by(LedgerEntry.id)):
            stored_entries[tx_id].append([aid, amount, line])
        audited = {}
        for entity_id, after in db.execute(select(AuditRecord.entity_id, AuditRecord.after).where(
                AuditRecord.entity == "ledger_transactions", AuditRecord.action == "post", AuditRecord.entity_id.in_([str(t) for t in tx_ids]))):
            after = json.loads(after) if isinstance(after, str) else after
            audited[int(entity_id)] = after.get("entries") if after else None
        for tx_id in tx_ids:
            if tx_id not in audited:
                check.fail(f"transaction {tx_id} has no audit record")
            elif sorted(map(tuple, audited[tx_id] or [])) != sorted(map(tuple, stored_entries.get(tx_id, []))):
                check.fail(f"transaction {tx_id}: entries differ from the audited posting")
        last = tx_ids[-1]
        done += len(tx_ids)
        if progress:
            progress(done, check.transactions)
    return check
