"""Demo data of the operator route: the demo producer's paid declaration with certificates, a few
importers with declarations in every state, a payment waiting in the review queue, and a customs
feed for 2024 with known gaps (imports declared and paid, declared and unpaid, partly paid, not
declared at all) so that the arrears list has something true to find.

`ctx.shared["epr"]`: {"year", "gaps": [{"bin", "category", "gap_kg"}], "certificates": [numbers]}.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.roles import Role
from qaldyq.epr import service
from qaldyq.epr.models import Certificate
from qaldyq.epr.vin import with_check_digit
from qaldyq.registry.models import Organization

YEAR = 2024
GROUPS = ("packaging", "vehicles", "rubber", "eee-small-it")


def _principal(org: Organization, role: Role) -> Principal:
    return Principal(user_id=None, username="demo", full_name="demo", org_id=org.id, org_name=org.name_ru, role=role,  # type: ignore[arg-type]
                     region_kato=org.region_kato, via="cli")


def _declare(db: Session, org: Organization, operator: Principal, quarter: int, lines: list[dict[str, Any]], pay: str) -> Any:
    """A declaration of a quarter, accepted; paid in full, in part ("half") or not at all."""
    start = date(YEAR, 3 * quarter - 2, 1)
    end = date(YEAR, 3 * quarter, {1: 31, 2: 30, 3: 30, 4: 31}[quarter])
    dec = service.submit_declaration(db, _principal(org, Role.ORG_ADMIN), organization_id=None, period_from=start, period_to=end, lines=lines)
    service.review_declaration(db, operator, dec.id, True)
    inv = service.invoice_for(db, dec.id)
    if pay != "none" and inv.amount_kzt > 0:
        amount = inv.amount_kzt if pay == "full" else (inv.amount_kzt / 2).quantize(Decimal("0.01"))
        service.record_payment(db, operator, service.PaymentIn(f"DEMO-{inv.number}", end, amount, org.bin, f"Оплата по счету {inv.number}"),
                               source="statement")
    return inv


def seed_customs_gaps(db: Session, operator: Principal, importers: list[Organization]) -> list[dict[str, Any]]:
    """Declarations, payments and a customs feed for four importers; returns the gaps seeded."""
    a, b, c, d = importers[:4]
    for org in (a, b, c, d):
        for group in GROUPS:
            if service.route_for(db, org.id, group, YEAR) is None:
                service.register_route(db, operator, organization_id=org.id, product_group=group, year=YEAR, route="operator")
    # b: 4 t of polymer packaging declared and paid, 10 t imported -> 6 t not paid
    _declare(db, b, operator, 2, [{"kind": "packaging", "material": "packaging-polymer", "mass_kg": "4000", "hs_code": "3923 30"}], "full")
    # c: 5 t of computers declared, invoice not paid -> 5 t not paid
    _declare(db, c, operator, 3, [{"kind": "product", "hs_code": "8471 41 000 0", "mass_kg": "5000"}], "none")
    # d: 8 t of paper packaging declared and paid, 8 t imported -> nothing due
    _declare(db, d, operator, 1, [{"kind": "packaging", "material": "packaging-paper", "mass_kg": "8000", "hs_code": "4819 10"}], "full")
    feed = [
        # a: 30 t of tyres imported, nothing declared -> 30 t not paid
        (a, "50010/150424/0001234", 1, date(YEAR, 4, 15), "4011100000", 1500, 30000),
        (b, "50010/200524/0002345", 1, date(YEAR, 5, 20), "3923300000", 400000, 6000),
        (b, "50010/200524/0002345", 2, date(YEAR, 5, 20), "3923300000", 250000, 4000),
        (c, "50010/100824/0003456", 1, date(YEAR, 8, 10), "8471410000", 500, 5000),
        (d, "50010/050224/0004567", 1, date(YEAR, 2, 5), "4819100000", 90000, 8000),
        (d, "50010/050224/0004567", 2, date(YEAR, 2, 5), "0805100000", 20000, 20000),  # oranges: not under EPR
    ]
    service.load_customs(db, [{"bin": o.bin, "declaration_number": n, "line_no": ln, "declared_on": day, "hs_code": hs, "quantity": q, "mass_kg": m}
                              for o, n, ln, day, hs, q, m in feed])
    return [{"bin": a.bin, "category": "tyres", "gap_kg": 30000}, {"bin": b.bin, "category": "packaging-polymer", "gap_kg": 6000},
            {"bin": c.bin, "category": "eee-small-it", "gap_kg": 5000}]


def seed(db: Session, ctx) -> None:
    reg = ctx.shared.get("registry")
    if not reg:
        return
    operator = _principal(db.get(Organization, reg["operator_id"]), Role.OPERATOR)
    producer = db.get(Organization, reg["key"]["producer"])
    for group in GROUPS:
        service.register_route(db, operator, organization_id=producer.id, product_group=group, year=YEAR, route="operator")
    vins = [with_check_digit(f"XTA21099{serial:09d}") for serial in (4100231, 4100232)]
    inv = _declare(db, producer, operator, 1, [
        {"kind": "packaging", "material": "packaging-polymer", "mass_kg": "52340", "hs_code": "3923 30"},
        {"kind": "packaging", "material": "packaging-glass", "mass_kg": "20110", "hs_code": "7010 90"},
        {"kind": "vehicle", "category": "N1", "vin": vins[0], "gross_mass_t": "3.5", "hs_code": "8704 21"},
        {"kind": "vehicle", "category": "M1", "vin": vins[1], "engine_cc": 1998, "hs_code": "8703 23"},
    ], "full")
    _declare(db, producer, operator, 2, [{"kind": "packaging", "material": "packaging-polymer", "mass_kg": "48800"}], "half")
    importers = sorted((db.get(Organization, i) for i in reg["orgs_by_role"].get("importer", []) if i != producer.id), key=lambda o: o.bin)
    gaps = seed_customs_gaps(db, operator, importers) if len(importers) >= 4 else []
    service.record_payment(db, operator, service.PaymentIn("DEMO-UNMATCHED-1", date(YEAR, 9, 2), Decimal("125000.00"), importers[0].bin if importers else producer.bin,
                                                           "Утилизационный платеж, счет не указан"), source="statement")
    certs = [c.number for c in db.query(Certificate).filter(Certificate.invoice_id == inv.id)]
    ctx.shared["epr"] = {"year": YEAR, "gaps": gaps, "certificates": certs}
