"""Posting: every kind of transaction, idempotency, balances that never go negative, reversals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from qaldyq.core.errors import Problem
from qaldyq.ledger import reports
from qaldyq.ledger import service as L
from qaldyq.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from tests.factories import make_org, make_site

MSW = "20 03 01"  # mixed municipal waste
RES = "19 12 12"  # residues of mechanical treatment


def bal(db, site, code=MSW) -> int:
    return reports.balance_kg(db, site.id, code)


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def refused(fn) -> Problem:
    with pytest.raises(Problem) as info:
        fn()
    return info.value


def entries(db, tx_id) -> list[tuple[str, int, str]]:
    rows = db.execute(select(LedgerAccount.key, LedgerEntry.amount_kg, LedgerEntry.line).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                      .where(LedgerEntry.transaction_id == tx_id).order_by(LedgerEntry.id)).all()
    return [tuple(r) for r in rows]


def test_generation_enters_the_site_from_the_world(db, world):
    p = L.record_generation(db, key="g1", site_id=world.gen_site.id, waste_code=MSW, mass_kg=12_500, reference=L.Reference("journal", "J-7"))
    assert p.created and p.kind == "generation"
    assert entries(db, p.transaction_id) == [(f"generation:{MSW}", -12_500, "generated"), (f"site:{world.gen_site.id}:{MSW}", 12_500, "generated")]
    assert bal(db, world.gen_site) == 12_500
    tx = db.get(LedgerTransaction, p.transaction_id)
    assert (tx.ref_type, tx.ref_id, tx.site_id, tx.mass_kg) == ("journal", "J-7", world.gen_site.id, 12_500)


def test_idempotent_retry_creates_nothing_twice(db, world):
    a = L.record_generation(db, key="same", site_id=world.gen_site.id, waste_code=MSW, mass_kg=100)
    n_tx, n_e = count(db, LedgerTransaction), count(db, LedgerEntry)
    b = L.record_generation(db, key="same", site_id=world.gen_site.id, waste_code=MSW, mass_kg=100)
    assert b.transaction_id == a.transaction_id and not b.created
    assert (count(db, LedgerTransaction), count(db, LedgerEntry)) == (n_tx, n_e)
    assert bal(db, world.gen_site) == 100
    p = refused(lambda: L.record_generation(db, key="same", site_id=world.gen_site.id, waste_code=MSW, mass_kg=101))
    assert p.code == "idempotency-conflict" and p.status == 409 and p.errors[0].pointer == "/idempotency_key"
    assert bal(db, world.gen_site) == 100


def test_transfer_two_phase_posted_in_full(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=10_000)
    p = L.pend_transfer(db, key="pick", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=8_000,
                        reference=L.Reference("transfer", "TD-2026-000001"))
    assert bal(db, world.gen_site) == 2_000 and bal(db, world.lf_site) == 0
    state = L.pending_transfer(db, p.transaction_id)
    assert (state.open_kg, state.mass_kg, state.consignor_site_id, state.receiver_site_id) == (8_000, 8_000, world.gen_site.id, world.lf_site.id)
    s = L.post_transfer(db, key="accept", pending_id=p.transaction_id, accepted_kg=8_000)
    assert entries(db, s.transaction_id) == [(f"transit:{p.transaction_id}", -8_000, "settled"), (f"site:{world.lf_site.id}:{MSW}", 8_000, "accepted")]
    assert bal(db, world.lf_site) == 8_000
    state = L.pending_transfer(db, p.transaction_id)
    assert state.open_kg == 0 and state.settlements == [s.transaction_id]
    again = refused(lambda: L.post_transfer(db, key="accept-2", pending_id=p.transaction_id, accepted_kg=8_000))
    assert again.code == "transfer-settled" and again.status == 409
    assert refused(lambda: L.void_transfer(db, key="void", pending_id=p.transaction_id)).code == "transfer-settled"
    assert bal(db, world.lf_site) == 8_000 and bal(db, world.gen_site) == 2_000


def test_partial_acceptance_refused_part_returns_and_shortfall_is_loss(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=1_000)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.rec_site.id, waste_code=MSW, mass_kg=1_000)
    s = L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=700, refused_kg=280)
    assert entries(db, s.transaction_id) == [
        (f"transit:{p.transaction_id}", -1_000, "settled"), (f"site:{world.rec_site.id}:{MSW}", 700, "accepted"),
        (f"site:{world.gen_site.id}:{MSW}", 280, "refused"), (f"loss:{MSW}", 20, "shortfall"),
    ]
    assert bal(db, world.rec_site) == 700 and bal(db, world.gen_site) == 280


def test_more_received_than_left_draws_the_excess_from_the_consignor(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=1_100)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=1_000)
    s = L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=1_060)
    assert (f"site:{world.gen_site.id}:{MSW}", -60, "excess") in entries(db, s.transaction_id)
    assert bal(db, world.gen_site) == 40 and bal(db, world.lf_site) == 1_060
    p2 = L.pend_transfer(db, key="p2", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=40)
    short = refused(lambda: L.post_transfer(db, key="s2", pending_id=p2.transaction_id, accepted_kg=100))
    assert short.code == "insufficient-balance" and short.errors[0].pointer == "/accepted_kg"
    assert L.pending_transfer(db, p2.transaction_id).open_kg == 40 and bal(db, world.lf_site) == 1_060


def test_refusal_voids_back_to_the_consignor(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=500)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=500)
    v = L.void_transfer(db, key="v", pending_id=p.transaction_id)
    assert v.kind == "transfer_voided"
    assert entries(db, v.transaction_id) == [(f"transit:{p.transaction_id}", -500, "settled"), (f"site:{world.gen_site.id}:{MSW}", 500, "returned")]
    assert bal(db, world.gen_site) == 500 and bal(db, world.lf_site) == 0


def test_settlement_cannot_precede_the_pick_up(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=500)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=500)
    early = datetime.now(timezone.utc) - timedelta(days=1)
    e = refused(lambda: L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=500, effective_at=early))
    assert e.code == "time-out-of-order" and e.errors[0].pointer == "/effective_at"


def test_transfer_guards(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=500)
    same = refused(lambda: L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.gen_site.id, waste_code=MSW, mass_kg=5))
    assert same.code == "same-site" and same.errors[0].pointer == "/receiver_site_id"
    much = refused(lambda: L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=501))
    assert much.code == "insufficient-balance" and much.errors[0].pointer == "/mass_kg"
    assert "holds 500 kg of 20 03 01, less than the 501 kg asked" in much.body("en")["detail"]
    g = L.record_generation(db, key="g2", site_id=world.gen_site.id, waste_code=MSW, mass_kg=5)
    assert refused(lambda: L.post_transfer(db, key="s", pending_id=g.transaction_id, accepted_kg=5)).code == "not-pending"
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=5)
    assert refused(lambda: L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=0, refused_kg=5)).code == "nothing-accepted"


def test_processing_consumes_inputs_into_outputs_residues_and_loss(db, world):
    site = world.rec_site
    L.record_generation(db, key="g1", site_id=site.id, waste_code=MSW, mass_kg=6_000)
    L.record_generation(db, key="g2", site_id=site.id, waste_code="15 01 02", mass_kg=4_000)
    p = L.record_processing(db, key="proc", site_id=site.id, operation="r3",
                            inputs=[L.Mass(MSW, 6_000), L.Mass("15 01 02", 4_000)],
                            outputs=[L.Output("product", "PET flakes", 3_500), L.Output("waste", "19 12 04", 2_000)],
                            residues=[L.Mass(RES, 4_100)], loss_kg=400)
    rows = entries(db, p.transaction_id)
    assert (f"product:PET flakes", 3_500, "output") in rows and (f"site:{site.id}:19 12 04", 2_000, "output") in rows
    assert (f"site:{site.id}:{RES}", 4_100, "residue") in rows
    assert [r for r in rows if r[2] == "loss"] == [(f"loss:{MSW}", 240, "loss"), ("loss:15 01 02", 160, "loss")]  # shared 60:40
    assert sum(r[1] for r in rows) == 0
    assert db.get(LedgerTransaction, p.transaction_id).operation == "R3"
    assert {b.waste_code: b.balance_kg for b in reports.balances(db, site.id)} == {"19 12 04": 2_000, RES: 4_100}


def test_processing_loss_above_tolerance_and_unbalanced_are_refused(db, world):
    site = world.rec_site  # tolerance 5 %
    L.record_generation(db, key="g", site_id=site.id, waste_code=MSW, mass_kg=1_000)
    ok = L.record_processing(db, key="ok", site_id=site.id, inputs=[L.Mass(MSW, 100)], residues=[L.Mass(RES, 95)], loss_kg=5)
    assert ok.created
    high = refused(lambda: L.record_processing(db, key="hi", site_id=site.id, inputs=[L.Mass(MSW, 100)], residues=[L.Mass(RES, 94)], loss_kg=6))
    assert high.code == "loss-above-tolerance" and high.errors[0].pointer == "/loss_kg"
    assert high.body("ru")["detail"] == "Заявленные потери составляют 6.00% входящей массы, что выше допустимых для площадки 5.00%."
    unb = refused(lambda: L.record_processing(db, key="un", site_id=site.id, inputs=[L.Mass(MSW, 100)], residues=[L.Mass(RES, 90)], loss_kg=5))
    assert unb.code == "unbalanced"
    same = refused(lambda: L.record_processing(db, key="sm", site_id=site.id, inputs=[L.Mass(MSW, 100)], outputs=[L.Output("waste", MSW, 100)]))
    assert same.code == "output-is-input" and same.errors[0].pointer == "/outputs/0/code"
    dup = refused(lambda: L.record_processing(db, key="dp", site_id=site.id, inputs=[L.Mass(MSW, 50), L.Mass(MSW, 50)], residues=[L.Mass(RES, 100)]))
    assert dup.code == "duplicate" and dup.errors[0].pointer == "/inputs/1/waste_code"
    none = refused(lambda: L.record_processing(db, key="no", site_id=site.id, inputs=[L.Mass(MSW, 100)], loss_kg=0))
    assert none.code == "no-output"
    short = refused(lambda: L.record_processing(db, key="sh", site_id=site.id, inputs=[L.Mass(MSW, 5_000)], residues=[L.Mass(RES, 5_000)]))
    assert short.code == "insufficient-balance" and short.errors[0].pointer == "/inputs/0/mass_kg"
    bad_op = refused(lambda: L.record_processing(db, key="op", site_id=site.id, inputs=[L.Mass(MSW, 1)], residues=[L.Mass(RES, 1)], operation="X9"))
    assert bad_op.code == "bad-operation"
    assert bal(db, site) == 900 and bal(db, site, RES) == 95


def test_disposal_and_export(db, world):
    site = world.lf_site
    L.record_generation(db, key="g", site_id=site.id, waste_code=MSW, mass_kg=3_000)
    d = L.record_disposal(db, key="d", site_id=site.id, waste_code=MSW, mass_kg=2_000, operation="D1")
    assert entries(db, d.transaction_id) == [(f"site:{site.id}:{MSW}", -2_000, "disposed"), (f"disposal:{MSW}", 2_000, "disposed")]
    e = L.record_export(db, key="e", site_id=site.id, waste_code=MSW, mass_kg=500, country="cn")
    assert db.get(LedgerTransaction, e.transaction_id).country == "CN"
    assert refused(lambda: L.record_export(db, key="e2", site_id=site.id, waste_code=MSW, mass_kg=1, country="KZ")).code == "bad-country"
    assert refused(lambda: L.record_disposal(db, key="d2", site_id=site.id, waste_code=MSW, mass_kg=1, operation="R1")).code == "bad-operation"
    before = count(db, LedgerEntry)
    over = refused(lambda: L.record_disposal(db, key="d3", site_id=site.id, waste_code=MSW, mass_kg=501))
    assert over.code == "insufficient-balance" and count(db, LedgerEntry) == before and bal(db, site) == 500
    assert db.scalar(select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.idempotency_key == "d3")) == 0


@pytest.mark.parametrize("mass,code", [(0, "mass-not-positive"), (-5, "mass-not-positive"), (True, "int_type"), ("100", "int_type"), (1.5, "int_type"),
                                       (L.MAX_MASS_KG + 1, "mass-too-large")])
def test_absurd_masses_are_refused(db, world, mass, code):
    p = refused(lambda: L.record_generation(db, key="k", site_id=world.gen_site.id, waste_code=MSW, mass_kg=mass))
    assert p.code == code and p.errors[0].pointer == "/mass_kg"
    assert count(db, LedgerTransaction) == 0


def test_bad_sites_codes_keys_and_times(db, world):
    ok = {"key": "k", "site_id": world.gen_site.id, "waste_code": MSW, "mass_kg": 1}
    assert refused(lambda: L.record_generation(db, **{**ok, "site_id": 999_999})).code == "unknown-site"
    closed = make_site(db, world.gen_org, status="closed")
    p = refused(lambda: L.record_generation(db, **{**ok, "site_id": closed.id}))
    assert p.code == "site-inactive" and p.errors[0].pointer == "/site_id"
    assert refused(lambda: L.record_generation(db, **{**ok, "waste_code": "  "})).errors[0].pointer == "/waste_code"
    assert refused(lambda: L.record_generation(db, **{**ok, "waste_code": "20\x0003"})).code == "control-characters"
    assert refused(lambda: L.record_generation(db, **{**ok, "waste_code": "x" * 33})).code == "string_too_long"
    assert refused(lambda: L.record_generation(db, **{**ok, "key": "k" * 201})).errors[0].pointer == "/idempotency_key"
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert refused(lambda: L.record_generation(db, **ok, effective_at=future)).code == "future-time"
    assert refused(lambda: L.record_generation(db, **ok, effective_at=datetime(2026, 1, 1))).code == "naive-datetime"
    assert count(db, LedgerTransaction) == 0


def test_reversal_mirrors_and_is_unique(db, world):
    g = L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=700)
    r = L.reverse(db, key="r", transaction_id=g.transaction_id, reason="entered twice")
    assert [(k, a) for k, a, _ in entries(db, r.transaction_id)] == [(f"generation:{MSW}", 700), (f"site:{world.gen_site.id}:{MSW}", -700)]
    assert [line for *_, line in entries(db, r.transaction_id)] == ["generated", "generated"]
    assert bal(db, world.gen_site) == 0
    assert L.reverse(db, key="r", transaction_id=g.transaction_id, reason="entered twice").created is False
    assert refused(lambda: L.reverse(db, key="r2", transaction_id=g.transaction_id, reason="again")).code == "already-reversed"
    assert refused(lambda: L.reverse(db, key="r3", transaction_id=r.transaction_id, reason="undo")).code == "reversal-of-reversal"
    assert refused(lambda: L.reverse(db, key="r4", transaction_id=10**9, reason="x")).status == 404


def test_reversal_needs_later_moves_reversed_first_and_reopens_a_transfer(db, world):
    g = L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=1_000)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=1_000)
    assert refused(lambda: L.reverse(db, key="rg", transaction_id=g.transaction_id, reason="x")).code == "insufficient-balance"
    s = L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=1_000)
    assert refused(lambda: L.reverse(db, key="rp", transaction_id=p.transaction_id, reason="x")).code == "transfer-settled"
    L.reverse(db, key="rs", transaction_id=s.transaction_id, reason="weighed wrong")
    assert L.pending_transfer(db, p.transaction_id).open_kg == 1_000 and bal(db, world.lf_site) == 0
    s2 = L.post_transfer(db, key="s2", pending_id=p.transaction_id, accepted_kg=990)
    assert bal(db, world.lf_site) == 990
    assert L.pending_transfer(db, p.transaction_id).settlements[-1] == s2.transaction_id


def test_one_audit_record_per_transaction(db, world):
    before = db.scalar(text("select count(*) from audit_log"))
    p = L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=10)
    rows = db.execute(text("select action, entity, entity_id from audit_log order by seq")).all()[before:]
    assert [tuple(r) for r in rows] == [("post", "ledger_transactions", str(p.transaction_id))]


def test_a_failed_posting_leaves_nothing(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=10)
    state = (count(db, LedgerTransaction), count(db, LedgerEntry), count(db, LedgerAccount), db.scalar(text("select count(*) from audit_log")))
    refused(lambda: L.record_processing(db, key="p", site_id=world.gen_site.id, inputs=[L.Mass(MSW, 10), L.Mass("other", 5)], residues=[L.Mass(RES, 15)]))
    assert (count(db, LedgerTransaction), count(db, LedgerEntry), count(db, LedgerAccount), db.scalar(text("select count(*) from audit_log"))) == state
    assert bal(db, world.gen_site) == 10


def test_other_organizations_sites_are_just_sites_to_the_service(db):
    """The service takes site ids; who may use which site is the API's and the transfers layer's
    concern, and is tested there."""
    org = make_org(db)
    a, b = make_site(db, org), make_site(db, make_org(db))
    L.record_generation(db, key="g", site_id=a.id, waste_code=MSW, mass_kg=1)
    assert L.pend_transfer(db, key="p", consignor_site_id=a.id, receiver_site_id=b.id, waste_code=MSW, mass_kg=1).created
