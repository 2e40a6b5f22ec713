"""The set-based path of bulk (transfers/batch.py) against the one-by-one path: the same results
and ledger, a number of statements that does not grow with the batch, failed items undone in
memory, and what it cannot decide handed to the one-by-one path."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select

from qaldyq.core.auth import principal_for_user
from qaldyq.core.errors import conflict
from qaldyq.core.models import User
from qaldyq.ledger import reports as ledger_reports
from qaldyq.ledger.models import LedgerTransaction
from qaldyq.signing.models import StoredSignature
from qaldyq.transfers import batch as batches
from qaldyq.transfers import bulk, service
from qaldyq.transfers.models import TransferDocument
from tests.factories import make_site
from tests.signing.pki import sign_b64
from tests.transfers.test_bulk import draft_data


def principal(db, party):
    return principal_for_user(db.get(User, party.user.id), "test")


def signed(db, party, numbers, action, tag):
    p = principal(db, party)
    out = []
    for n, (payload, _v, _a) in zip(numbers, service.signing_requests(db, p, [(n, action) for n in numbers])):
        out.append({"idempotency_key": f"{tag}-{n}", "op": "sign", "number": n,
                    "data": {"action": action, "sha256": hashlib.sha256(payload).hexdigest(), "signature": sign_b64(party.key, payload)}})
    return out


def run(db, party, items):
    results = bulk.run(db, principal(db, party), items)
    db.flush()
    return results


def lifecycle(world, db, n: int, tag: str) -> list[str]:
    """n documents from draft to accepted, one bulk call per phase; returns their numbers."""
    created = run(db, world.consignor, [{"idempotency_key": f"{tag}-create-{i}", "op": "create",
                                         "data": draft_data(world, declared_mass_kg=1000 + i)} for i in range(n)])
    numbers = [r.number for r in created]
    assert all(r.ok for r in created)
    assert all(r.ok for r in run(db, world.consignor, signed(db, world.consignor, numbers, "sign_consignor", f"{tag}-sc")))
    assert all(r.ok for r in run(db, world.carrier, [{"idempotency_key": f"{tag}-veh-{x}", "op": "vehicle", "number": x,
                                                      "data": {"vehicle_id": world.truck.id, "expected_version": 2}} for x in numbers]))
    assert all(r.ok for r in run(db, world.carrier, signed(db, world.carrier, numbers, "sign_carrier", f"{tag}-sk")))
    now = datetime.now(timezone.utc).isoformat()
    assert all(r.ok for r in run(db, world.receiver, [
        {"idempotency_key": f"{tag}-w-{x}", "op": "weighing", "number": x,
         "data": {"instrument_id": world.scale.id, "gross_kg": 11000 + 990 + i, "tare_kg": 11000, "weighed_at": now, "expected_version": 4}}
        for i, x in enumerate(numbers)]))
    assert all(r.ok for r in run(db, world.receiver, signed(db, world.receiver, numbers, "receive", f"{tag}-rc")))
    assert all(r.ok for r in run(db, world.receiver, [
        {"idempotency_key": f"{tag}-a-{x}", "op": "acceptance", "number": x, "data": {"accepted_kg": 990 + i - (i % 2) * 10, "refused_kg": (i % 2) * 10,
                                                                                     "refusal_reason": "примеси" if i % 2 else None, "expected_version": 6}}
        for i, x in enumerate(numbers)]))
    assert all(r.ok for r in run(db, world.receiver, signed(db, world.receiver, numbers, "accept", f"{tag}-ac")))
    return numbers


@contextmanager
def one_by_one(monkeypatch):
    """Force the one-by-one path, as when the batch path hands a batch over."""
    def refuse(*_a, **_k):
        raise batches.Fallback
    with monkeypatch.context() as m:
        m.setattr(bulk, "_batch_for", refuse)
        yield


def shape(db, numbers):
    docs = [db.scalar(select(TransferDocument).where(TransferDocument.number == n)) for n in numbers]
    return [(d.state, d.version, d.declared_mass_kg, d.net_kg, d.accepted_kg, d.refused_kg, d.pending_txn_id is not None, len(d.warnings)) for d in docs]


def test_batch_and_one_by_one_give_the_same_documents_and_ledger(world, db, monkeypatch):
    fast = lifecycle(world, db, 6, "fast")
    gen_after_fast = ledger_reports.balance_kg(db, world.gen_site.id, "15 01 02")
    rec_after_fast = ledger_reports.balance_kg(db, world.rec_site.id, "15 01 02")
    with one_by_one(monkeypatch):
        slow = lifecycle(world, db, 6, "slow")
    assert shape(db, fast) == shape(db, slow)
    assert all(s[0] == "accepted" or s[0] == "partially_accepted" for s in shape(db, fast))
    # the second run moved exactly what the first did; the refused mass returned to the generator
    # and the next pick-up drew on it first, so the generator ends where it ended after the first
    assert ledger_reports.balance_kg(db, world.rec_site.id, "15 01 02") == 2 * rec_after_fast
    assert ledger_reports.balance_kg(db, world.gen_site.id, "15 01 02") == gen_after_fast == 30
    for n in fast + slow:
        v = service.verify_document(db, n)
        assert v["intact"] and len(v["signatures"]) == 4, v["problems"]
        kinds = sorted(t.kind for t in ledger_reports.transactions_by_reference(db, "transfer", n))
        assert kinds == ["generation", "transfer_pending", "transfer_posted"]


def statements(db, fn) -> list[str]:
    conn = db.connection()
    seen = []
    listener = lambda conn, cursor, statement, *a: seen.append(statement.split()[0])  # noqa: E731
    event.listen(conn, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(conn, "before_cursor_execute", listener)
    return seen


def test_statements_do_not_grow_with_the_batch(world, db):
    few = [world.draft()["number"] for _ in range(2)]
    many = [world.draft()["number"] for _ in range(12)]
    items_few = signed(db, world.consignor, few, "sign_consignor", "few")
    items_many = signed(db, world.consignor, many, "sign_consignor", "many")
    few_sql = statements(db, lambda: run(db, world.consignor, items_few))
    many_sql = statements(db, lambda: run(db, world.consignor, items_many))
    reads = lambda sql: [s for s in sql if s != "INSERT"]  # noqa: E731
    assert reads(many_sql) == reads(few_sql) and len(few_sql) < 40, (few_sql, many_sql)
    if db.get_bind().dialect.name == "postgresql":  # SQLite's driver inserts with RETURNING row by row, in process
        assert len(many_sql) == len(few_sql)
    assert {db.scalar(select(TransferDocument.state).where(TransferDocument.number == n)) for n in few + many} == {"signed_by_consignor"}


def test_an_item_failing_after_it_changed_things_leaves_no_trace(world, db, monkeypatch):
    """The undo: a failure raised after the item moved the document and emitted ledger plans."""
    a, b = (world.draft()["number"] for _ in range(2))
    for n in (a, b):
        assert world.sign(world.consignor, n, "sign_consignor").status_code == 200
        assert world.put(world.carrier, n, "vehicle", {"vehicle_id": world.truck.id, "expected_version": 2}).status_code == 200
    real = service._effect

    def effect_then_fail(db_, principal_, doc, action):
        real(db_, principal_, doc, action)
        if doc.number == a:
            raise conflict("/action", "Simulated failure after the effect.", code="simulated")

    monkeypatch.setattr(service, "_effect", effect_then_fail)
    results = run(db, world.carrier, signed(db, world.carrier, [a, b], "sign_carrier", "undo"))
    assert [r.ok for r in results] == [False, True]
    assert results[0].problem.code == "simulated"
    doc_a = db.scalar(select(TransferDocument).where(TransferDocument.number == a))
    assert (doc_a.state, doc_a.version, doc_a.picked_up_at, doc_a.pending_txn_id, doc_a.legs[0].taken_over_at, doc_a.legs[0].site_id) == ("signed_by_consignor", 3, None, None, None, None)
    assert db.scalar(select(func.count()).select_from(StoredSignature).where(StoredSignature.document_id == a, StoredSignature.action == "sign_carrier")) == 0
    assert ledger_reports.transactions_by_reference(db, "transfer", a) == []
    doc_b = db.scalar(select(TransferDocument).where(TransferDocument.number == b))
    assert doc_b.state == "in_transit" and doc_b.pending_txn_id is not None
    assert service.verify_document(db, a)["intact"] and service.verify_document(db, b)["intact"]


def test_what_the_batch_cannot_decide_goes_one_by_one(world, db):
    """A consignor that is not a generator must hold what it ships: the set-based balance check
    fails for the batch, and the one-by-one path tells which item lacks stock."""
    sorting = make_site(db, world.consignor.org, "sorting", name="Сортировка", lat=51.15, lon=71.45)
    stocked, empty = world.draft()["number"], world.draft(consignor_site_id=sorting.id)["number"]
    for n in (stocked, empty):
        assert world.sign(world.consignor, n, "sign_consignor").status_code == 200
        assert world.put(world.carrier, n, "vehicle", {"vehicle_id": world.truck.id, "expected_version": 2}).status_code == 200
    before = db.scalar(select(func.count()).select_from(LedgerTransaction))
    results = run(db, world.carrier, signed(db, world.carrier, [stocked, empty], "sign_carrier", "fb"))
    assert [r.ok for r in results] == [True, False]
    assert results[1].problem.code == "insufficient-balance"
    assert db.scalar(select(TransferDocument.state).where(TransferDocument.number == empty)) == "signed_by_consignor"
    assert db.scalar(select(func.count()).select_from(LedgerTransaction)) == before + 2  # generation and pick-up of the stocked one




def test_signing_requests_in_one_call(world, db):
    a, b = world.draft()["number"], world.draft()["number"]
    r = world.http.post("/api/v1/transfers/bulk/signing-requests", headers={**world.consignor.headers, "Accept-Language": "ru"}, json={"items": [
        {"number": a, "action": "sign_consignor"}, {"number": "TD-2026-999999", "action": "sign_consignor"},
        {"number": b, "action": "sign_carrier"}, {"number": b, "action": "sign_consignor"}]})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [x["ok"] for x in items] == [True, False, False, True]
    single = world.http.get(f"/api/v1/transfers/{a}/signing-request", params={"action": "sign_consignor"}, headers=world.consignor.headers).json()
    assert (items[0]["payload"], items[0]["sha256"], items[0]["version"]) == (single["payload"], single["sha256"], 1)
    assert items[1]["problem"]["status"] == 404 and a not in items[1]["problem"]["detail"]
    assert items[2]["problem"]["status"] == 409 and items[2]["problem"]["errors"][0]["pointer"] == "/items/2/action"
    assert "подпис" in items[2]["problem"]["detail"].lower() or "действ" in items[2]["problem"]["detail"].lower()
    # what was answered is what the bulk signatures need
    sigs = [{"idempotency_key": f"api-{x['number']}", "op": "sign", "number": x["number"],
             "data": {"action": "sign_consignor", "sha256": x["sha256"], "signature": sign_b64(world.consignor.key, x["payload"].encode())}}
            for x in (items[0], items[3])]
    done = world.http.post("/api/v1/transfers/bulk", json={"items": sigs}, headers=world.consignor.headers).json()
    assert done["succeeded"] == 2 and {x["state"] for x in done["items"]} == {"signed_by_consignor"}
    # bad input: too many, unknown action, anonymous
    too_many = world.http.post("/api/v1/transfers/bulk/signing-requests", headers=world.consignor.headers,
                               json={"items": [{"number": a, "action": "accept"}] * 1001})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["pointer"] == "/items"
    bad = world.http.post("/api/v1/transfers/bulk/signing-requests", headers=world.consignor.headers, json={"items": [{"number": a, "action": "teleport"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/items/0/action"
    assert world.http.post("/api/v1/transfers/bulk/signing-requests", json={"items": [{"number": a, "action": "accept"}]}).status_code == 401
