"""post_many: up to 1,000 postings at once, a result per item, nothing half written."""

from __future__ import annotations

import pytest

from qaldyq.core.errors import Problem
from qaldyq.ledger import reports
from qaldyq.ledger import service as L
from qaldyq.ledger.integrity import verify_ledger

MSW = "20 03 01"


def test_batch_posts_every_item_and_matches_single_postings(db, world):
    g, r = world.gen_site.id, world.rec_site.id
    items = [("generation", {"key": f"g{i}", "site_id": g, "waste_code": MSW, "mass_kg": 100}) for i in range(50)]
    items += [("pend_transfer", {"key": f"p{i}", "consignor_site_id": g, "receiver_site_id": r, "waste_code": MSW, "mass_kg": 90}) for i in range(50)]
    results = L.post_many(db, items)
    assert all(isinstance(x, L.Posting) and x.created for x in results)
    assert [x.kind for x in results] == ["generation"] * 50 + ["transfer_pending"] * 50
    assert reports.balance_kg(db, g, MSW) == 50 * 10
    pendings = [x.transaction_id for x in results[50:]]
    assert {L.pending_transfer(db, p).open_kg for p in pendings} == {90}
    accept = L.post_many(db, [("post_transfer", {"key": f"s{i}", "pending_id": p, "accepted_kg": 85, "refused_kg": 5}) for i, p in enumerate(pendings)])
    assert all(x.created for x in accept)
    assert reports.balance_kg(db, r, MSW) == 50 * 85 and reports.balance_kg(db, g, MSW) == 50 * 15
    check = verify_ledger(db)
    assert check.ok, check.problems


def test_batch_results_per_item_replays_and_refusals(db, world):
    g = world.gen_site.id
    L.record_generation(db, key="old", site_id=g, waste_code=MSW, mass_kg=10)
    results = L.post_many(db, [
        ("generation", {"key": "a", "site_id": g, "waste_code": MSW, "mass_kg": 5}),
        ("generation", {"key": "old", "site_id": g, "waste_code": MSW, "mass_kg": 10}),  # replay
        ("generation", {"key": "old", "site_id": g, "waste_code": MSW, "mass_kg": 11}),  # key reused
        ("generation", {"key": "b", "site_id": g, "waste_code": MSW, "mass_kg": 0}),  # invalid
        ("teleport", {}),
        ("disposal", {"key": "c", "site_id": g, "waste_code": MSW, "mass_kg": 1, "colour": "red"}),
        ("generation", {"key": "a", "site_id": g, "waste_code": MSW, "mass_kg": 5}),  # same key twice in the batch
    ])
    assert results[0].created and not results[1].created
    assert isinstance(results[2], Problem) and results[2].code == "idempotency-conflict"
    assert isinstance(results[3], Problem) and results[3].errors[0].pointer == "/mass_kg"
    assert results[4].code == "enum" and results[4].errors[0].pointer == "/items/4/kind"
    assert results[5].code == "bad-item"
    assert results[6].transaction_id == results[0].transaction_id and not results[6].created
    assert reports.balance_kg(db, g, MSW) == 15


def test_batch_falls_back_to_item_by_item_when_a_balance_would_go_negative(db, world):
    g, lf = world.gen_site.id, world.lf_site.id
    L.record_generation(db, key="stock", site_id=g, waste_code=MSW, mass_kg=100)
    results = L.post_many(db, [("disposal", {"key": f"d{i}", "site_id": g, "waste_code": MSW, "mass_kg": 30}) for i in range(5)]
                          + [("generation", {"key": "lf", "site_id": lf, "waste_code": MSW, "mass_kg": 7})])
    assert [getattr(x, "code", "ok") for x in results] == ["ok", "ok", "ok", "insufficient-balance", "insufficient-balance", "ok"]
    assert reports.balance_kg(db, g, MSW) == 10 and reports.balance_kg(db, lf, MSW) == 7
    assert verify_ledger(db).ok


def test_double_settlement_in_one_batch(db, world):
    g, r = world.gen_site.id, world.rec_site.id
    L.record_generation(db, key="g", site_id=g, waste_code=MSW, mass_kg=100)
    p = L.pend_transfer(db, key="p", consignor_site_id=g, receiver_site_id=r, waste_code=MSW, mass_kg=100).transaction_id
    results = L.post_many(db, [("post_transfer", {"key": "s1", "pending_id": p, "accepted_kg": 100}), ("void_transfer", {"key": "v1", "pending_id": p})])
    assert results[0].created and results[1].code == "transfer-settled"
    assert reports.balance_kg(db, r, MSW) == 100 and verify_ledger(db).ok


def test_batch_size_limit(db):
    with pytest.raises(Problem) as info:
        L.post_many(db, [("generation", {})] * 1001)
    assert info.value.errors[0].pointer == "/items"
