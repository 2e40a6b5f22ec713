"""Balances at a date, movement history, the mass-balance report and the chain of custody, with
figures worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from qaldyq.ledger import chain, reports
from qaldyq.ledger import service as L

MSW, RES = "20 03 01", "19 12 12"
UTC = timezone.utc
# Asia/Almaty is UTC+5: 2026-03-31 20:30 UTC is already 1 April 01:30 local time.
T0 = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 31, 20, 30, tzinfo=UTC)
T3 = datetime(2026, 4, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def story(db, world):
    """Generator: 10 t generated; 6 t sent to the recycler, 5.8 t accepted, 0.15 t refused,
    0.05 t lost on the way. Recycler: processes 5.8 t into 2.5 t of product, 3.01 t of residues and
    0.29 t loss (5 %, at the tolerance); sends the residues to the landfill, which disposes 2 t."""
    g, r, lf = world.gen_site.id, world.rec_site.id, world.lf_site.id
    gen = L.record_generation(db, key="gen", site_id=g, waste_code=MSW, mass_kg=10_000, effective_at=T0)
    p1 = L.pend_transfer(db, key="p1", consignor_site_id=g, receiver_site_id=r, waste_code=MSW, mass_kg=6_000, effective_at=T1,
                         reference=L.Reference("transfer", "TD-2026-000001"))
    s1 = L.post_transfer(db, key="s1", pending_id=p1.transaction_id, accepted_kg=5_800, refused_kg=150, effective_at=T1 + timedelta(hours=3))
    proc = L.record_processing(db, key="proc", site_id=r, inputs=[L.Mass(MSW, 5_800)], outputs=[L.Output("product", "RDF", 2_500)],
                               residues=[L.Mass(RES, 3_010)], loss_kg=290, operation="R3", effective_at=T2)
    p2 = L.pend_transfer(db, key="p2", consignor_site_id=r, receiver_site_id=lf, waste_code=RES, mass_kg=3_010, effective_at=T3,
                         reference=L.Reference("transfer", "TD-2026-000002"))
    s2 = L.post_transfer(db, key="s2", pending_id=p2.transaction_id, accepted_kg=3_010, effective_at=T3 + timedelta(hours=2))
    disp = L.record_disposal(db, key="disp", site_id=lf, waste_code=RES, mass_kg=2_000, operation="D1", effective_at=T3 + timedelta(hours=5))
    return dict(gen=gen, p1=p1, s1=s1, proc=proc, p2=p2, s2=s2, disp=disp)


def test_balances_at_dates_follow_local_days(db, world, story):
    r = world.rec_site.id
    assert reports.balances(db, world.gen_site.id, date(2026, 3, 9)) == []
    assert reports.balance_kg(db, world.gen_site.id, MSW, date(2026, 3, 10)) == 10_000
    assert reports.balance_kg(db, world.gen_site.id, MSW, date(2026, 3, 20)) == 4_150
    # The processing happened on 1 April local time, not on 31 March.
    assert [(b.waste_code, b.balance_kg) for b in reports.balances(db, r, date(2026, 3, 31))] == [(MSW, 5_800)]
    assert [(b.waste_code, b.balance_kg) for b in reports.balances(db, r, date(2026, 4, 1))] == [(RES, 3_010)]
    assert reports.balances(db, r) == []
    assert [(b.waste_code, b.balance_kg) for b in reports.balances(db, world.lf_site.id)] == [(RES, 1_010)]


def test_movements_newest_first_with_counterparties(db, world, story):
    items, total = reports.movements(db, world.gen_site.id)
    assert total == 3
    assert [(m.kind, m.line, m.amount_kg) for m in items] == [("transfer_posted", "refused", 150), ("transfer_pending", "pickup", -6_000), ("generation", "generated", 10_000)]
    assert items[1].counterparty_site_name == "Сортировочный комплекс" and items[1].ref_id == "TD-2026-000001"
    march, n = reports.movements(db, world.rec_site.id, date(2026, 3, 1), date(2026, 3, 31))
    assert n == 1 and march[0].line == "accepted"


def test_mass_balance_of_the_recycler_for_march_and_april(db, world, story):
    r = world.rec_site.id
    march = reports.mass_balance(db, r, date(2026, 3, 1), date(2026, 3, 31))
    assert [(x.waste_code, x.opening, x.received, x.processed, x.closing) for x in march.rows] == [(MSW, 0, 5_800, 0, 5_800)]
    april = reports.mass_balance(db, r, date(2026, 4, 1), date(2026, 4, 30))
    rows = {x.waste_code: x for x in april.rows}
    assert (rows[MSW].opening, rows[MSW].processed, rows[MSW].loss, rows[MSW].closing) == (5_800, 5_800, 290, 0)
    assert (rows[RES].produced, rows[RES].sent, rows[RES].closing) == (3_010, 3_010, 0)
    assert april.products == [("RDF", 2_500)]
    assert (april.total.opening, april.total.closing) == (5_800, 0)


def test_mass_balance_of_the_generator_closes(db, world, story):
    mb = reports.mass_balance(db, world.gen_site.id, date(2026, 1, 1), date(2026, 6, 30))
    (row,) = mb.rows
    assert (row.opening, row.generated, row.sent, row.returned, row.closing) == (0, 10_000, 6_000, 150, 4_150)
    assert row.closing == row.opening + row.generated + row.received + row.returned + row.produced - row.processed - row.sent - row.disposed - row.exported
    assert mb.organization_name == "ТОО Генератор" and mb.site_name == "Цех №1"


def test_mass_balance_counts_a_reversal_where_the_original_was(db, world, story):
    L.reverse(db, key="rev", transaction_id=story["disp"].transaction_id, reason="weighed on the wrong scale")
    mb = reports.mass_balance(db, world.lf_site.id, date(2026, 4, 1), reports.local_today())
    (row,) = mb.rows
    assert (row.received, row.disposed, row.closing) == (3_010, 0, 3_010)


def test_period_out_of_order_is_refused(db, world, story):
    from qaldyq.core.errors import Problem

    with pytest.raises(Problem) as info:
        reports.mass_balance(db, world.gen_site.id, date(2026, 4, 1), date(2026, 3, 1))
    assert info.value.errors[0].parameter == "date_to"


def _flat(nodes, depth=0):
    for n in nodes:
        yield depth, n.kg_rounded, (n.transaction.kind if n.transaction else n.end), n.waste_code
        yield from _flat(n.children, depth + 1)


def test_chain_of_custody_of_a_transfer(db, world, story):
    c = chain.chain_of_custody(db, story["p1"].transaction_id)
    assert c.root.ref_id == "TD-2026-000001" and not c.truncated
    assert list(_flat(c.sources)) == [(0, 6_000, "generation", MSW), (1, 6_000, "origin", MSW)]
    assert list(_flat(c.destinations)) == [
        (0, 6_000, "transfer_posted", MSW),
        (1, 5_800, "processing", MSW),
        (2, 2_500, "product", "RDF"),
        (2, 3_010, "transfer_pending", RES),
        (3, 3_010, "transfer_posted", RES),
        (4, 2_000, "disposal", RES),
        (5, 2_000, "disposal", RES),
        (4, 1_010, "held", RES),
        (2, 290, "loss", MSW),
        (1, 150, "held", MSW),
        (1, 50, "loss", MSW),
    ]


def test_chain_backwards_from_the_landfill(db, world, story):
    c = chain.chain_of_custody(db, story["disp"].transaction_id)
    assert list(_flat(c.sources)) == [
        (0, 2_000, "transfer_posted", RES),
        (1, 2_000, "transfer_pending", RES),
        (2, 2_000, "processing", RES),
        (3, 2_000, "transfer_posted", MSW),
        (4, 2_000, "transfer_pending", MSW),
        (5, 2_000, "generation", MSW),
        (6, 2_000, "origin", MSW),
    ]
    assert list(_flat(c.destinations)) == [(0, 2_000, "disposal", RES)]
    by_ref = chain.chain_for_reference(db, "transfer", "TD-2026-000002")
    assert by_ref.root.id == story["p2"].transaction_id


def test_chain_is_first_in_first_out_and_skips_reversed(db, world):
    g = world.gen_site.id
    a = L.record_generation(db, key="a", site_id=g, waste_code=MSW, mass_kg=100)
    wrong = L.record_generation(db, key="wrong", site_id=g, waste_code=MSW, mass_kg=999)
    L.reverse(db, key="undo", transaction_id=wrong.transaction_id, reason="typo")
    b = L.record_generation(db, key="b", site_id=g, waste_code=MSW, mass_kg=100)
    out = L.record_disposal(db, key="d", site_id=g, waste_code=MSW, mass_kg=150)
    back = chain.chain_of_custody(db, out.transaction_id)
    assert [(n.transaction.id, n.kg_rounded) for n in back.sources] == [(a.transaction_id, 100), (b.transaction_id, 50)]
    fwd = chain.chain_of_custody(db, b.transaction_id)
    assert [(n.transaction.id if n.transaction else n.end, n.kg_rounded) for n in fwd.destinations] == [(out.transaction_id, 50), ("held", 50)]
