"""A recycler that received plastic packaging from a generator (carried by a carrier) and
processed part of it, all posted in the ledger in October 2026; a contract with the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest

from qaldyq.ledger import service as ledger
from qaldyq.ledger.service import Mass, Output, Reference
from qaldyq.payouts import service as payouts
from qaldyq.transfers.models import TransferDocument, TransferLeg
from tests.factories import bearer, make_org, make_site, make_user

WASTE = "15 01 02"  # plastic packaging -> packaging-polymer
PAPER = "15 01 01"  # paper packaging -> packaging-paper


def at(day: int, hour: int = 6) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=timezone.utc)


@dataclass
class Books:
    recycler: object
    rec_site: object
    generator: object
    gen_site: object
    carrier: object
    posted: list[int]  # transfer_posted transactions received by the recycler
    processing: int
    paper_posted: int
    rec_headers: dict
    operator_headers: dict
    contract: object


def transfer(db, number, gen_site, rec_site, carrier, code, mass, accepted, day, user_id):
    g = ledger.record_generation(db, key=f"{number}:gen", site_id=gen_site.id, waste_code=code, mass_kg=mass, effective_at=at(day, 4))
    p = ledger.pend_transfer(db, key=f"{number}:pickup", consignor_site_id=gen_site.id, receiver_site_id=rec_site.id, waste_code=code,
                             mass_kg=mass, effective_at=at(day, 5), reference=Reference("transfer", number))
    doc = TransferDocument(number=number, state="accepted", created_by_user_id=user_id, consignor_org_id=gen_site.organization_id,
                           consignor_site_id=gen_site.id, receiver_org_id=rec_site.organization_id, receiver_site_id=rec_site.id,
                           waste_code=code, description="ПЭТ", physical_form="solid", declared_mass_kg=mass, mass_basis="weighed",
                           planned_operation="R3", pending_txn_id=p.transaction_id)
    doc.legs = [TransferLeg(seq=1, carrier_org_id=carrier.id)]
    db.add(doc)
    db.flush()
    s = ledger.post_transfer(db, key=f"{number}:accept", pending_id=p.transaction_id, accepted_kg=accepted, effective_at=at(day, 9),
                             reference=Reference("transfer", number))
    assert g.created
    return s.transaction_id


def build_books(db) -> dict:
    recycler = make_org(db, roles=("waste_recycler",), name="ТОО Полимер-Ресайкл")
    generator = make_org(db, roles=("waste_generator",), name="ТОО Генератор")
    carrier = make_org(db, roles=("waste_carrier",), name="ТОО Тасымал")
    rec_site = make_site(db, recycler, site_type="recycler")
    gen_site = make_site(db, generator)
    uid = make_user(db, generator, "org_user").id
    posted = [
        transfer(db, "TD-2026-900001", gen_site, rec_site, carrier, WASTE, 10_000, 9_800, 5, uid),
        transfer(db, "TD-2026-900002", gen_site, rec_site, carrier, WASTE, 4_000, 4_000, 12, uid),
    ]
    paper = transfer(db, "TD-2026-900003", gen_site, rec_site, carrier, PAPER, 2_000, 2_000, 14, uid)
    proc = ledger.record_processing(db, key="proc-1", site_id=rec_site.id, inputs=[Mass(WASTE, 9_000)],
                                    outputs=[Output("product", "PET flakes", 8_700)], loss_kg=300, operation="R3", effective_at=at(20))
    contract = payouts.create_contract(db, organization_id=recycler.id, operations=["collection", "processing"],
                                       categories=["packaging-polymer"], valid_from=date(2026, 1, 1), valid_to=None)
    return dict(recycler=recycler, rec_site=rec_site, generator=generator, gen_site=gen_site, carrier=carrier, posted=posted,
                processing=proc.transaction_id, paper_posted=paper, contract=contract)


@pytest.fixture
def books(db) -> Books:
    b = build_books(db)
    rec_user = make_user(db, b["recycler"], "org_admin")
    op_org = make_org(db, roles=("operator",), name="ТОО Оператор РОП")
    op_user = make_user(db, op_org, "operator")
    return Books(**b, rec_headers=bearer(db, rec_user), operator_headers=bearer(db, op_user))
