"""Bad input: clear problems naming the field, nothing changed; queues where the issue asks."""

from __future__ import annotations

from qaldyq.epr.vin import check_digit, vin_problem
from tests.epr.conftest import vin

PERIOD = {"period_from": "2024-01-01", "period_to": "2024-03-31"}
URL = "/api/v1/epr/declarations"


def declare(client, headers, *lines, **extra):
    return client.post(URL, json={**PERIOD, **extra, "lines": list(lines)}, headers=headers)


def errors(r):
    return [(e["pointer"], e["code"]) for e in r.json()["errors"]]


def test_vin_check_digit():
    # the worked example of the ISO 3779 / 49 CFR 565 check digit: 1M8GDM9A_KP042788 -> X
    assert check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_problem("1M8GDM9AXKP042788") is None
    assert vin_problem("1M8GDM9A1KP042788") is not None
    assert vin_problem("1M8GDM9AXKP04278") is not None  # 16 characters
    assert vin_problem("1M8GDM9AXKPO42788") is not None  # letter O


def test_registration_refusals(client, world):
    r = client.post("/api/v1/epr/registrations", json={"product_group": "packaging", "year": 2024, "route": "own_system"}, headers=world.importer_h)
    assert r.status_code == 409 and errors(r) == [("/product_group", "route-exists")]
    assert "operator" in r.json()["errors"][0]["detail"]
    r = client.post("/api/v1/epr/registrations", json={"product_group": "packaging", "year": 2024, "route": "operator"}, headers=world.plain_h)
    assert r.status_code == 422 and errors(r) == [("/organization_id", "not-producer")]
    r = client.post("/api/v1/epr/registrations", json={"product_group": "bananas", "year": 2024, "route": "operator"}, headers=world.other_h)
    assert errors(r) == [("/product_group", "unknown-product-group")]
    r = client.post("/api/v1/epr/registrations", json={"product_group": "packaging", "year": "x", "route": "operator"}, headers=world.other_h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/year"
    r = client.post("/api/v1/epr/registrations", json={"product_group": "packaging", "year": 2024, "route": "operator", "organization_id": world.importer.id},
                    headers=world.other_h)
    assert r.status_code == 403
    # Russian message
    r = client.post("/api/v1/epr/registrations", json={"product_group": "packaging", "year": 2024, "route": "own_system"},
                    headers={**world.importer_h, "Accept-Language": "ru"})
    assert "исключают" in r.json()["errors"][0]["detail"]
    assert [x["route"] for x in client.get("/api/v1/epr/registrations", headers=world.importer_h).json()] == ["operator"] * 4


def test_route_for_and_own_system(db, client, world):
    from qaldyq.epr.service import route_for

    assert route_for(db, world.importer.id, "packaging", 2024) == "operator"
    assert route_for(db, world.importer.id, "packaging", 2025) is None
    client.post("/api/v1/epr/registrations", json={"product_group": "packaging", "year": 2024, "route": "own_system"}, headers=world.other_h)
    assert route_for(db, world.other.id, "packaging", 2024) == "own_system"
    r = declare(client, world.other_h, {"kind": "packaging", "material": "packaging-glass", "mass_kg": "10"})
    assert errors(r) == [("/lines/0/hs_code", "no-operator-route")]


def test_declaration_refusals(client, world):
    h = world.importer_h
    assert errors(declare(client, h, {"hs_code": "0805100000", "mass_kg": "10"})) == [("/lines/0/hs_code", "hs-not-epr")]
    assert errors(declare(client, h, {"hs_code": "12", "mass_kg": "10"}))[0][0] == "/lines/0/hs_code"
    assert errors(declare(client, world.plain_h, {"hs_code": "4011100000", "mass_kg": "10"})) == [("/organization_id", "not-producer")]
    assert errors(declare(client, h, {"hs_code": "4011100000", "mass_kg": "-1"}))[0][0] == "/lines/0/mass_kg"
    assert errors(declare(client, h, {"hs_code": "4011100000", "mass_kg": "abc"}))[0][0] == "/lines/0/mass_kg"
    # no mass and the reference book has no figure: refused, with the field named
    r = declare(client, h, {"hs_code": "4011100000", "quantity_units": 40})
    assert errors(r) == [("/lines/0/mass_kg", "no-reference-mass")]
    r = client.post(URL, json={"period_from": "2024-03-31", "period_to": "2024-01-01", "lines": [{"hs_code": "4011100000", "mass_kg": "1"}]}, headers=h)
    assert errors(r) == [("/period_to", "dates-out-of-order")]
    bad_vin = vin(7)[:8] + ("0" if vin(7)[8] != "0" else "1") + vin(7)[9:]
    assert errors(declare(client, h, {"kind": "vehicle", "category": "M1", "vin": bad_vin, "engine_cc": 1500})) == [("/lines/0/vin", "invalid-vin")]
    assert errors(declare(client, h, {"kind": "vehicle", "category": "M1", "vin": vin(8), "engine_cc": 1500},
                          {"kind": "vehicle", "category": "M1", "vin": vin(8), "engine_cc": 1500})) == [("/lines/1/vin", "duplicate-vin")]
    assert declare(client, h, {"kind": "vehicle", "category": "M1", "vin": vin(9), "engine_cc": 1500}).status_code == 201
    r = declare(client, h, {"kind": "vehicle", "category": "M1", "vin": vin(9), "engine_cc": 1500})
    assert r.status_code == 409 and errors(r) == [("/lines/0/vin", "duplicate-vin")]
    assert errors(declare(client, h, {"kind": "vehicle", "category": "M1", "vin": vin(10)}))[0][0] == "/lines/0/engine_cc"
    assert errors(declare(client, h, {"kind": "vehicle", "category": "M1", "vin": vin(11), "engine_cc": 1500, "hs_code": "8704"})) == [("/lines/0/hs_code", "hs-mismatch")]
    assert client.get("/api/v1/epr/declarations", headers=h).json()[0]["lines"][0]["vin"] == vin(9)
    assert len(client.get("/api/v1/epr/declarations", headers=h).json()) == 1


def test_exemptions_need_evidence(client, world):
    h = world.importer_h
    catalogue = client.get("/api/v1/epr/exemptions").json()
    assert [e["item"] for e in catalogue] == list(range(1, 9)) and all(e["evidence"] for e in catalogue)
    line = {"kind": "packaging", "material": "packaging-polymer", "mass_kg": "1000"}
    r = declare(client, h, {**line, "exemption": {"code": "recycled-content", "evidence": []}})
    assert errors(r) == [("/lines/0/exemption/evidence", "evidence-missing")]
    r = declare(client, h, {**line, "exemption": {"code": "recycled-content", "evidence": [{"kind": "recycled_content_certificate", "number": "RC-1", "recycled_percent": "25"}]}})
    assert errors(r) == [("/lines/0/exemption/evidence", "recycled-share-low")]
    r = declare(client, h, {**line, "exemption": {"code": "no-such"}})
    assert errors(r) == [("/lines/0/exemption/code", "unknown-exemption")]
    r = declare(client, h, {"kind": "vehicle", "category": "M1", "vin": vin(20), "engine_cc": 1500,
                            "exemption": {"code": "personal-use", "evidence": [{"kind": "personal_import_declaration", "number": "P-1"}]}})
    assert errors(r) == [("/lines/0/exemption/code", "exemption-not-applicable")]  # item 4 excludes cars
    r = declare(client, h, {**line, "exemption": {"code": "recycled-content", "evidence": [{"kind": "recycled_content_certificate", "number": "RC-1", "recycled_percent": "30"}]}})
    assert r.status_code == 201 and r.json()["lines"][0]["amount_kzt"] == "0.00" and r.json()["total_kzt"] == "0.00"
    assert "30" in " ".join(r.json()["lines"][0]["explanation"]) or "recycled" in " ".join(r.json()["lines"][0]["explanation"])


def test_unmatched_payment_goes_to_queue(client, world):
    body = {"bank_reference": "X-1", "paid_on": "2024-05-01", "amount_kzt": "1000.00", "payer_bin": world.importer.bin, "purpose": "EPR-INV-2024-999999"}
    r = client.post("/api/v1/epr/payments", json=body, headers=world.operator_h)
    assert r.status_code == 201 and r.json()["status"] == "unmatched" and r.json()["invoice_id"] is None
    assert [p["bank_reference"] for p in client.get("/api/v1/epr/payments?status=unmatched", headers=world.operator_h).json()] == ["X-1"]
    r = client.post("/api/v1/epr/payments", json=body, headers=world.operator_h)
    assert r.status_code == 409 and errors(r) == [("/bank_reference", "duplicate-payment")]
    r = client.post("/api/v1/epr/payments", json={**body, "bank_reference": "X-2", "amount_kzt": "-5"}, headers=world.operator_h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/amount_kzt"
    # a statement with a bad row records nothing
    st = "bank_reference,paid_on,amount_kzt,payer_bin,purpose\nS-1,2024-05-02,100,%s,x\nS-2,not-a-date,100,%s,x\n" % (world.importer.bin, world.importer.bin)
    r = client.post("/api/v1/epr/payments/statement", files={"file": ("s.csv", st.encode())}, headers=world.operator_h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/rows/3/paid_on"
    assert len(client.get("/api/v1/epr/payments", headers=world.operator_h).json()) == 1
    # the operator assigns the queued payment to a real invoice
    dec = declare(client, world.importer_h, {"kind": "packaging", "material": "packaging-glass", "mass_kg": "100"}).json()
    inv = client.post(f"/api/v1/epr/declarations/{dec['id']}/review", json={"accept": True}, headers=world.operator_h).json()["invoice"]
    pid = client.get("/api/v1/epr/payments?status=unmatched", headers=world.operator_h).json()[0]["id"]
    r = client.post(f"/api/v1/epr/payments/{pid}/assign", json={"invoice_number": inv["number"]}, headers=world.operator_h)
    assert r.json()["status"] == "matched"
    got = client.get(f"/api/v1/epr/invoices/{inv['number']}", headers=world.importer_h).json()
    assert got["paid_kzt"] == "1000.00"


def test_xlsx_upload_with_error_file(client, world):
    import io

    from openpyxl import Workbook, load_workbook

    from qaldyq.epr.xlsx import COLUMNS

    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    good = {"kind": "packaging", "material": "packaging-glass", "mass_kg": 1500}
    bad = {"kind": "product", "hs_code": "0805100000", "mass_kg": 10}
    for row in (good, bad):
        ws.append([row.get(c) for c in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("lines.xlsx", buf.getvalue())}
    form = {"period_from": "2024-01-01", "period_to": "2024-03-31"}
    r = client.post("/api/v1/epr/declarations/xlsx?error_file=true", files=files, data=form, headers=world.importer_h)
    assert r.status_code == 422
    back = load_workbook(io.BytesIO(r.content)).active
    assert back.cell(1, len(COLUMNS) + 1).value == "error"
    assert not back.cell(2, len(COLUMNS) + 1).value and "0805100000" in back.cell(3, len(COLUMNS) + 1).value
    r = client.post("/api/v1/epr/declarations/xlsx", files=files, data=form, headers=world.importer_h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/rows/3/hs_code"
    ws.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/api/v1/epr/declarations/xlsx", files={"file": ("lines.xlsx", buf.getvalue())}, data=form, headers=world.importer_h)
    assert r.status_code == 201 and r.json()["lines"][0]["category"] == "packaging-glass"
