"""Many clients claim the same tonnes at once on PostgreSQL (fresh database, real commits):
exactly one claim wins, every ledger transaction backs at most one claim line per operation."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from qaldyq.core.auth import Principal
from qaldyq.core.database import Database
from qaldyq.core.errors import Problem
from qaldyq.core.roles import Role
from qaldyq.payouts import service
from qaldyq.payouts.models import PayoutClaim, PayoutClaimLine
from tests.factories import make_user
from tests.payouts.conftest import build_books

THREADS = 10


@pytest.fixture
def shared(backend, fresh_url):
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite serializes writers)")
    database = Database(fresh_url, pool_size=THREADS + 2, max_overflow=0)
    with database.session() as s:
        b = build_books(s)
        user = make_user(s, b["recycler"], "org_admin")
        s.commit()
        principal = Principal(user_id=user.id, username=user.username, full_name="x", org_id=b["recycler"].id, org_name="x",
                              role=Role.ORG_ADMIN, region_kato=b["recycler"].region_kato, via="test")
        info = principal, b["posted"]
    yield database, info
    database.dispose()


def test_many_clients_claim_the_same_tonnes_exactly_one_wins(shared):
    database, (principal, posted) = shared
    barrier = threading.Barrier(THREADS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(i):
        with database.session() as s:
            barrier.wait()
            try:
                # half ask for everything in October, half cite the transactions (one per day range)
                kw = {"transaction_ids": posted} if i % 2 else {}
                service.create_claim(s, principal, organization_id=principal.org_id, operation="collection",
                                     period_from=date(2026, 10, 1), period_to=date(2026, 10, 31), **kw)
                s.commit()
                result = "ok"
            except Problem as exc:
                s.rollback()
                result = exc.code
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert outcomes["ok"] == 1, outcomes
    assert sum(outcomes.values()) == THREADS
    assert set(outcomes) <= {"ok", "already-claimed", "period-claimed"}
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(PayoutClaim)) == 1
        per_txn = s.execute(select(PayoutClaimLine.transaction_id, func.count()).group_by(PayoutClaimLine.transaction_id)).all()
        assert sorted(t for t, _ in per_txn) == sorted(posted) and all(n == 1 for _, n in per_txn)


def test_the_database_itself_refuses_a_second_line(db, books):
    from tests.payouts.test_claims import OCT  # noqa: F401  (same books)

    claim = PayoutClaim(number="PC-TEST-1", organization_id=books.recycler.id, contract_id=books.contract.id, operation="collection",
                        period_from=date(2026, 10, 1), period_to=date(2026, 10, 31), status="draft", mass_kg=1, amount_kzt=1)
    db.add(claim)
    db.flush()
    line = dict(claim_id=claim.id, transaction_id=books.posted[0], operation="collection", waste_code="15 01 02", category="packaging-polymer",
                mass_kg=1, effective_on=date(2026, 10, 5), rate_mrp=1, amount_kzt=1, explanation={})
    db.add(PayoutClaimLine(**line))
    db.flush()
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(PayoutClaimLine(**line))
            db.flush()
