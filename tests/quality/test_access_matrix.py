"""The organization boundary, generated from the OpenAPI document: a user of one organization
calls every operation that takes an id, with the ids of another organization's data, and must get
403 or 404 with nothing changed. Every path parameter must be known here, so a new endpoint by id
fails this test until someone decides which data it reaches."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from qaldyq.ledger import service as ledger
from qaldyq.telemetry.models import TelemetryAlert as Alert
from tests.factories import bearer, make_org, make_user
from tests.transfers.conftest import test_ca, world  # noqa: F401  (fixtures: another organization's full set of data)

# Parameters whose values are the other organization's data; every other parameter must be listed
# in NOT_ORG_DATA with the reason it does not cross the boundary.
NOT_ORG_DATA = {
    "token_id": "the caller's own tokens (/me)",
    "certificate_id": "the caller's own certificates (/me)",
    "fingerprint": "trust store, system administrators only",
    "slug": "reference tables, catalog administrators only",
    "day": "a date, with vehicle_id",
    "action": "a verb, with photo_id",
    "fmt": "a file format",
    "code": "an indicator or rule code (reference data, not an organization's)",
    "registry_id": "the operator's payment registries (operator only)",
}
# Organization-owned records of later domains whose cross-organization refusals are tested in that
# domain's own role-matrix tests (the file named must exist and say so).
COVERED_BY_DOMAIN_TESTS = {
    "declaration_id": "tests/epr/test_roles_pages.py",
    "payment_id": "tests/epr/test_roles_pages.py",
    "app_id": "tests/ownsystem/test_api.py",
    "doc_id": "tests/ownsystem/test_documents.py",
    "claim_id": "tests/payouts/test_claims.py",
    "finding_id": "tests/control",
}
NOT_ORG_DATA.update({k: f"covered by {v}" for k, v in COVERED_BY_DOMAIN_TESTS.items()})
# Registry entries that the law makes public to every registered organization (register of
# waste-management organizations): reading an organization's card is not a leak.
QUERY_VALUES = {"action": "sign_consignor", "date_from": "2026-01-01", "date_to": date.today().isoformat()}
READABLE_ACROSS = {("get", "/api/v1/organizations/{org_id}")}


def _ids(db, w) -> dict[str, str]:
    posting = ledger.record_generation(db, key="matrix-gen-1", site_id=w.gen_site.id, waste_code="15 01 02", mass_kg=500)
    doc = w.draft()
    alert_id = db.scalar(select(func.min(Alert.id)))
    return {
        "org_id": str(w.consignor.org.id), "site_id": str(w.gen_site.id), "vehicle_id": str(w.truck.id), "instrument_id": str(w.scale.id),
        "transaction_id": str(posting.transaction_id), "number": doc["number"], "alert_id": str(alert_id or 999999),
        "photo_id": "1", "day": date.today().isoformat(), "action": "publish",
        "revision_id": "1",  # with number: the document's visibility is checked before the revision
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: ids[m.group(1)], path)


def test_domains_cover_their_own_cross_organization_checks():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for param, where in COVERED_BY_DOMAIN_TESTS.items():
        assert (root / where).exists(), f"{param}: {where} is missing"


@pytest.mark.parametrize("role", ["org_admin", "org_user"])
def test_no_cross_organization_reads_or_writes(client, db, world, role):  # noqa: F811
    ids = _ids(db, world)
    outsider_org = make_org(db, roles=("waste_generator", "carrier", "recycler"), name="ТОО Чужая")
    headers = bearer(db, make_user(db, outsider_org, role))
    doc_before = client.get(f"/api/v1/transfers/{ids['number']}", headers=world.consignor.headers).json()

    spec = client.get("/api/v1/openapi.json").json()
    leaks, checked, unknown = [], 0, set()
    for path, ops in spec["paths"].items():
        params = re.findall(r"\{([^}]+)\}", path)
        if not params:
            continue
        for method, op in ops.items():
            if op.get("x-qaldyq-public") or (method, path) in READABLE_ACROSS:
                continue
            if any(p not in ids and p not in NOT_ORG_DATA for p in params):
                unknown.update(p for p in params if p not in ids and p not in NOT_ORG_DATA)
                continue
            if all(p in NOT_ORG_DATA for p in params):
                continue
            if path.startswith("/api/v1/citizens/") or path.startswith("/api/v1/telemetry/alerts"):
                continue  # no organization owns these: they are routed by region (tested in test_region_scoped_queues)
            url = _fill(path, ids)
            body = {} if method in ("post", "put", "patch") else None
            query = {q["name"]: QUERY_VALUES[q["name"]] for q in op.get("parameters", []) if q["in"] == "query" and q.get("required")}
            r = client.request(method.upper(), url, json=body, params=query, headers=headers)
            checked += 1
            # 422 is acceptable only for writes whose (empty) body is refused before any lookup
            ok = r.status_code in (403, 404) or (method != "get" and r.status_code == 422)
            if not ok:
                leaks.append(f"{method.upper()} {url} -> {r.status_code} {r.text[:120]}")
    assert not unknown, f"path parameters this test does not know (add them to _ids or NOT_ORG_DATA): {sorted(unknown)}"
    assert checked >= 20, checked
    assert not leaks, "another organization's data reachable:\n" + "\n".join(leaks)
    # and nothing changed
    assert client.get(f"/api/v1/transfers/{ids['number']}", headers=world.consignor.headers).json() == doc_before


def test_writes_with_valid_bodies_on_another_organizations_data_are_refused(client, db, world):  # noqa: F811
    """Empty bodies may be refused by validation first; these are well-formed."""
    outsider = make_org(db, roles=("waste_generator", "carrier", "recycler"), name="ТОО Чужая")
    h = bearer(db, make_user(db, outsider, "org_admin"))
    doc = world.draft()
    n, v = doc["number"], doc["version"]
    attempts = [
        ("PATCH", f"/api/v1/sites/{world.gen_site.id}", {"name": "Захвачено"}),
        ("PATCH", f"/api/v1/vehicles/{world.truck.id}", {"payload_kg": 1}),
        ("PATCH", f"/api/v1/organizations/{world.consignor.org.id}", {"name_ru": "Захвачено"}),
        ("POST", f"/api/v1/transfers/{n}/cancel", {"reason": "чужой документ", "expected_version": v}),
        ("PATCH", f"/api/v1/transfers/{n}", {"description": "Подмена", "expected_version": v}),
        ("PUT", f"/api/v1/transfers/{n}/vehicle", {"vehicle_id": world.truck.id, "expected_version": v}),
        ("POST", "/api/v1/ledger/generation/signing-request", {"idempotency_key": "steal-1", "site_id": world.gen_site.id,
                                                               "waste_code": "15 01 02", "mass_kg": 10}),
        ("POST", "/api/v1/transfers", {**{k: doc[k] for k in ("consignor_site_id", "receiver_site_id", "waste_code", "description",
                                                               "physical_form", "containers", "declared_mass_kg", "mass_basis", "planned_operation")},
                                       "legs": [{"carrier_org_id": world.carrier.org.id}]}),
    ]
    for method, url, body in attempts:
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code in (403, 404, 422), f"{method} {url} -> {r.status_code} {r.text[:200]}"
        assert r.headers["content-type"].startswith("application/problem+json"), (url, r.headers["content-type"])
    after = client.get(f"/api/v1/transfers/{n}", headers=world.consignor.headers).json()
    assert after["state"] == "draft" and after["version"] == v and after["description"] == doc["description"]
    site = client.get(f"/api/v1/sites/{world.gen_site.id}", headers=world.consignor.headers).json()
    assert site["name"] != "Захвачено"
    assert client.get("/api/v1/ledger/transactions", params={"ref_type": "x", "ref_id": "steal-1"}, headers=world.consignor.headers).status_code in (200, 404)


def test_lists_show_only_the_callers_organization(client, db, world):  # noqa: F811
    world.draft()
    outsider = make_org(db, roles=("waste_generator", "carrier", "recycler"), name="ТОО Чужая")
    h = bearer(db, make_user(db, outsider, "org_admin"))
    assert client.get("/api/v1/transfers", headers=h).json()["total"] == 0
    sites = client.get("/api/v1/sites", headers=h).json()["items"]
    assert all(s["organization_id"] == outsider.id for s in sites)
    vehicles = client.get("/api/v1/vehicles", headers=h).json()["items"]
    assert all(v["organization_id"] == outsider.id for v in vehicles)
    instruments = client.get("/api/v1/instruments", headers=h).json()["items"]
    assert world.scale.id not in {i["id"] for i in instruments}
