"""The requests of the load profile (bench/load/locustfile.py), as plain functions of `call`
so that bench/load/queries.py can run them in process without locust (which monkey-patches the
standard library with gevent on import).

The profile: a mixed workload against a server holding the demo data.


At start it logs in a handful of demo accounts once (the login rate limit is per client, so the
simulated clients share tokens and browser sessions), has the administrator trust a throw-away CA
and registers a certificate for the generator, so that documents are signed as a real client
would sign them. Three kinds of client (docs/quality.md, "Load", says why these numbers):

  Person       (all but the integrations) someone at a desk, through the API or the web pages,
               thinking 5-15 s between actions:
               reads        lists of transfers, sites, balances, movements, alerts; web pages
                            (home, transfer list); the health check;
               lifecycles   a transfer document: draft -> consignor signature -> cancel (4
                            requests); a signed ledger generation event (2 requests);
  Tracker      (8) a telematics gateway posting 200 GPS points every 30 s;
  ErpBatch     (2) an enterprise system posting 250 draft transfer documents through
               POST /transfers/bulk once a minute.

Every flow is a plain function of `call`, so bench/load/queries.py runs the same requests in
process to count their SQL statements. Every answer other than the expected status is a failure.
"""

from __future__ import annotations

import base64
import itertools
import os
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PASSWORD = os.environ.get("QALDYQ_DEMO_PASSWORD", "qaldyq-demo-2026")
WASTE = "17 01 01"
BULK_DOCUMENTS = 250
TRACK_POINTS = 200
_setup: dict = {}
_lock = threading.Lock()
_seq = itertools.count(1)


def _cert(cn: str, issuer_key, issuer_name, key, ca: bool) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(c: x509.Certificate) -> str:
    return c.public_bytes(serialization.Encoding.PEM).decode()


def _sign(key, payload: str) -> str:
    return base64.b64encode(key.sign(payload.encode(), ec.ECDSA(hashes.SHA256()))).decode()


def setup_world(http) -> dict:
    """Tokens, a trusted CA, the generator's certificate, sites and vehicles (`http`: an httpx
    client on the server: httpx.Client or FastAPI's TestClient)."""

    def token(user: str) -> dict:
        r = http.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def web(user: str) -> dict:
        r = http.post("/login", data={"username": user, "password": PASSWORD, "next": "/"}, follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        return {"Cookie": f"qaldyq_session={r.cookies['qaldyq_session']}", "Accept": "text/html"}

    h = {u: token(u) for u in ("demo.admin", "demo.operator", "demo.generator", "demo.collector", "demo.landfill", "demo.akimat.astana")}
    pages = {u: web(u) for u in ("demo.generator.user", "demo.operator")}
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(f"Load CA {uuid.uuid4().hex[:6]}", ca_key, None, ca_key, True)
    r = http.post("/api/v1/pki/trusted-cas", json={"certificate": _pem(ca), "label": "load test"}, headers=h["demo.admin"])
    assert r.status_code in (200, 201), r.text
    user_key = ec.generate_private_key(ec.SECP256R1())
    r = http.post("/api/v1/me/certificates", json={"certificate": _pem(_cert("Қайрат Әлиев", ca_key, ca.subject, user_key, False))},
                  headers=h["demo.generator"])
    assert r.status_code == 201, r.text
    gen_sites = [s["id"] for s in http.get("/api/v1/sites", params={"site_type": "generator", "per_page": 50}, headers=h["demo.generator"]).json()["items"]]
    # the demo landfill takes construction waste (17 01) for D1
    rec_sites = [s for s in http.get("/api/v1/sites", params={"per_page": 200}, headers=h["demo.landfill"]).json()["items"]
                 if s["status"] == "active" and any(WASTE.startswith(c) for c in s["permitted_waste_codes"])]
    carrier_org = http.get("/api/v1/me", headers=h["demo.collector"]).json()["organization_id"]
    vehicles = http.get("/api/v1/vehicles", params={"per_page": 50}, headers=h["demo.collector"]).json()["items"]
    assert gen_sites and rec_sites and vehicles, "the demo data has no generator site, landfill or vehicle"
    return {"h": h, "pages": pages, "key": user_key, "gen_sites": gen_sites, "rec_site": rec_sites[0]["id"], "carrier_org": carrier_org,
            "plates": [v["plate"] for v in vehicles]}


# ---------------------------------------------------------------------------------------- flows
# `call(method, url, name, expect=200, check=None, **kwargs)` sends one request and returns the
# response, or None when the status was not `expect` or `check(response)` returned a complaint
# (the request counts as failed and the flow stops).

def transfers_list(call):
    call("GET", "/api/v1/transfers?limit=20", "GET /transfers", headers=_setup["h"]["demo.generator"])


def sites_list(call):
    call("GET", "/api/v1/sites?per_page=20", "GET /sites", headers=_setup["h"]["demo.operator"])


def balances(call):
    site = random.choice(_setup["gen_sites"])
    call("GET", f"/api/v1/ledger/sites/{site}/balances", "GET /ledger/sites/{id}/balances", headers=_setup["h"]["demo.generator"])


def movements(call):
    site = random.choice(_setup["gen_sites"])
    call("GET", f"/api/v1/ledger/sites/{site}/movements?limit=20", "GET /ledger/sites/{id}/movements", headers=_setup["h"]["demo.generator"])


def alerts(call):
    call("GET", "/api/v1/telemetry/alerts", "GET /telemetry/alerts", headers=_setup["h"]["demo.akimat.astana"])


def health(call):
    call("GET", "/api/v1/health", "GET /health")


def home_page(call):
    call("GET", "/", "GET / (page)", headers=_setup["pages"]["demo.operator"])


def transfers_page(call):
    call("GET", "/transfers", "GET /transfers (page)", headers=_setup["pages"]["demo.generator.user"])


def _draft(key: str) -> dict:
    return {"consignor_site_id": random.choice(_setup["gen_sites"]), "receiver_site_id": _setup["rec_site"],
            "legs": [{"carrier_org_id": _setup["carrier_org"]}], "waste_code": WASTE, "description": "Бетонный лом",
            "physical_form": "solid", "containers": [{"type": "bulk", "count": 1}], "declared_mass_kg": 5000,
            "mass_basis": "estimated", "planned_operation": "D1", "idempotency_key": key}


def transfer_lifecycle(call):
    h = _setup["h"]["demo.generator"]
    r = call("POST", "/api/v1/transfers", "POST /transfers", expect=201, json=_draft(f"load-{uuid.uuid4().hex}"), headers=h)
    if r is None:
        return
    n = r.json()["number"]
    r = call("GET", f"/api/v1/transfers/{n}/signing-request?action=sign_consignor", "GET /transfers/{n}/signing-request", headers=h)
    if r is None:
        return
    d = r.json()
    r = call("POST", f"/api/v1/transfers/{n}/signatures", "POST /transfers/{n}/signatures", headers=h,
             json={"action": "sign_consignor", "sha256": d["sha256"], "signature": _sign(_setup["key"], d["payload"])})
    if r is None:
        return
    call("POST", f"/api/v1/transfers/{n}/cancel", "POST /transfers/{n}/cancel", headers=h,
         json={"reason": "нагрузочный тест", "expected_version": r.json()["version"]})


def ledger_generation(call):
    h = _setup["h"]["demo.generator"]
    body = {"idempotency_key": f"load-{uuid.uuid4().hex}", "site_id": random.choice(_setup["gen_sites"]), "waste_code": WASTE,
            "mass_kg": random.randint(10, 5000), "note": None}
    r = call("POST", "/api/v1/ledger/generation/signing-request", "POST /ledger/generation/signing-request", json=body, headers=h)
    if r is None:
        return
    d = r.json()
    body["signature"] = {"sha256": d["sha256"], "signature": _sign(_setup["key"], d["payload"])}
    call("POST", "/api/v1/ledger/generation", "POST /ledger/generation", expect=201, json=body, headers=h)


def telemetry_batch(call):
    """200 points of one vehicle at 5 s intervals (a tracker that buffers 16 minutes); each batch
    takes the next window of its vehicle's day, back from now, so no point repeats."""
    with _lock:
        n = next(_seq)
    plates = _setup["plates"]
    plate, window = plates[n % len(plates)], n // len(plates)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5, seconds=window * TRACK_POINTS * 5)
    lat, lon = 51.10 + random.random() * 0.05, 71.40 + random.random() * 0.05
    batch = [{"plate": plate, "time": (start - timedelta(seconds=i * 5)).isoformat(), "lat": lat + i * 2e-5, "lon": lon, "speed": 15}
             for i in range(TRACK_POINTS)]
    call("POST", "/api/v1/telemetry/points", f"POST /telemetry/points ({TRACK_POINTS})", json=batch, headers=_setup["h"]["demo.collector"])


def transfers_bulk(call):
    batch = uuid.uuid4().hex[:12]
    items = [{"idempotency_key": f"erp-{batch}-{i:04d}", "op": "create", "data": _draft(f"erp-doc-{batch}-{i:04d}")}
             for i in range(BULK_DOCUMENTS)]
    call("POST", "/api/v1/transfers/bulk", f"POST /transfers/bulk ({BULK_DOCUMENTS} documents)", json={"items": items},
         headers=_setup["h"]["demo.generator"], check=_all_succeeded)


def _all_succeeded(r) -> str | None:
    body = r.json()
    if body["succeeded"] != BULK_DOCUMENTS:
        first = next((i["problem"] for i in body["items"] if not i["ok"]), None)
        return f"{body['failed']} of {BULK_DOCUMENTS} refused, first: {first}"
    return None


# (flow, weight among a Person's actions)
PERSON = [(transfers_list, 6), (sites_list, 4), (balances, 4), (movements, 3), (alerts, 2), (health, 1), (home_page, 2),
          (transfers_page, 2), (transfer_lifecycle, 2), (ledger_generation, 2)]
FLOWS = [f for f, _ in PERSON] + [telemetry_batch, transfers_bulk]
