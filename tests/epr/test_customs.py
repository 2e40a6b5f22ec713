"""Customs reconciliation: the feed is loaded once, and the arrears list finds every gap the demo
seeds, with the amount the catalogue's calculator gives for the unpaid mass."""

from __future__ import annotations

from decimal import Decimal

from qaldyq.catalog import service as catalog
from qaldyq.core.demo import DemoContext
from qaldyq.epr import demo as epr_demo
from qaldyq.epr import service
from qaldyq.registry import demo as registry_demo


def test_demo_arrears_finds_every_seeded_gap(db):
    ctx = DemoContext()
    registry_demo.seed(db, ctx)
    epr_demo.seed(db, ctx)
    gaps = ctx.shared["epr"]["gaps"]
    assert len(gaps) == 3
    found = {(a.bin, a.category): a for a in service.arrears(db, 2024)}
    for gap in gaps:
        a = found[(gap["bin"], gap["category"])]
        assert a.gap_kg == gap["gap_kg"]
        expected = catalog.quote_product(db, category=gap["category"], mass_t=Decimal(gap["gap_kg"]) / 1000, on_date=max_date(db, gap["bin"], gap["category"]))
        assert a.due_kzt == expected.amount_kzt > 0
        assert a.region_kato and a.explanation
    # nothing else: the fully paid importer and the goods not under EPR are not in arrears
    assert set(found) == {(g["bin"], g["category"]) for g in gaps}
    # per region and product group
    one = gaps[0]
    region = found[(one["bin"], one["category"])].region_kato
    assert all(a.region_kato == region for a in service.arrears(db, 2024, region=region))
    assert [a.category for a in service.arrears(db, 2024, product_group="rubber")] == ["tyres"]
    assert ctx.shared["epr"]["certificates"]


def max_date(db, bin_, category):
    from sqlalchemy import func, select

    from qaldyq.epr.models import CustomsLine

    return db.scalar(select(func.max(CustomsLine.declared_on)).where(CustomsLine.bin == bin_, CustomsLine.category == category))


def test_same_customs_line_twice_counts_once(client, world):
    line = {"bin": world.importer.bin, "declaration_number": "50010/010324/0000001", "line_no": 1, "declared_on": "2024-03-01",
            "hs_code": "4011100000", "quantity": "100", "mass_kg": "2000"}
    r = client.post("/api/v1/epr/customs", json={"lines": [line]}, headers=world.operator_h)
    assert r.json() == {"loaded": 1, "ignored": 0, "not_epr": 0}
    r = client.post("/api/v1/epr/customs", json={"lines": [line, line]}, headers=world.operator_h)
    assert r.json() == {"loaded": 0, "ignored": 2, "not_epr": 0}
    changed = {**line, "mass_kg": "2500"}
    r = client.post("/api/v1/epr/customs", json={"lines": [changed]}, headers=world.operator_h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/lines/0/declaration_number"
    a = client.get("/api/v1/epr/arrears?year=2024", headers=world.authority_h).json()
    assert [(i["bin"], i["customs_kg"], i["gap_kg"]) for i in a["items"]] == [(world.importer.bin, "2000.000", "2000.000")]
    assert a["items"][0]["due_kzt"] == client.post("/api/v1/epr/quotes", json={"kind": "product", "category": "tyres", "mass_t": "2", "date": "2024-03-01"}).json()["amount_kzt"]
    # the same feed as a CSV file: ignored again
    csv_text = "bin,declaration_number,line_no,declared_on,hs_code,quantity,mass_kg\n" + ",".join(str(line[k]) for k in
               ("bin", "declaration_number", "line_no", "declared_on", "hs_code", "quantity", "mass_kg")) + "\n"
    r = client.post("/api/v1/epr/customs/file", files={"file": ("feed.csv", csv_text.encode())}, headers=world.operator_h)
    assert r.json()["ignored"] == 1 and r.json()["loaded"] == 0
