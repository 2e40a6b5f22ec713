"""POST /api/v1/epr/quotes: public, exact, explained; bad input is problem+json naming the field."""

from __future__ import annotations

import pytest


def post(client, body, lang="en"):
    return client.post("/api/v1/epr/quotes", json=body, headers={"Accept-Language": lang})


def test_vehicle_quote_is_public_and_explained(client):
    r = post(client, {"kind": "vehicle", "category": "M1", "engine_cc": 1600, "date": "2025-03-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["amount_kzt"] == "688100.00"
    assert body["currency"] == "KZT"
    assert body["arithmetic"] == "50 MRP × 3.5 × 3932 KZT = 688100.00 KZT"
    assert body["act"]["code"] == "order-2021-448" and body["act"]["number"] == "448" and body["act"]["date"] == "2021-11-02"
    assert body["row"]["table"] == "vehicle-rates" and body["row"]["key"] == {"code": "M1-2"}
    assert body["row"]["values"]["coefficient"] == "3.5" and body["row"]["valid_from"] == "2024-01-01"
    assert body["mrp"]["year"] == 2025 and body["mrp"]["value_kzt"] == "3932.00" and body["mrp"]["act"]["number"] == "141-VIII"
    assert body["explanation"][1] == "Base rate 50 MRP × coefficient 3.5 = 175 MRP."
    assert body["explanation"][3] == "175 MRP × 3932 tenge = 688100.00 tenge."
    assert body["inputs"] == {"category": "M1", "electric": False, "engine_cc": 1600}


def test_explanation_in_russian_and_kazakh(client):
    ru = post(client, {"kind": "vehicle", "category": "N3", "gross_mass_t": 18, "date": "2025-03-01"}, "ru").json()
    assert ru["amount_kzt"] == "2064300.00"
    assert "От 12,01 тонн до 20 тонн, кроме седельных тягачей" in ru["explanation"][0]
    assert ru["act"]["title"] == "Об утверждении методики расчета утилизационного платежа"
    kk = post(client, {"kind": "vehicle", "category": "N3", "gross_mass_t": 18, "date": "2025-03-01"}, "kk").json()
    assert "ершікті тартқыштардан басқа" in kk["explanation"][0]
    assert kk["explanation"] != ru["explanation"]


def test_product_quote(client):
    body = post(client, {"kind": "product", "category": "packaging-combined", "mass_t": "12.345", "date": "2024-05-10"}).json()
    # 12.345 × 3,359.72 = 41,475.7434 -> 41,475.74
    assert body["amount_kzt"] == "41475.74"
    assert body["rate"] == {"rate": "3359.72", "unit": "KZT per tonne"}
    assert body["act"]["code"] == "order-2021-448"
    assert "Table 21 (2024)" in body["row"]["source"]


def test_payout_quote_rounds_half_up_to_the_tiyn(client):
    # 0.005 t × 9.05 MRP × 3,692 = 167.063 -> 167.06; 0.125 t × 7.66 × 3,692 = 3,535.09
    body = post(client, {"kind": "payout", "category": "packaging-polymer", "operation": "collection", "mass_t": "0.005", "date": "2024-08-01"}).json()
    assert body["amount_kzt"] == "167.06"
    body = post(client, {"kind": "payout", "category": "packaging-glass", "operation": "collection", "mass_t": "0.125", "date": "2024-08-01"}).json()
    assert body["amount_kzt"] == "3535.09"
    # 0.001 t × 2.39 MRP × 3,932 = 9.39748 -> 9.40 (half up at the third decimal)
    body = post(client, {"kind": "payout", "category": "batteries", "operation": "single", "mass_t": "0.001", "date": "2025-08-01"}).json()
    assert body["amount_kzt"] == "9.40"
    assert body["mrp"]["year"] == 2025


def test_large_mass_stays_exact(client):
    body = post(client, {"kind": "payout", "category": "lamps", "operation": "single", "mass_t": "10000000", "date": "2026-02-01"}).json()
    assert body["amount_kzt"] == "3501087500000.00"  # 10,000,000 × 80.95 × 4,325


@pytest.mark.parametrize("body,pointer", [
    ({"kind": "vehicle", "category": "bus", "engine_cc": 1600}, "/category"),
    ({"kind": "product", "category": "glass", "mass_t": "1"}, "/category"),
    ({"kind": "payout", "category": "plastic", "operation": "single", "mass_t": "1"}, "/category"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "0", "date": "2024-05-01"}, "/mass_t"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "-3", "date": "2024-05-01"}, "/mass_t"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "10000000.001", "date": "2024-05-01"}, "/mass_t"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "1e9", "date": "2024-05-01"}, "/mass_t"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "1.0001", "date": "2024-05-01"}, "/mass_t"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "ten", "date": "2024-05-01"}, "/mass_t"),
    ({"kind": "product", "category": "packaging-glass", "mass_t": "1", "date": "2025-05-01"}, "/date"),
    ({"kind": "product", "category": "oils", "mass_t": "1", "date": "2024-05-01"}, "/date"),
    ({"kind": "payout", "category": "lamps", "operation": "single", "mass_t": "1", "date": "2023-05-01"}, "/date"),
    ({"kind": "payout", "category": "lamps", "operation": "single", "mass_t": "1", "date": "2027-05-01"}, "/date"),
    ({"kind": "payout", "category": "packaging-glass", "operation": "single", "mass_t": "1"}, "/operation"),
    ({"kind": "payout", "category": "lamps", "operation": "collection", "mass_t": "1"}, "/operation"),
    ({"kind": "payout", "category": "packaging-metal", "operation": "processing", "mass_t": "1"}, "/operation"),
    ({"kind": "payout", "category": "lamps", "operation": "sorting", "mass_t": "1"}, "/operation"),
    ({"kind": "vehicle", "category": "M1", "date": "2025-01-01"}, "/engine_cc"),
    ({"kind": "vehicle", "category": "M1", "engine_cc": 1600, "power_hp": 100, "date": "2025-01-01"}, "/power_hp"),
    ({"kind": "vehicle", "category": "N2", "gross_mass_t": 60, "date": "2025-01-01"}, "/gross_mass_t"),
    ({"kind": "vehicle", "category": "M1", "engine_cc": "1600", "date": "2025-01-01"}, "/engine_cc"),
    ({"kind": "vehicle", "category": "M1", "engine_cc": 1600.5, "date": "2025-01-01"}, "/engine_cc"),
    ({"kind": "vehicle", "category": "M1", "engine_cc": 1600, "electric": "yes", "date": "2025-01-01"}, "/electric"),
    ({"kind": "vehicle", "category": "combine", "electric": True, "date": "2025-01-01"}, "/electric"),
    ({"kind": "vehicle", "category": "M1", "engine_cc": 1600, "date": "01.01.2025"}, "/date"),
    ({"kind": "vehicle", "category": "M1", "engine_cc": 1600, "hybrid": True}, "/hybrid"),
    ({"kind": "lease", "category": "M1"}, ""),
    ({"category": "M1"}, ""),
])
def test_bad_input_names_the_field(client, body, pointer):
    r = post(client, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    assert pointer in [e["pointer"] for e in errors] or (pointer == "" and errors)


def test_error_in_russian(client):
    r = post(client, {"kind": "product", "category": "packaging-glass", "mass_t": "1", "date": "2025-05-01"}, "ru")
    detail = r.json()["errors"][0]["detail"]
    assert "2025-05-01" in detail and "packaging-glass" in detail
    assert "No utilization" not in detail


def test_quotes_change_nothing(client, db):
    from qaldyq.catalog.service import table_counts

    before = table_counts(db)
    post(client, {"kind": "vehicle", "category": "M1", "engine_cc": 1600})
    post(client, {"kind": "vehicle", "category": "M1"})
    assert table_counts(db) == before
