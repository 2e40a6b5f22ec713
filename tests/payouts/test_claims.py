from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from qaldyq.catalog import service as catalog

OCT = {"period_from": "2026-10-01", "period_to": "2026-10-31"}


def claim(client, books, operation="collection", headers=None, **over):
    body = {"organization_id": books.recycler.id, "operation": operation, **OCT, **over}
    return client.post("/api/v1/payouts/claims", json=body, headers=headers or books.rec_headers)


def test_collection_claim_from_ledger_with_rates_and_explanation(client, db, books):
    r = claim(client, books)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "draft" and body["operation"] == "collection"
    # only the two polymer transfers: the paper one is outside the contract's categories
    assert sorted(x["transaction_id"] for x in body["lines"]) == sorted(books.posted)
    assert body["mass_kg"] == 9_800 + 4_000
    expected = [catalog.quote_payout(db, category="packaging-polymer", operation="collection", mass_t=Decimal(m) / 1000,
                                     on_date=__import__("datetime").date(2026, 10, d)).amount_kzt for m, d in ((9_800, 5), (4_000, 12))]
    # 9.05 MRP/t x 4,325 KZT (MRP 2026) x 9.8 t = 383,584.25
    assert expected[0] == Decimal("383584.25")
    assert Decimal(body["amount_kzt"]) == sum(expected)
    line = next(x for x in body["lines"] if x["mass_kg"] == 9_800)
    assert line["rate_mrp"] == "9.05" and line["reference"] == "TD-2026-900001" and line["category"] == "packaging-polymer"
    assert any("9.05" in s for s in line["explanation"])


def test_processing_claim_uses_processing_inputs(client, books):
    r = claim(client, books, "processing")
    assert r.status_code == 201, r.text
    body = r.json()
    assert [x["transaction_id"] for x in body["lines"]] == [books.processing]
    assert body["mass_kg"] == 9_000
    assert body["lines"][0]["rate_mrp"] == "1.79"


def test_lifecycle_registry_export_and_payment(client, books):
    c = claim(client, books).json()
    r = client.post(f"/api/v1/payouts/registries", json={"claim_ids": [c["id"]]}, headers=books.operator_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/claim_ids/0"  # a draft is not paid
    assert client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "approve"}, headers=books.operator_headers).status_code == 409
    assert client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "submit"}, headers=books.rec_headers).json()["status"] == "submitted"
    # the claimant cannot approve its own claim
    assert client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "approve"}, headers=books.rec_headers).status_code == 403
    r = client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "approve"}, headers=books.operator_headers)
    assert r.json()["status"] == "approved"
    reg = client.post("/api/v1/payouts/registries", json={"claim_ids": [c["id"]]}, headers=books.operator_headers)
    assert reg.status_code == 201, reg.text
    reg = reg.json()
    assert reg["total_kzt"] == c["amount_kzt"]
    out = client.get(f"/api/v1/payouts/registries/{reg['id']}/export", params={"format": "csv"}, headers=books.operator_headers)
    rows = list(csv.DictReader(io.StringIO(out.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["claim"] == c["number"] and rows[0]["amount_kzt"] == c["amount_kzt"] and rows[0]["bin"] == books.recycler.bin
    x = client.get(f"/api/v1/payouts/registries/{reg['id']}/export", params={"format": "xlsx"}, headers=books.operator_headers)
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws.cell(2, 2).value == c["number"] and Decimal(str(ws.cell(2, 8).value)) == Decimal(c["amount_kzt"])
    paid = client.post(f"/api/v1/payouts/registries/{reg['id']}/pay", headers=books.operator_headers)
    assert paid.json()["status"] == "paid"
    assert client.get(f"/api/v1/payouts/claims/{c['id']}", headers=books.rec_headers).json()["status"] == "paid"


def test_rejection_releases_the_tonnes(client, books):
    c = claim(client, books).json()
    client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "submit"}, headers=books.rec_headers)
    r = client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "reject"}, headers=books.operator_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason"
    r = client.post(f"/api/v1/payouts/claims/{c['id']}/actions", json={"action": "reject", "reason": "Весы не поверены"}, headers=books.operator_headers)
    assert r.json()["status"] == "rejected" and r.json()["lines"] == []
    assert claim(client, books).status_code == 201


def test_bad_input(client, books, as_role):
    assert claim(client, books).status_code == 201
    r = claim(client, books)  # the same period again
    assert r.status_code == 409 and r.json()["errors"][0]["pointer"] == "/period_from"
    r = claim(client, books, "processing", transaction_ids=[books.posted[0]])  # a transfer is not processing
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/transaction_ids/0"
    r = claim(client, books, "transportation")  # not in the contract
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/operation"
    r = claim(client, books, "processing", period_from="2026-10-31", period_to="2026-10-01")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/period_to"
    r = claim(client, books, "processing", period_to="2099-01-31")
    assert r.status_code == 422
    r = claim(client, books, "teleport")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/operation"
    r = claim(client, books, "processing", transaction_ids=["x"])
    assert r.status_code == 422
    # another organization's user cannot claim for the recycler
    h, _, _ = as_role("org_admin")
    assert claim(client, books, "processing", headers=h).status_code == 403


def test_category_outside_contract_named(client, books):
    r = claim(client, books, transaction_ids=[books.posted[0], books.paper_posted])
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["pointer"] == "/transaction_ids/1" and "packaging-paper" in err["detail"]


def test_contract_input(client, books, as_role):
    body = {"organization_id": books.carrier.id, "operations": ["transportation"], "categories": ["packaging-polymer"], "valid_from": "2026-01-01"}
    h, _, _ = as_role("org_admin")
    assert client.post("/api/v1/payouts/contracts", json=body, headers=h).status_code == 403
    r = client.post("/api/v1/payouts/contracts", json={**body, "categories": ["unobtainium"]}, headers=books.operator_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/categories/0"
    r = client.post("/api/v1/payouts/contracts", json={**body, "valid_to": "2025-01-01"}, headers=books.operator_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/valid_to"
    r = client.post("/api/v1/payouts/contracts", json=body, headers=books.operator_headers)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/payouts/contracts", json=body, headers=books.operator_headers).status_code == 409
    r = client.post("/api/v1/payouts/claims", json={"organization_id": books.carrier.id, "operation": "transportation", **OCT},
                    headers=books.operator_headers)
    assert r.status_code == 403  # the operator reviews, it does not claim


def test_role_matrix_reads(client, books, as_role):
    c = claim(client, books).json()
    h_other, _, _ = as_role("org_admin")
    assert client.get(f"/api/v1/payouts/claims/{c['id']}", headers=h_other).status_code == 404
    assert client.get("/api/v1/payouts/claims", headers=h_other).json() == []
    h_auth, _, _ = as_role("authority")
    assert [x["id"] for x in client.get("/api/v1/payouts/claims", headers=h_auth).json()] == [c["id"]]
    h_ins_other, _, _ = as_role("inspector", region="750000000")
    assert client.get(f"/api/v1/payouts/claims/{c['id']}", headers=h_ins_other).status_code == 404
    h_akimat, _, _ = as_role("akimat")
    assert client.get("/api/v1/payouts/claims", headers=h_akimat).status_code == 403
    assert client.get("/api/v1/payouts/claims").status_code == 401


def test_transportation_claim_for_the_carrier_from_the_legs(client, db, books):
    from datetime import date

    from qaldyq.payouts import service
    from tests.factories import bearer, make_user

    service.create_contract(db, organization_id=books.carrier.id, operations=["transportation"], categories=["packaging-polymer", "packaging-paper"],
                            valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31))
    h = bearer(db, make_user(db, books.carrier, "org_user"))
    r = client.post("/api/v1/payouts/claims", json={"organization_id": books.carrier.id, "operation": "transportation", **OCT}, headers=h)
    assert r.status_code == 201, r.text
    lines = {x["reference"]: x for x in r.json()["lines"]}
    assert set(lines) == {"TD-2026-900001", "TD-2026-900002", "TD-2026-900003"}
    assert lines["TD-2026-900003"]["category"] == "packaging-paper" and lines["TD-2026-900003"]["rate_mrp"] == "4.23"
    # the recycler's collection claim is independent of the carrier's transportation claim on the same tonnes
    assert claim(client, books).status_code == 201
