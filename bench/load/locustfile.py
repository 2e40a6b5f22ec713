"""Load profile for `make load`: a mixed workload against a server holding the demo data.

    locust -f bench/load/locustfile.py --headless -u 300 -r 30 -t 3m --host http://127.0.0.1:8117

At start it logs in a handful of demo accounts once (the login rate limit is per client, so the
300 simulated users share tokens), has the administrator trust a throw-away CA and registers a
certificate for the generator, so that documents can be signed as a real client would. Then each
user mixes:
  reads       lists of transfers, sites, balances, movements, alerts (most traffic);
  lifecycles  a transfer document: draft -> signed by the consignor -> cancelled (4 requests);
              a signed ledger generation event with its idempotency key (2 requests);
  bulk        telemetry batches of 200 points for one of the collector's vehicles.
Every answer other than the expected status counts as a failure."""

from __future__ import annotations

import base64
import itertools
import os
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("QALDYQ_DEMO_PASSWORD", "qaldyq-demo-2026")
WASTE = "17 01 01"
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


def _setup_world(host: str) -> dict:
    http = httpx.Client(base_url=host, timeout=30)

    def token(user: str) -> dict:
        r = http.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['token']}"}

    h = {u: token(u) for u in ("demo.admin", "demo.operator", "demo.generator", "demo.collector", "demo.landfill", "demo.akimat.astana")}
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
    return {"h": h, "key": user_key, "gen_sites": gen_sites, "rec_site": rec_sites[0]["id"], "carrier_org": carrier_org,
            "plates": [v["plate"] for v in vehicles], "all_sites": gen_sites + [s["id"] for s in rec_sites]}


@events.test_start.add_listener
def _on_start(environment, **_):
    _setup.update(_setup_world(environment.host))


class Citizenry(HttpUser):
    """One simulated client; the weights give ~70 % reads, ~20 % lifecycles, ~10 % bulk batches."""

    wait_time = between(0.5, 2.0)

    # ------------------------------------------------------------------ reads
    @task(6)
    def transfers_list(self):
        self.client.get("/api/v1/transfers?limit=20", headers=_setup["h"]["demo.generator"], name="GET /transfers")

    @task(4)
    def sites_list(self):
        self.client.get("/api/v1/sites?per_page=20", headers=_setup["h"]["demo.operator"], name="GET /sites")

    @task(4)
    def balances(self):
        site = random.choice(_setup["gen_sites"])
        self.client.get(f"/api/v1/ledger/sites/{site}/balances", headers=_setup["h"]["demo.generator"], name="GET /ledger/sites/{id}/balances")

    @task(3)
    def movements(self):
        site = random.choice(_setup["gen_sites"])
        self.client.get(f"/api/v1/ledger/sites/{site}/movements?limit=20", headers=_setup["h"]["demo.generator"], name="GET /ledger/sites/{id}/movements")

    @task(2)
    def alerts(self):
        self.client.get("/api/v1/telemetry/alerts", headers=_setup["h"]["demo.akimat.astana"], name="GET /telemetry/alerts")

    @task(1)
    def health(self):
        self.client.get("/api/v1/health", name="GET /health")

    # ------------------------------------------------------------------ lifecycles
    @task(2)
    def transfer_lifecycle(self):
        h = _setup["h"]["demo.generator"]
        body = {"consignor_site_id": random.choice(_setup["gen_sites"]), "receiver_site_id": _setup["rec_site"],
                "legs": [{"carrier_org_id": _setup["carrier_org"]}], "waste_code": WASTE, "description": "Бетонный лом",
                "physical_form": "solid", "containers": [{"type": "bulk", "count": 1}], "declared_mass_kg": 5000,
                "mass_basis": "estimated", "planned_operation": "D1", "idempotency_key": f"load-{uuid.uuid4().hex}"}
        with self.client.post("/api/v1/transfers", json=body, headers=h, name="POST /transfers", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return
        n = r.json()["number"]
        r = self.client.get(f"/api/v1/transfers/{n}/signing-request?action=sign_consignor", headers=h, name="GET /transfers/{n}/signing-request")
        if r.status_code != 200:
            return
        d = r.json()
        r = self.client.post(f"/api/v1/transfers/{n}/signatures", json={"action": "sign_consignor", "sha256": d["sha256"],
                             "signature": _sign(_setup["key"], d["payload"])}, headers=h, name="POST /transfers/{n}/signatures")
        if r.status_code != 200:
            return
        self.client.post(f"/api/v1/transfers/{n}/cancel", json={"reason": "нагрузочный тест", "expected_version": r.json()["version"]},
                         headers=h, name="POST /transfers/{n}/cancel")

    @task(2)
    def ledger_generation(self):
        h = _setup["h"]["demo.generator"]
        body = {"idempotency_key": f"load-{uuid.uuid4().hex}", "site_id": random.choice(_setup["gen_sites"]), "waste_code": WASTE,
                "mass_kg": random.randint(10, 5000), "note": None}
        r = self.client.post("/api/v1/ledger/generation/signing-request", json=body, headers=h, name="POST /ledger/generation/signing-request")
        if r.status_code != 200:
            return
        d = r.json()
        body["signature"] = {"sha256": d["sha256"], "signature": _sign(_setup["key"], d["payload"])}
        self.client.post("/api/v1/ledger/generation", json=body, headers=h, name="POST /ledger/generation")

    # ------------------------------------------------------------------ bulk
    @task(1)
    def telemetry_batch(self):
        if not _setup["plates"]:
            return
        plate = random.choice(_setup["plates"])
        with _lock:
            base = next(_seq) * 200  # each batch its own seconds, back from an hour ago: no duplicates
        start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1, seconds=base % 3000)
        lat, lon = 51.10 + random.random() * 0.05, 71.40 + random.random() * 0.05
        batch = [{"plate": plate, "time": (start - timedelta(seconds=i * 5)).isoformat(), "lat": lat + i * 2e-5, "lon": lon, "speed": 15}
                 for i in range(200)]
        self.client.post("/api/v1/telemetry/points", json=batch, headers=_setup["h"]["demo.collector"], name="POST /telemetry/points (200)")
