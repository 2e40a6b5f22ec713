"""Demo transfer documents between the demo logins' organizations (generator -> collector as
carrier -> recycler, all in Astana), signed with the keys the system holds for the demo users,
left in every state of the lifecycle so each party finds documents waiting for it."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from qaldyq.core.auth import principal_for_user
from qaldyq.core.demo import DemoContext
from qaldyq.core.models import User
from qaldyq.transfers import schemas as s
from qaldyq.transfers import service

CODES = ("15 01 02", "15 01 01", "20 01 01")
# how far each demo document goes: (count, last step)
PLAN = ((5, "draft"), (3, "sign_consignor"), (4, "sign_carrier"), (2, "receive"), (12, "accept"), (2, "partial"),
        (4, "process"), (1, "refuse"), (1, "cancel"))
STEPS = ("sign_consignor", "vehicle", "sign_carrier", "weighing", "receive", "accept")


def seed(db: Session, ctx: DemoContext) -> None:
    reg = ctx.shared.get("registry")
    if not reg:
        return
    rng = ctx.rng_for("transfers")
    key, sites, users = reg["key"], reg["key_sites"], reg["users"]
    p = {role: principal_for_user(db.get(User, users[name]), "session") for role, name in
         (("gen", "demo.generator.user"), ("car", "demo.collector.user"), ("rec", "demo.recycler.user"))}
    trucks = [v for v in reg["vehicles"] if v["organization_id"] == key["collector"]]
    scales = [i for i in reg["instruments"] if i["site_id"] == sites["recycling"] and i["verified"]]
    if not trucks or not scales:
        return
    numbers = []
    for count, last in PLAN:
        for _ in range(count):
            truck = rng.choice(trucks)
            declared = rng.randrange(800, min(6000, truck["payload_kg"]), 10)
            doc = service.create_document(db, p["gen"], s.TransferIn(
                consignor_site_id=sites["generator"], receiver_site_id=sites["recycling"], legs=[{"carrier_org_id": key["collector"]}],
                waste_code=rng.choice(CODES), description=rng.choice(("Упаковка из ПЭТ, прессованная", "Картон гофрированный", "Смешанная макулатура")),
                physical_form="solid", containers=[{"type": rng.choice(("big_bag", "bulk", "pallet")), "count": rng.randint(1, 12)}],
                declared_mass_kg=declared, mass_basis=rng.choice(("weighed", "estimated")), planned_operation="R3"))
            numbers.append(doc.number)
            _advance(db, p, doc, last, truck, scales[0], declared, rng)
    ctx.shared["transfers"] = {"numbers": numbers}


def _advance(db, p, doc, last, truck, scale, declared, rng) -> None:
    n = doc.number
    if last == "draft":
        return
    if last == "cancel":
        service.cancel(db, p["gen"], n, "Заявка создана по ошибке", doc.version)
        return
    service.sign_with_held_key(db, p["gen"], n, "sign_consignor")
    if last == "sign_consignor":
        return
    service.set_leg_vehicle(db, p["car"], n, truck["id"], doc.version)
    service.sign_with_held_key(db, p["car"], n, "sign_carrier")
    if last == "sign_carrier":
        return
    net = max(100, declared + rng.randrange(-60, 60, 5))
    tare = rng.randrange(9000, 14000, 10)
    service.record_weighing(db, p["rec"], n, s.WeighingIn(instrument_id=scale["id"], gross_kg=tare + net, tare_kg=tare,
                                                         weighed_at=datetime.now(timezone.utc), expected_version=doc.version))
    service.sign_with_held_key(db, p["rec"], n, "receive")
    if last == "receive":
        return
    if last == "refuse":
        accepted, refused, reason = 0, net, "Отходы не соответствуют заявленному коду"
    elif last == "partial":
        refused = net // 5
        accepted, reason = net - refused, "Примесь пищевых отходов"
    else:
        accepted, refused, reason = net, 0, None
    service.record_acceptance(db, p["rec"], n, s.AcceptanceIn(accepted_kg=accepted, refused_kg=refused, refusal_reason=reason, expected_version=doc.version))
    service.sign_with_held_key(db, p["rec"], n, "accept")
    if last == "process":
        service.record_processing(db, p["rec"], n, s.ProcessingIn(operation_done="R3", expected_version=doc.version))
        service.sign_with_held_key(db, p["rec"], n, "process")
