"""Demo control: a few plausible anomalies added to the demo data through the ordinary services
(the demo ledger is clean by construction), then a run of all rules over the last year, and two
decisions by the demo inspector — so the operator and the inspector (Astana) find something:

- six receipts of exactly 2,000 kg in one month at the demo collector's collection point
  (identical and round weights);
- one of the tonnes of the recycler's submitted claim cancelled in the ledger after the claim
  (claim above what the ledger shows);
- the collector's truck taking over two loads 7 km apart within a second (impossible travel);
- whatever else the rules find in the demo data, and the telemetry domain's findings.

Deterministic: fixed masses, days and places; dates relative to the day the demo is loaded.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.control import service
from qaldyq.control.models import ControlFinding
from qaldyq.core.auth import principal_for_user
from qaldyq.core.demo import DemoContext
from qaldyq.core.errors import Problem
from qaldyq.core.models import User
from qaldyq.ledger import reports
from qaldyq.ledger import service as ledger
from qaldyq.payouts import service as payouts
from qaldyq.registry.models import Site
from qaldyq.transfers import schemas as ts
from qaldyq.transfers import service as transfers

SAME_KG = 2_000
SAME_DAYS = (3, 7, 10, 14, 18, 22)


def seed(db: Session, ctx: DemoContext) -> None:
    reg = ctx.shared.get("registry")
    if not reg:
        return
    today = payouts.catalog_today()
    _identical_receipts(db, reg, today)
    _claim_then_reversal(db, ctx, reg)
    _impossible_travel(db, reg)
    service.run(db, today - timedelta(days=364), today)
    inspector = principal_for_user(db.get(User, reg["users"]["demo.inspector"]), "session")
    point = reg["key_sites"]["collector_point"]
    for rule, action, reason in (
        ("identical-weights", "acknowledge", "Выезд на экопункт назначен: сверить журнал весовой и накладные."),
        ("round-weights", "dismiss", "Весы экопункта с дискретностью 1 т; округление допустимо, см. одинаковые веса."),
    ):
        f = db.scalar(select(ControlFinding).where(ControlFinding.rule_id == rule, ControlFinding.site_id == point).order_by(ControlFinding.id))
        if f is not None:
            service.decide(db, inspector, f.id, action, reason)


def _identical_receipts(db: Session, reg: dict, today) -> None:
    """Receipts at the collector's collection point three months ago, all weighing exactly 2,000 kg."""
    sites = reg["key_sites"]
    point = db.get(Site, sites["collector_point"])
    permitted = [c.replace(" ", "") for c in (point.permitted_waste_codes or [])]
    code = "15 01 01" if any("150101".startswith(c.rstrip("*")) for c in permitted) else "20 01 01"
    month = payouts.month_bounds(payouts.month_bounds(today)[0] - timedelta(days=70))[0]
    consignors = [sites["generator"], sites["producer_plant"]]
    for i, day in enumerate(SAME_DAYS):
        when = datetime.combine(month.replace(day=day), time(10), payouts.LOCAL)
        origin = consignors[i % 2]
        ref = ledger.Reference("demo-transfer", f"DEMO-SAME-{month:%Y%m}-{i + 1}")
        ledger.record_generation(db, key=f"demo:control:gen:{i}", site_id=origin, waste_code=code, mass_kg=SAME_KG, effective_at=when - timedelta(hours=2))
        p = ledger.pend_transfer(db, key=f"demo:control:pick:{i}", consignor_site_id=origin, receiver_site_id=point.id, waste_code=code,
                                 mass_kg=SAME_KG, effective_at=when - timedelta(hours=1), reference=ref)
        ledger.post_transfer(db, key=f"demo:control:accept:{i}", pending_id=p.transaction_id, accepted_kg=SAME_KG, effective_at=when, reference=ref)


def _claim_then_reversal(db: Session, ctx: DemoContext, reg: dict) -> None:
    """A receipt that the recycler's submitted claim pays for is cancelled in the ledger afterwards
    (what the site still holds allows it); the claim now asks for more than the ledger shows."""
    submitted = (ctx.shared.get("payouts") or {}).get("claims", {}).get("submitted", [])
    if not submitted:
        return
    operator = principal_for_user(db.get(User, reg["users"]["demo.operator"]), "session")
    claim = payouts.get_claim(db, operator, submitted[0])
    site = reg["key_sites"]["recycling"]
    for line in sorted(claim.lines, key=lambda x: x.mass_kg):
        if line.mass_kg <= reports.balance_kg(db, site, line.waste_code):
            ledger.reverse(db, key=f"demo:control:reverse:{line.transaction_id}", transaction_id=line.transaction_id,
                           reason="Повторная запись одного взвешивания")
            return


def _impossible_travel(db: Session, reg: dict) -> None:
    """The collector's truck takes over a load at the generator and, a moment later, another at the
    drinks plant 7 km away: one of the two pick-ups did not happen with that truck."""
    users, sites, key = reg["users"], reg["key_sites"], reg["key"]
    trucks = [v for v in reg["vehicles"] if v["organization_id"] == key["collector"]]
    if not trucks:
        return
    truck = trucks[0]
    carrier = principal_for_user(db.get(User, users["demo.collector.user"]), "session")
    try:
        numbers = []
        for username, site in (("demo.generator.user", sites["generator"]), ("demo.producer.user", sites["producer_plant"])):
            consignor = principal_for_user(db.get(User, users[username]), "session")
            doc = transfers.create_document(db, consignor, ts.TransferIn(
                consignor_site_id=site, receiver_site_id=sites["recycling"], legs=[{"carrier_org_id": key["collector"]}], waste_code="15 01 02",
                description="Упаковка из ПЭТ, прессованная", physical_form="solid", containers=[{"type": "big_bag", "count": 4}],
                declared_mass_kg=1_200, mass_basis="estimated", planned_operation="R3"))
            transfers.sign_with_held_key(db, consignor, doc.number, "sign_consignor")
            transfers.set_leg_vehicle(db, carrier, doc.number, truck["id"], doc.version)
            numbers.append(doc.number)
        for number in numbers:
            transfers.sign_with_held_key(db, carrier, number, "sign_carrier")
    except Problem:  # the transfers domain refused (e.g. seeded without signing keys): leave this case out
        return
