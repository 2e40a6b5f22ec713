"""Many connections write to the same accounts at once on PostgreSQL: the balances stay exact and
never negative, a transfer is settled once, and a retried key records once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import text

from qaldyq.core.database import Database
from qaldyq.core.errors import Problem
from qaldyq.ledger import reports
from qaldyq.ledger import service as L
from qaldyq.ledger.integrity import verify_ledger
from tests.factories import make_org, make_site

pytestmark = pytest.mark.concurrency
MSW = "20 03 01"
THREADS = 12  # the PostgreSQL server is shared: stay well below max_connections


@pytest.fixture
def shared(backend, fresh_url):
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite serializes writers)")
    database = Database(fresh_url, pool_size=THREADS + 2, max_overflow=0)
    with database.session() as s:
        org = make_org(s)
        site, other = make_site(s, org), make_site(s, make_org(s))
        L.record_generation(s, key="stock", site_id=site.id, waste_code=MSW, mass_kg=1_000)
        s.commit()
        ids = site.id, other.id
    yield database, ids
    database.dispose()


def _race(database, work) -> Counter:
    """Run `work(session, i)` in THREADS threads released together; each commits its own
    transaction. Returns the count of outcomes (problem codes or 'ok')."""
    barrier = threading.Barrier(THREADS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def run(i):
        with database.session() as s:
            barrier.wait()
            try:
                work(s, i)
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
        t.join(60)
    return outcomes


def test_concurrent_withdrawals_never_overdraw(shared):
    database, (site, _) = shared
    # 12 withdrawals of 150 kg from 1,000 kg: exactly 6 fit (900 kg), 6 must be refused.
    outcomes = _race(database, lambda s, i: L.record_disposal(s, key=f"w{i}", site_id=site, waste_code=MSW, mass_kg=150))
    assert outcomes == Counter({"ok": 6, "insufficient-balance": 6})
    with database.session() as s:
        assert reports.balance_kg(s, site, MSW) == 100
        assert s.execute(text("select min(balance_kg) from ledger_accounts where balance_kg is not null")).scalar() >= 0
        assert s.execute(text("select count(*) from ledger_transactions where kind = 'disposal'")).scalar() == 6
        assert verify_ledger(s).ok


def test_concurrent_mixed_writers_keep_exact_balances(shared):
    database, (site, other) = shared

    def work(s, i):
        if i % 3 == 0:
            L.record_generation(s, key=f"g{i}", site_id=site, waste_code=MSW, mass_kg=100)
        elif i % 3 == 1:
            L.record_disposal(s, key=f"d{i}", site_id=site, waste_code=MSW, mass_kg=150)
        else:
            p = L.pend_transfer(s, key=f"p{i}", consignor_site_id=site, receiver_site_id=other, waste_code=MSW, mass_kg=120)
            L.post_transfer(s, key=f"s{i}", pending_id=p.transaction_id, accepted_kg=120)

    outcomes = _race(database, work)
    with database.session() as s:
        disposed = s.execute(text("select coalesce(sum(mass_kg), 0) from ledger_transactions where kind = 'disposal'")).scalar()
        generated = s.execute(text("select coalesce(sum(mass_kg), 0) from ledger_transactions where kind = 'generation'")).scalar()
        sent = s.execute(text("select coalesce(sum(mass_kg), 0) from ledger_transactions where kind = 'transfer_posted'")).scalar()
        assert reports.balance_kg(s, site, MSW) == generated - disposed - sent >= 0
        assert reports.balance_kg(s, other, MSW) == sent
        assert outcomes["ok"] >= 4 and sum(outcomes.values()) == THREADS
        assert verify_ledger(s).ok


def test_double_acceptance_racing_from_many_clients_settles_once(shared):
    database, (site, other) = shared
    with database.session() as s:
        pending = L.pend_transfer(s, key="pick", consignor_site_id=site, receiver_site_id=other, waste_code=MSW, mass_kg=500).transaction_id
        s.commit()
    outcomes = _race(database, lambda s, i: L.post_transfer(s, key=f"accept-{i}", pending_id=pending, accepted_kg=500))
    assert outcomes == Counter({"ok": 1, "transfer-settled": THREADS - 1})
    with database.session() as s:
        assert reports.balance_kg(s, other, MSW) == 500
        assert L.pending_transfer(s, pending).open_kg == 0
        assert verify_ledger(s).ok


def test_the_same_key_retried_concurrently_records_once(shared):
    database, (site, _) = shared
    outcomes = _race(database, lambda s, i: L.record_generation(s, key="retry-me", site_id=site, waste_code=MSW, mass_kg=10))
    assert outcomes == Counter({"ok": THREADS})
    with database.session() as s:
        assert s.execute(text("select count(*) from ledger_transactions where idempotency_key = 'retry-me'")).scalar() == 1
        assert reports.balance_kg(s, site, MSW) == 1_010
