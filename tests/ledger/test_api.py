"""The ledger API as an outside client uses it: signed events, views, the role matrix, bad input."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from qaldyq.ledger import service as L
from qaldyq.signing import service as signing
from tests.factories import bearer, make_org, make_site, make_user

MSW = "20 03 01"


def gen_body(site, key="gen-1", mass=1_500, **kw):
    return {"idempotency_key": key, "site_id": site.id, "waste_code": MSW, "mass_kg": mass, **kw}


def balance(client, headers, site, code=MSW):
    r = client.get(f"/api/v1/ledger/sites/{site.id}/balances", headers=headers)
    assert r.status_code == 200, r.text
    return {b["waste_code"]: b["balance_kg"] for b in r.json()["balances"]}.get(code, 0)


def test_signed_generation_is_recorded_with_its_signature(db, world, api_client):
    c = api_client(world.gen_org)
    body = gen_body(world.gen_site, reference={"type": "journal", "id": "J-2026-17"}, note="цех №1, смена 2")
    req = c.http.post("/api/v1/ledger/generation/signing-request", json=body, headers=c.headers).json()
    assert req["payload"].startswith('{"action":"ledger.generation","document":{')
    assert '"document_id":"gen-1","document_type":"ledger_event"' in req["payload"]
    r = c.signed("/api/v1/ledger/generation", body)
    assert r.status_code == 201, r.text
    tx = r.json()
    assert tx["kind"] == "generation" and tx["mass_kg"] == 1_500 and tx["reference"] == {"type": "journal", "id": "J-2026-17"}
    assert [(e["account_kind"], e["amount_kg"]) for e in tx["entries"]] == [("generation", -1_500), ("site", 1_500)]
    (sig,) = tx["signatures"]
    assert sig["action"] == "ledger.generation" and sig["signer_user_id"] == c.user.id and sig["version_hash"] == req["sha256"] and not sig["held_key"]
    assert signing.check_stored(db, sig["id"]).ok
    assert balance(c.http, c.headers, world.gen_site) == 1_500
    again = c.signed("/api/v1/ledger/generation", body)
    assert again.status_code == 200 and again.json()["id"] == tx["id"] and len(again.json()["signatures"]) == 1
    assert balance(c.http, c.headers, world.gen_site) == 1_500


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_processing_and_export_with_other_key_types(db, world, api_client, kind):
    c = api_client(world.rec_org, "org_admin", kind)
    assert c.signed("/api/v1/ledger/generation", gen_body(world.rec_site, mass=1_000)).status_code == 201
    r = c.signed("/api/v1/ledger/processing", {
        "idempotency_key": "proc-1", "site_id": world.rec_site.id, "operation": "R3", "inputs": [{"waste_code": MSW, "mass_kg": 1_000}],
        "outputs": [{"kind": "product", "code": "RDF", "mass_kg": 400}, {"kind": "waste", "code": "19 12 04", "mass_kg": 300}],
        "residues": [{"waste_code": "19 12 12", "mass_kg": 260}], "loss_kg": 40,
    })
    assert r.status_code == 201, r.text
    assert sorted(e["line"] for e in r.json()["entries"]) == ["input", "loss", "output", "output", "residue"]
    r = c.signed("/api/v1/ledger/export", {"idempotency_key": "exp-1", "site_id": world.rec_site.id, "waste_code": "19 12 04", "mass_kg": 300, "country": "UZ"})
    assert r.status_code == 201 and r.json()["country"] == "UZ"
    assert balance(c.http, c.headers, world.rec_site, "19 12 04") == 0


def test_bad_signature_and_stale_hash_record_nothing(db, world, api_client, ca):
    c = api_client(world.gen_org)
    body = gen_body(world.gen_site)
    req = c.http.post("/api/v1/ledger/generation/signing-request", json=body, headers=c.headers).json()
    _, stranger_key = ca.issue("not registered")
    from tests.signing.pki import sign_b64

    r = c.http.post("/api/v1/ledger/generation", json={**body, "signature": {"sha256": req["sha256"], "signature": sign_b64(stranger_key, req["payload"].encode())}},
                    headers={**c.headers, "Accept-Language": "kk"})
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:bad-signature"
    assert r.json()["errors"][0]["pointer"] == "/signature" and r.headers["content-language"] == "kk"
    good = sign_b64(c.key, req["payload"].encode())
    r = c.http.post("/api/v1/ledger/generation", json={**body, "mass_kg": 15_000, "signature": {"sha256": req["sha256"], "signature": good}}, headers=c.headers)
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:hash-mismatch"
    assert balance(c.http, c.headers, world.gen_site) == 0


def test_insufficient_balance_is_problem_json_in_russian(db, world, api_client):
    c = api_client(world.lf_org)
    r = c.signed("/api/v1/ledger/disposal", {"idempotency_key": "d", "site_id": world.lf_site.id, "waste_code": MSW, "mass_kg": 10, "operation": "D1"},
                 headers={"Accept-Language": "ru"})
    assert r.status_code == 409
    assert r.json()["type"] == "urn:qaldyq:problem:insufficient-balance" and r.json()["errors"][0]["pointer"] == "/mass_kg"
    assert r.json()["detail"] == "На площадке «Полигон ТБО» 0 кг отхода 20 03 01 — меньше запрошенных 10 кг."


@pytest.mark.parametrize("patch,pointer", [
    ({"mass_kg": "100"}, "/mass_kg"), ({"mass_kg": 0}, "/mass_kg"), ({"mass_kg": -3}, "/mass_kg"), ({"mass_kg": 10**15}, "/mass_kg"),
    ({"mass_kg": 1.5}, "/mass_kg"), ({"site_id": 0}, "/site_id"), ({"waste_code": ""}, "/waste_code"), ({"colour": "red"}, "/colour"),
    ({"effective_at": "2026-01-01T00:00:00"}, "/effective_at"), ({"effective_at": "yesterday"}, "/effective_at"),
    ({"reference": {"type": "transfer"}}, "/reference/id"),
])
def test_bad_input_names_the_field(client, db, world, api_client, patch, pointer):
    c = api_client(world.gen_org)
    r = client.post("/api/v1/ledger/generation/signing-request", json={**gen_body(world.gen_site), **patch}, headers=c.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert pointer in [e.get("pointer") for e in r.json()["errors"]]


def test_unknown_site_and_missing_signature(client, db, world, api_client):
    c = api_client(world.gen_org)
    r = client.post("/api/v1/ledger/generation/signing-request", json=gen_body(world.gen_site) | {"site_id": 987_654}, headers=c.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/site_id"
    r = client.post("/api/v1/ledger/generation", json=gen_body(world.gen_site), headers=c.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/signature"


def test_write_role_matrix(client, db, world, api_client):
    own = api_client(world.gen_org)
    assert own.signed("/api/v1/ledger/generation", gen_body(world.gen_site, key="own")).status_code == 201
    admin_of_org = api_client(world.gen_org, "org_admin")
    assert admin_of_org.signed("/api/v1/ledger/generation", gen_body(world.gen_site, key="own-admin")).status_code == 201
    stranger = api_client(world.rec_org)
    r = client.post("/api/v1/ledger/generation/signing-request", json=gen_body(world.gen_site, key="x"), headers=stranger.headers)
    assert r.status_code == 403 and r.json()["detail"] == "You may record only for the sites of your own organization."
    for role in ("admin", "authority", "operator", "akimat", "inspector"):
        h = bearer(db, make_user(db, make_org(db), role))
        assert client.post("/api/v1/ledger/generation/signing-request", json=gen_body(world.gen_site, key=role), headers=h).status_code == 403, role
    assert client.post("/api/v1/ledger/generation/signing-request", json=gen_body(world.gen_site)).status_code == 401
    read_only = bearer(db, own.user, scopes=("read",))
    assert client.post("/api/v1/ledger/generation/signing-request", json=gen_body(world.gen_site), headers=read_only).status_code == 403
    assert balance(client, own.headers, world.gen_site) == 3_000


def test_read_role_matrix(client, db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=42)
    url = f"/api/v1/ledger/sites/{world.gen_site.id}/balances"
    expect = {
        ("org_user", world.gen_org): 200, ("org_admin", world.gen_org): 200, ("org_user", None): 403, ("org_admin", None): 403,
        ("authority", None): 200, ("operator", None): 200, ("admin", None): 200,
        ("akimat", "710000000"): 200, ("inspector", "710000000"): 200, ("akimat", "750000000"): 403, ("inspector", "750000000"): 403,
    }
    for (role, where), status in expect.items():
        org = where if not isinstance(where, str) and where is not None else make_org(db, region=where or "550000000")
        r = client.get(url, headers=bearer(db, make_user(db, org, role)))
        assert r.status_code == status, (role, where, r.text)
        if status == 200:
            assert r.json()["balances"] == [{"waste_code": MSW, "balance_kg": 42}]
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/ledger/sites/999999/balances", headers=bearer(db, make_user(db, make_org(db), "authority"))).status_code == 404


def test_views_endpoints(client, db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=5_000)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=4_000,
                        reference=L.Reference("transfer", "TD-2026-000042"))
    L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=4_000)
    h = bearer(db, make_user(db, world.gen_org, "org_user"))
    mv = client.get(f"/api/v1/ledger/sites/{world.gen_site.id}/movements", headers=h, params={"limit": 1}).json()
    assert mv["total"] == 2 and mv["items"][0]["line"] == "pickup" and mv["items"][0]["counterparty_site_name"] == "Полигон ТБО"
    mb = client.get(f"/api/v1/ledger/sites/{world.gen_site.id}/mass-balance", headers=h, params={"date_from": "2026-01-01", "date_to": "2030-12-31"}).json()
    assert mb["rows"] == [{"waste_code": MSW, "opening_kg": 0, "generated_kg": 5_000, "received_kg": 0, "returned_kg": 0, "produced_kg": 0, "processed_kg": 0,
                           "sent_kg": 4_000, "disposed_kg": 0, "exported_kg": 0, "loss_kg": 0, "closing_kg": 1_000}]
    r = client.get(f"/api/v1/ledger/sites/{world.gen_site.id}/mass-balance", headers=h, params={"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "date_to"
    x = client.get(f"/api/v1/ledger/sites/{world.gen_site.id}/mass-balance.xlsx", headers=h, params={"date_from": "2026-01-01", "date_to": "2030-12-31", "lang": "kk"})
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(x.content)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    data_row = next(r for r in values if r and r[0] == MSW)
    assert list(data_row[1:3]) == [0, 5] and data_row[-1] == 1
    txs = client.get("/api/v1/ledger/transactions", headers=h, params={"ref_type": "transfer", "ref_id": "TD-2026-000042"}).json()
    assert [t["kind"] for t in txs] == ["transfer_pending"]
    stranger = bearer(db, make_user(db, world.rec_org, "org_user"))
    assert client.get("/api/v1/ledger/transactions", headers=stranger, params={"ref_type": "transfer", "ref_id": "TD-2026-000042"}).json() == []
    assert client.get(f"/api/v1/ledger/transactions/{p.transaction_id}", headers=stranger).status_code == 403
    lf = bearer(db, make_user(db, world.lf_org, "org_user"))
    ch = client.get(f"/api/v1/ledger/transactions/{p.transaction_id}/chain", headers=lf).json()
    assert ch["root"]["reference"] == {"type": "transfer", "id": "TD-2026-000042"}
    assert ch["sources"][0]["transaction"]["kind"] == "generation" and ch["sources"][0]["kg"] == 4_000
    assert ch["destinations"][0]["transaction"]["kind"] == "transfer_posted" and ch["destinations"][0]["children"][0]["end"] == "held"


def test_reversal_through_the_api(db, world, api_client):
    c = api_client(world.gen_org)
    tx = c.signed("/api/v1/ledger/generation", gen_body(world.gen_site)).json()
    r = c.signed(f"/api/v1/ledger/transactions/{tx['id']}/reversal", {"idempotency_key": "rev-1", "reason": "дубль записи"})
    assert r.status_code == 201, r.text
    assert r.json()["reverses_id"] == tx["id"] and r.json()["signatures"][0]["action"] == "ledger.reversal"
    assert c.http.get(f"/api/v1/ledger/transactions/{tx['id']}", headers=c.headers).json()["reversed_by_id"] == r.json()["id"]
    assert balance(c.http, c.headers, world.gen_site) == 0
    L.record_generation(db, key="g2", site_id=world.gen_site.id, waste_code=MSW, mass_kg=10)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.lf_site.id, waste_code=MSW, mass_kg=10)
    r = c.http.post(f"/api/v1/ledger/transactions/{p.transaction_id}/reversal/signing-request", json={"idempotency_key": "rev-2", "reason": "x"}, headers=c.headers)
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:not-reversible-here"
    other = api_client(world.rec_org)
    r = other.http.post(f"/api/v1/ledger/transactions/{tx['id']}/reversal/signing-request", json={"idempotency_key": "rev-3", "reason": "x"}, headers=other.headers)
    assert r.status_code == 403


def test_verify_endpoint(client, db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=1)
    r = client.get("/api/v1/ledger/verify", headers=bearer(db, make_user(db, make_org(db), "authority")))
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["transactions"] == 1
    assert client.get("/api/v1/ledger/verify", headers=bearer(db, make_user(db, world.gen_org, "org_admin"))).status_code == 403
