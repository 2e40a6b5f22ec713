"""POST /api/v1/transfers/bulk: per-item savepoints, per-item problems, idempotent replay."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from qaldyq.signing.models import StoredSignature
from qaldyq.transfers.models import BulkItemResult, TransferDocument
from tests.factories import bearer, make_org, make_user
from tests.signing.pki import sign_b64

URL = "/api/v1/transfers/bulk"


def draft_data(world, **over) -> dict:
    body = {"consignor_site_id": world.gen_site.id, "receiver_site_id": world.rec_site.id, "legs": [{"carrier_org_id": world.carrier.org.id}],
            "waste_code": "15 01 02", "description": "ПЭТ-бутылки", "physical_form": "solid", "containers": [{"type": "big_bag", "count": 4}],
            "declared_mass_kg": 2000, "mass_basis": "estimated", "planned_operation": "R3"}
    body.update(over)
    return body


def bulk(world, party, items, lang=None):
    headers = {**party.headers, **({"Accept-Language": lang} if lang else {})}
    return world.http.post(URL, json={"items": items}, headers=headers)


def sign_item(world, party, number, action, key, *, signing_key=None) -> dict:
    req = world.http.get(f"/api/v1/transfers/{number}/signing-request", params={"action": action}, headers=party.headers).json()
    sig = sign_b64(signing_key or party.key, req["payload"].encode())
    return {"idempotency_key": key, "op": "sign", "number": number, "data": {"action": action, "sha256": req["sha256"], "signature": sig}}


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_mixed_items_each_get_their_result_and_only_valid_ones_are_written(world, db):
    items = [
        {"idempotency_key": "create-0001", "op": "create", "data": draft_data(world)},
        {"idempotency_key": "create-0002", "op": "create", "data": draft_data(world, waste_code="99 99 99")},
        {"idempotency_key": "create-0003", "op": "create", "data": draft_data(world, declared_mass_kg="many")},
        {"idempotency_key": "vehicle-0001", "op": "vehicle", "number": "TD-2026-999999", "data": {"vehicle_id": world.truck.id, "expected_version": 1}},
        {"idempotency_key": "bad-op-0001", "op": "teleport", "data": {}},
        {"idempotency_key": "nonumber-01", "op": "weighing", "data": {}},
        "not an object",
        {"idempotency_key": "create-0004", "op": "create", "data": draft_data(world, declared_mass_kg=500, description="Плёнка")},
    ]
    r = bulk(world, world.consignor, items, lang="ru")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["succeeded"], body["failed"]) == (2, 6)
    res = body["items"]
    assert [x["ok"] for x in res] == [True, False, False, False, False, False, False, True]
    assert res[0]["state"] == "draft" and res[0]["version"] == 1 and res[0]["number"].startswith("TD-")
    assert res[1]["problem"]["errors"][0]["pointer"] == "/items/1/data/waste_code"
    assert res[2]["problem"]["status"] == 422
    assert res[2]["problem"]["errors"][0] == {"code": "int_parsing", "pointer": "/items/2/data/declared_mass_kg", "detail": "Должно быть целое число."}
    assert res[3]["problem"]["status"] == 404
    assert res[4]["problem"]["errors"][0]["pointer"] == "/items/4/op"
    assert res[5]["problem"]["errors"][0]["pointer"] == "/items/5/number"
    assert res[6]["problem"]["errors"][0]["pointer"] == "/items/6" and res[6]["idempotency_key"] is None
    # only the two valid drafts exist, with their stored results
    numbers = set(db.scalars(select(TransferDocument.number)))
    assert numbers == {res[0]["number"], res[7]["number"]}
    assert count(db, BulkItemResult) == 2
    assert world.get(res[7]["number"])["declared_mass_kg"] == 500


def test_replay_returns_the_original_result_and_a_changed_item_is_refused(world, db):
    items = [{"idempotency_key": "replay-0001", "op": "create", "data": draft_data(world)}]
    first = bulk(world, world.consignor, items).json()["items"][0]
    again = bulk(world, world.consignor, items).json()["items"][0]
    assert again["ok"] and again["replayed"] and again["number"] == first["number"] and not first["replayed"]
    assert count(db, TransferDocument) == 1
    changed = [{"idempotency_key": "replay-0001", "op": "create", "data": draft_data(world, declared_mass_kg=1999)}]
    r = bulk(world, world.consignor, changed).json()["items"][0]
    assert not r["ok"] and r["problem"]["status"] == 409 and r["problem"]["type"].endswith("idempotency-key-reused")
    assert r["problem"]["errors"][0]["pointer"] == "/items/0/idempotency_key"
    # the same key twice in one request: the second is a replay of the first
    twice = bulk(world, world.consignor, [items[0] | {"idempotency_key": "replay-0002"}] * 2).json()["items"]
    assert twice[0]["number"] == twice[1]["number"] and twice[1]["replayed"]
    assert count(db, TransferDocument) == 2
    # keys belong to the organization: another organization's same key is its own
    assert bulk(world, world.receiver, items).json()["items"][0]["problem"]["status"] == 403


def test_more_than_1000_items_are_refused_whole(world, db):
    items = [{"idempotency_key": f"many-{i:06d}", "op": "create", "data": draft_data(world)} for i in range(1001)]
    r = bulk(world, world.consignor, items)
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/items" and r.json()["errors"][0]["code"] == "too_long"
    assert count(db, TransferDocument) == 0
    assert bulk(world, world.consignor, []).status_code == 422


def test_partial_failure_keeps_the_valid_signature_and_drops_the_forged_one(world, db):
    a, b = world.draft()["number"], world.draft()["number"]
    forged = sign_item(world, world.consignor, b, "sign_consignor", "sign-b-0001", signing_key=world.carrier.key)
    items = [sign_item(world, world.consignor, a, "sign_consignor", "sign-a-0001"), forged]
    r = bulk(world, world.consignor, items).json()
    assert [x["ok"] for x in r["items"]] == [True, False]
    assert r["items"][0]["state"] == "signed_by_consignor" and r["items"][0]["version"] == 2
    assert r["items"][1]["problem"]["status"] in (409, 422)
    assert world.get(a)["state"] == "signed_by_consignor"
    assert world.get(b)["state"] == "draft" and world.get(b)["version"] == 1
    assert db.scalar(select(func.count()).select_from(StoredSignature).where(StoredSignature.document_id == b)) == 0
    # the refused item stored nothing: the corrected item under the same key goes through
    fixed = sign_item(world, world.consignor, b, "sign_consignor", "sign-b-0001")
    assert bulk(world, world.consignor, [fixed]).json()["items"][0]["state"] == "signed_by_consignor"


def test_whole_lifecycle_through_bulk(world, db):
    created = bulk(world, world.consignor, [{"idempotency_key": "life-create", "op": "create", "data": draft_data(world)}]).json()["items"][0]
    n = created["number"]
    assert bulk(world, world.consignor, [sign_item(world, world.consignor, n, "sign_consignor", "life-sign-c")]).json()["items"][0]["ok"]
    r = bulk(world, world.carrier, [{"idempotency_key": "life-vehicle", "op": "vehicle", "number": n, "data": {"vehicle_id": world.truck.id, "expected_version": 2}}])
    assert r.json()["items"][0]["version"] == 3
    r = bulk(world, world.carrier, [sign_item(world, world.carrier, n, "sign_carrier", "life-sign-k")]).json()["items"][0]
    assert r["state"] == "in_transit" and r["version"] == 4
    now = datetime.now(timezone.utc).isoformat()
    r = bulk(world, world.receiver, [{"idempotency_key": "life-weigh", "op": "weighing", "number": n,
                                      "data": {"instrument_id": world.scale.id, "gross_kg": 14950, "tare_kg": 12980, "weighed_at": now, "expected_version": 4}}])
    assert r.json()["items"][0]["ok"], r.text
    r = bulk(world, world.receiver, [sign_item(world, world.receiver, n, "receive", "life-receive")]).json()["items"][0]
    assert r["state"] == "received" and r["version"] == 6
    r = bulk(world, world.receiver, [{"idempotency_key": "life-accept", "op": "acceptance", "number": n,
                                      "data": {"accepted_kg": 1970, "refused_kg": 0, "expected_version": 6}}])
    assert r.json()["items"][0]["ok"], r.text
    r = bulk(world, world.receiver, [sign_item(world, world.receiver, n, "accept", "life-accept-s")]).json()["items"][0]
    assert r["state"] == "accepted"
    doc = world.get(n)
    assert doc["net_kg"] == 1970 and doc["accepted_kg"] == 1970
    # a stale expected_version in bulk is the single endpoint's conflict, pointing into the item
    r = bulk(world, world.receiver, [{"idempotency_key": "life-op-01", "op": "operation", "number": n, "data": {"operation_done": "R3", "expected_version": 1}}])
    p = r.json()["items"][0]["problem"]
    assert p["status"] == 409 and p["errors"][0]["pointer"] == "/items/0/data/expected_version"


def test_who_may_call_bulk(world, db, client):
    authority = make_org(db, roles=("authority",), name="Министерство")
    for role in ("authority", "inspector"):
        user = make_user(db, authority, role)
        r = client.post(URL, json={"items": [{"idempotency_key": "role-00001", "op": "create", "data": draft_data(world)}]}, headers=bearer(db, user))
        assert r.status_code == 403, (role, r.text)
    assert client.post(URL, json={"items": []}).status_code == 401
    # a party's bulk cannot act on another organization's document
    n = world.draft()["number"]
    stranger = make_user(db, make_org(db, roles=("carrier",), name="ТОО Чужой"), "org_user")
    r = client.post(URL, json={"items": [{"idempotency_key": "stranger-01", "op": "vehicle", "number": n, "data": {"vehicle_id": world.truck.id, "expected_version": 1}}]},
                    headers=bearer(db, stranger))
    assert r.json()["items"][0]["problem"]["status"] == 404
    assert world.get(n)["version"] == 1
