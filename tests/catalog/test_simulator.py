"""The EPR fund simulator: fee income against payout obligations per stream, and a changed rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qaldyq.catalog import simulator
from tests.catalog.conftest import D2024

D = Decimal


def test_default_scenario_shows_the_cross_subsidy(db):
    r = simulator.simulate(db, simulator.default_scenario(D2024))
    streams = {s["stream"]: s for s in r["streams"]}
    assert streams["vehicles"]["obligations_kzt"] == 0 and streams["vehicles"]["balance_kzt"] > 0
    assert streams["packaging"]["balance_kzt"] < 0 and streams["eee"]["balance_kzt"] < 0
    t = r["totals"]
    assert t["cross_subsidy_kzt"] == t["deficit_kzt"] == sum(-s["balance_kzt"] for s in r["streams"] if s["balance_kzt"] < 0)
    assert t["vehicles_share_of_deficit"] == D("1.000")
    # M1 in the 1,001–2,000 cm³ band: 251,938 units × 50 × 3.5 × 3,692
    m1 = next(v for v in r["vehicles"] if v["row"] == "M1-2")
    assert m1["income_kzt"] == D(251938) * D("646100.00")
    assert sorted(n[1]["category"] for n in r["notes"]) == ["batteries", "oils"]  # no fee rate for them in 2024


def test_a_single_line_by_hand(db):
    sc = simulator.Scenario(D2024, [simulator.ProductLine("packaging-glass", D("1000"), collected_tonnes=D("400"))], [])
    line = simulator.simulate(db, sc)["products"][0]
    assert line["income_kzt"] == D("4208880.00")  # 1,000 t × 4,208.88
    assert line["obligations_kzt"] == D("21502208.00")  # 400 t × 14.56 MRP × 3,692
    assert line["balance_kzt"] == D("-17293328.00")
    assert line["ratio"] == D("12.8")


def test_changing_a_rate_shows_its_effect(db):
    base = simulator.Scenario(D2024, [simulator.ProductLine("packaging-paper", D("100"))], [])
    raised = simulator.Scenario(D2024, [simulator.ProductLine("packaging-paper", D("100"), fee_kzt_per_t=D("42827.20"))], [])
    r = simulator.simulate(db, raised)
    assert r["products"][0]["balance_kzt"] == 0
    assert r["products"][0]["changed"] is True
    assert r["totals"]["change_kzt"] == D(100) * (D("42827.20") - D("6497.92"))
    assert simulator.simulate(db, base)["totals"]["change_kzt"] == 0


def test_vehicle_coefficient_override(db):
    sc = simulator.Scenario(D2024, [], [simulator.VehicleLine("M1-E", 10, coefficient=D("1"))])
    r = simulator.simulate(db, sc)
    assert r["vehicles"][0]["income_kzt"] == D(10) * 50 * 3692
    assert r["totals"]["change_kzt"] == D(10) * 50 * 3692


def test_simulator_api(client):
    d = client.get("/api/v1/epr/simulator/defaults?lang=ru").json()
    assert d["scenario"]["date"] == "2024-07-01"
    assert len(d["assumptions"]) == 5
    assert d["assumptions"][0] != simulator.DEFAULT_ASSUMPTIONS[0]  # translated
    glass = next(r for r in d["per_tonne"] if r["category"] == "packaging-glass")
    assert glass["fee_kzt_per_t"] == "4208.88" and glass["payout_kzt_per_t"] == "53755.52" and glass["ratio"] == "12.8"
    body = {"date": "2024-07-01", "products": [{"category": "lamps", "tonnes": "12.47"}], "vehicles": [{"row": "TR-2", "units": 6111}]}
    r = client.post("/api/v1/epr/simulator", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["products"][0]["income_kzt"] == "2173512.27"  # 12.47 × 174,299.30 = 2,173,512.271
    assert out["vehicles"][0]["income_kzt"] == str(D(6111) * D("1015300.00"))  # 50 × 5.5 × 3,692
    assert out["streams"][0]["stream"] == "vehicles"


@pytest.mark.parametrize("body,pointer", [
    ({"date": "2024-07-01", "products": [{"category": "glass", "tonnes": "1"}]}, "/products/0/category"),
    ({"date": "2024-07-01", "products": [{"category": "lamps", "tonnes": "-1"}]}, "/products/0/tonnes"),
    ({"date": "2024-07-01", "products": [{"category": "lamps", "tonnes": "1"}, {"category": "lamps", "tonnes": "2"}]}, "/products/1/category"),
    ({"date": "2024-07-01", "vehicles": [{"row": "Z-9", "units": 1}]}, "/vehicles/0/row"),
    ({"date": "2024-07-01", "vehicles": [{"row": "M1-2", "units": -1}]}, "/vehicles/0/units"),
    ({"date": "2019-07-01"}, "/date"),
    ({"products": []}, "/date"),
])
def test_simulator_bad_input(client, body, pointer):
    r = client.post("/api/v1/epr/simulator", json=body)
    assert r.status_code == 422
    assert pointer in [e["pointer"] for e in r.json()["errors"]]
