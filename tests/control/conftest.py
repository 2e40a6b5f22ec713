"""Books with known problems planted at known places (see test_rules.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from qaldyq.ledger import service as ledger
from qaldyq.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from qaldyq.payouts.models import PayoutClaimLine
from qaldyq.payouts import service as payouts
from qaldyq.registry.models import Vehicle, VerificationCertificate, WeighingInstrument
from qaldyq.transfers.models import TransferDocument, TransferLeg
from tests.factories import bearer, make_org, make_site, make_user
from tests.payouts.conftest import WASTE, at, build_books, transfer


@pytest.fixture
def planted(db):
    b = build_books(db)
    rec_site, gen_site, carrier = b["rec_site"], b["gen_site"], b["carrier"]
    uid = make_user(db, b["generator"], "org_user").id
    rec_site.design_capacity_t = Decimal("50")  # 50 t a year: 4.1 t for October; 9 t processed
    far = make_site(db, b["generator"], lat=43.25, lon=76.95, name="Алматы")  # ~970 km from Astana
    truck = Vehicle(plate="777ABC01", organization_id=carrier.id, vehicle_type="truck", payload_kg=5_000)
    scale = WeighingInstrument(site_id=rec_site.id, name="Весы", instrument_type="truck_scale", serial_number="S-1", year_made=2020)
    scale.certificates = [VerificationCertificate(number="C-1", valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))]  # expired
    db.add_all([truck, scale])
    db.flush()
    # identical and round weights: five receipts of exactly 3,000 kg
    same = [transfer(db, f"TD-2026-9100{i:02d}", gen_site, rec_site, carrier, WASTE, 3_000, 3_000, 15 + i, uid) for i in range(5)]
    docs = {d.number: d for d in db.query(TransferDocument)}
    d1 = docs["TD-2026-900001"]  # 9,800 kg on a 5,000 kg truck; received before dispatch
    d1.picked_up_at, d1.received_at, d1.accepted_at, d1.net_kg = at(5, 8), at(5, 7), at(5, 9), 9_800
    d1.accepted_kg, d1.refused_kg = 9_800, 0
    d2 = docs["TD-2026-900002"]  # the same truck picks up in Almaty one hour after Astana
    d2.consignor_site_id = far.id
    d2.picked_up_at = at(5, 9)
    d1.instrument_id = scale.id
    # taken over by the truck, each at its document's consignor site (as the service records a take-over)
    d1.legs[0].vehicle_id, d1.legs[0].taken_over_at, d1.legs[0].site_id = truck.id, at(5, 8), d1.consignor_site_id
    d2.legs[0].vehicle_id, d2.legs[0].taken_over_at, d2.legs[0].site_id = truck.id, at(5, 9), far.id
    db.flush()
    # an imported processing record whose outputs exceed its inputs (the ledger API would refuse it)
    acct = db.scalar(select(LedgerAccount.id).where(LedgerAccount.site_id == rec_site.id))
    bad = db.execute(insert(LedgerTransaction).values(kind="processing", idempotency_key="import-1", fingerprint="x", site_id=rec_site.id,
                                                      waste_code=WASTE, mass_kg=1_000, effective_at=at(25)).returning(LedgerTransaction.id)).scalar_one()
    db.execute(insert(LedgerEntry), [dict(transaction_id=bad, account_id=acct, amount_kg=-1_000, line="input", effective_at=at(25)),
                                     dict(transaction_id=bad, account_id=acct, amount_kg=3_000, line="output", effective_at=at(25))])
    # a claim, then a reversal of one of the transactions it pays for
    claim = payouts.create_claim(db, principal_for(db, b["recycler"]), organization_id=b["recycler"].id, operation="collection",
                                 period_from=date(2026, 10, 1), period_to=date(2026, 10, 31))
    rev = ledger.reverse(db, key="rev-1", transaction_id=same[0], reason="ошибка", effective_at=at(31))
    # a claim line for a category the contract does not cover (slipped in before the contract was narrowed)
    line = claim.lines[0]
    db.add(PayoutClaimLine(claim_id=claim.id, transaction_id=b["paper_posted"], operation="collection", waste_code="15 01 01",
                           category="packaging-paper", mass_kg=2_000, effective_on=date(2026, 10, 14), rate_mrp=line.rate_mrp,
                           amount_kzt=line.amount_kzt, explanation={}))
    db.flush()
    return dict(b=b, same=same, far=far, d1=d1, d2=d2, uid=uid, bad=bad, claim=claim, reversed=same[0], rec_site=rec_site, truck=truck)


def principal_for(db, org, role="org_admin"):
    from qaldyq.core.auth import Principal
    from qaldyq.core.roles import Role

    user = make_user(db, org, role)
    return Principal(user_id=user.id, username=user.username, full_name="x", org_id=org.id, org_name="x", role=Role(role),
                     region_kato=org.region_kato, via="test")
from tests.payouts.conftest import books  # noqa: F401,E402
