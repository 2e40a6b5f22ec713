"""The role matrix of the EPR endpoints, and the pages in kk, ru and en."""

from __future__ import annotations

import pytest

from tests.epr.conftest import vin
from tests.factories import bearer, make_user

# (method, path, body) -> roles allowed (others get 403)
MATRIX = [
    ("get", "/api/v1/epr/declarations", None, {"org_admin", "org_user", "operator", "authority", "admin"}),
    ("get", "/api/v1/epr/payments", None, {"org_admin", "org_user", "operator", "authority", "admin"}),
    ("post", "/api/v1/epr/payments", {"bank_reference": "R-%s", "paid_on": "2024-01-05", "amount_kzt": "10.00", "payer_bin": "000000000000"}, {"operator"}),
    ("post", "/api/v1/epr/customs", {"lines": [{"bin": "000000000000", "declaration_number": "D-%s", "declared_on": "2024-01-05", "hs_code": "0805", "quantity": 1, "mass_kg": 1}]}, {"operator"}),
    ("get", "/api/v1/epr/arrears?year=2024", None, {"operator", "authority", "admin"}),
    ("get", "/api/v1/epr/totals?year=2024", None, {"operator", "authority", "admin"}),
    ("post", "/api/v1/epr/declarations", {"period_from": "2024-01-01", "period_to": "2024-03-31", "lines": [{"kind": "packaging", "material": "packaging-glass", "mass_kg": "5"}]},
     {"org_admin", "org_user"}),
]
ROLES = ["org_admin", "org_user", "operator", "authority", "admin", "akimat", "inspector"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, db, world, role):
    user = make_user(db, world.importer, role)
    h = bearer(db, user)
    for n, (method, path, body, allowed) in enumerate(MATRIX):
        if body is not None:
            import json
            body = json.loads(json.dumps(body).replace("%s", f"{role}{n}"))
        r = getattr(client, method)(path, headers=h, **({"json": body} if body is not None else {}))
        if role in allowed:
            assert r.status_code in (200, 201), (role, path, r.text)
        else:
            assert r.status_code == 403, (role, path, r.status_code)


def test_own_data_only(client, world):
    r = client.post("/api/v1/epr/declarations", json={"period_from": "2024-01-01", "period_to": "2024-03-31",
                                                      "lines": [{"kind": "packaging", "material": "packaging-glass", "mass_kg": "5"}]}, headers=world.importer_h)
    dec = r.json()
    assert client.get(f"/api/v1/epr/declarations/{dec['id']}", headers=world.other_h).status_code == 404
    assert client.get("/api/v1/epr/declarations", headers=world.other_h).json() == []
    assert client.get(f"/api/v1/epr/declarations/{dec['id']}", headers=world.authority_h).status_code == 200
    # another organization's id in the body is refused
    r = client.post("/api/v1/epr/declarations", json={"organization_id": world.importer.id, "period_from": "2024-01-01", "period_to": "2024-03-31",
                                                      "lines": [{"kind": "packaging", "material": "packaging-glass", "mass_kg": "5"}]}, headers=world.other_h)
    assert r.status_code == 403


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_pages(client, world, lang):
    lines = [{"kind": "vehicle", "category": "M1", "vin": vin(30), "engine_cc": 2500}, {"kind": "packaging", "material": "packaging-glass", "mass_kg": "800"}]
    dec = client.post("/api/v1/epr/declarations", json={"period_from": "2024-01-01", "period_to": "2024-03-31", "lines": lines}, headers=world.importer_h).json()
    inv = client.post(f"/api/v1/epr/declarations/{dec['id']}/review", json={"accept": True}, headers=world.operator_h).json()["invoice"]
    client.post("/api/v1/epr/payments", json={"bank_reference": f"P-{lang}", "paid_on": "2024-04-02", "amount_kzt": inv["amount_kzt"],
                                              "payer_bin": world.importer.bin, "invoice_number": inv["number"]}, headers=world.operator_h)
    q = f"?lang={lang}"
    for path, h in (("/epr", world.importer_h), (f"/epr/declarations/{dec['id']}", world.importer_h), ("/epr/operator", world.operator_h),
                    ("/epr/totals", world.authority_h)):
        r = client.get(path + q, headers=h)
        assert r.status_code == 200, (path, r.text[:500])
    page = client.get(f"/epr/declarations/{dec['id']}{q}", headers=world.importer_h).text
    assert dec["lines"][0]["amount_kzt"] in page and vin(30) in page
    totals = client.get(f"/epr/totals{q}", headers=world.authority_h).text
    assert "<svg" in totals and {"kk": "Көлік", "ru": "Транспорт", "en": "Vehicles"}[lang] in totals
    cert = client.get(f"/api/v1/epr/invoices/{inv['number']}", headers=world.importer_h).json()["certificates"][0]
    r = client.get(f"/epr/verify/{cert}{q}")  # public, no login
    assert r.status_code == 200 and cert in r.text
    assert client.get(f"/epr/verify/SVUP-0000-000000{q}").status_code == 404
