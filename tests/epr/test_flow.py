"""From registration to a verifiable certificate, through the API, with amounts equal to the
catalogue's public quotes to the tiyn."""

from __future__ import annotations

from decimal import Decimal

from tests.epr.conftest import vin

PERIOD = {"period_from": "2024-04-01", "period_to": "2024-06-30"}


def quote(client, **body):
    r = client.post("/api/v1/epr/quotes", json={"date": "2024-06-30", **body})
    assert r.status_code == 200, r.text
    return r.json()["amount_kzt"]


def test_declaration_to_certificate(client, world):
    lines = [{"kind": "product", "hs_code": "4011 10 000 0", "mass_kg": "12345"},
             {"kind": "packaging", "material": "packaging-polymer", "mass_kg": "2500.5"},
             {"kind": "vehicle", "category": "M1", "vin": vin(1), "engine_cc": 1600, "hs_code": "8703 23"},
             {"kind": "vehicle", "category": "N3", "vin": vin(2), "gross_mass_t": "18"}]
    r = client.post("/api/v1/epr/declarations", json={**PERIOD, "lines": lines}, headers=world.importer_h)
    assert r.status_code == 201, r.text
    dec = r.json()
    amounts = [ln["amount_kzt"] for ln in dec["lines"]]
    # the same numbers as the public calculator (Table 21 for 2024, Table 12 × MRP 2024 = 3692)
    assert amounts == [quote(client, kind="product", category="tyres", mass_t="12.345"),
                       quote(client, kind="product", category="packaging-polymer", mass_t="2.501"),
                       quote(client, kind="vehicle", category="M1", engine_cc=1600),
                       quote(client, kind="vehicle", category="N3", gross_mass_t="18")]
    assert amounts[2] == "646100.00"  # 50 MRP × 3.5 × 3692
    assert Decimal(dec["total_kzt"]) == sum(Decimal(a) for a in amounts)
    assert dec["lines"][0]["category"] == "tyres" and dec["lines"][0]["explanation"]
    assert dec["status"] == "submitted" and dec["invoice"] is None

    r = client.post(f"/api/v1/epr/declarations/{dec['id']}/review", json={"accept": True}, headers=world.operator_h)
    assert r.status_code == 200, r.text
    inv = r.json()["invoice"]
    assert inv["number"].startswith("EPR-INV-") and len(inv["number"]) == len("EPR-INV-2026-000001")
    assert inv["amount_kzt"] == dec["total_kzt"] and inv["status"] == "open"

    total = Decimal(inv["amount_kzt"])
    half = (total / 2).quantize(Decimal("0.01"))
    bin_ = world.importer.bin
    r = client.post("/api/v1/epr/payments", json={"bank_reference": "B-1", "paid_on": "2024-07-01", "amount_kzt": str(half), "payer_bin": bin_,
                                                  "invoice_number": inv["number"]}, headers=world.operator_h)
    assert r.status_code == 201 and r.json()["status"] == "matched"
    r = client.get(f"/api/v1/epr/invoices/{inv['number']}", headers=world.importer_h).json()
    assert r["status"] == "partial" and Decimal(r["balance_kzt"]) == total - half and r["certificates"] == []

    # the rest and 1000 tenge more, by a statement whose purpose names the invoice
    rest = total - half + 1000
    csv_text = f"bank_reference;paid_on;amount_kzt;payer_bin;purpose\nB-2;2024-07-02;{rest};{bin_};Утилизационный платеж по счету {inv['number']}\n"
    r = client.post("/api/v1/epr/payments/statement", files={"file": ("st.csv", csv_text.encode())}, headers=world.operator_h)
    assert r.json() == {"matched": 1, "unmatched": 0, "duplicates": 0, "payments": r.json()["payments"]}
    # the same statement again counts nothing twice
    r = client.post("/api/v1/epr/payments/statement", files={"file": ("st.csv", csv_text.encode())}, headers=world.operator_h)
    assert r.json()["duplicates"] == 1 and r.json()["matched"] == 0
    r = client.get(f"/api/v1/epr/invoices/{inv['number']}", headers=world.importer_h).json()
    assert r["status"] == "paid" and r["balance_kzt"] == "-1000.00" and r["credit_kzt"] == "1000.00"
    certs = r["certificates"]
    assert len(certs) == 3  # one per vehicle, one for the product lines

    for number in certs:
        pub = client.get(f"/api/v1/epr/certificates/{number}")  # no credentials
        assert pub.status_code == 200 and pub.json()["valid"] is True
    vehicles = [client.get(f"/api/v1/epr/certificates/{n}").json() for n in certs]
    assert sorted(v["vehicle"]["vin"] for v in vehicles if v["kind"] == "vehicle") == sorted([vin(1), vin(2)])
    products = next(v for v in vehicles if v["kind"] == "products")
    assert products["products"] == [{"category": "packaging-polymer", "mass_kg": "2500.500"}, {"category": "tyres", "mass_kg": "12345.000"}]
    assert "organization_id" not in products and "invoice_id" not in products

    pdf = client.get(f"/api/v1/epr/certificates/{certs[0]}/pdf", headers=world.importer_h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/epr/certificates/{certs[0]}/pdf", headers=world.other_h).status_code == 404

    r = client.post(f"/api/v1/epr/certificates/{certs[0]}/cancel", json={"reason": "Ошибка в VIN"}, headers=world.operator_h)
    assert r.status_code == 200 and r.json()["valid"] is False and r.json()["cancel_reason"] == "Ошибка в VIN"
    assert client.get(f"/api/v1/epr/certificates/{certs[0]}").json()["status"] == "cancelled"
    assert client.post(f"/api/v1/epr/certificates/{certs[0]}/cancel", json={"reason": "again"}, headers=world.operator_h).status_code == 409
