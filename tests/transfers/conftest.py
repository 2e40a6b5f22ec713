"""A small world for transfer documents: a generator, a carrier with a truck, a recycler with a
verified scale (and one whose verification has expired), each with a user who signs with a key of
its own, as an outside client would (certificate from a test CA registered through the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest

from qaldyq.registry.models import Vehicle, VerificationCertificate, WeighingInstrument
from qaldyq.signing import service as signing
from tests.factories import bearer, make_org, make_site, make_user
from tests.signing.pki import make_ca, pem, sign_b64

WASTE = "15 01 02"  # plastic packaging


@dataclass
class Party:
    org: object
    user: object
    headers: dict
    key: object


@dataclass
class World:
    consignor: Party
    carrier: Party
    receiver: Party
    gen_site: object
    rec_site: object
    truck: object
    scale: object
    old_scale: object
    http: object

    def draft(self, **over) -> dict:
        body = {
            "consignor_site_id": self.gen_site.id, "receiver_site_id": self.rec_site.id,
            "legs": [{"carrier_org_id": self.carrier.org.id}], "waste_code": WASTE, "description": "ПЭТ-бутылки, прессованные",
            "physical_form": "solid", "containers": [{"type": "big_bag", "count": 4}],
            "declared_mass_kg": 2000, "mass_basis": "estimated", "planned_operation": "R3",
        }
        body.update(over)
        r = self.http.post("/api/v1/transfers", json=body, headers=self.consignor.headers)
        assert r.status_code == 201, r.text
        return r.json()

    def sign(self, party: Party, number: str, action: str, *, key=None):
        req = self.http.get(f"/api/v1/transfers/{number}/signing-request", params={"action": action}, headers=party.headers)
        if req.status_code != 200:  # not this party's turn: the request itself is refused
            return req
        data = req.json()
        sig = sign_b64(key or party.key, data["payload"].encode())
        return self.http.post(f"/api/v1/transfers/{number}/signatures", json={"action": action, "sha256": data["sha256"], "signature": sig}, headers=party.headers)

    def put(self, party: Party, number: str, what: str, body: dict):
        return self.http.put(f"/api/v1/transfers/{number}/{what}", json=body, headers=party.headers)

    def get(self, number: str, party: Party | None = None) -> dict:
        r = self.http.get(f"/api/v1/transfers/{number}", headers=(party or self.consignor).headers)
        assert r.status_code == 200, r.text
        return r.json()

    def to_in_transit(self, **over) -> dict:
        doc = self.draft(**over)
        n = doc["number"]
        assert self.sign(self.consignor, n, "sign_consignor").status_code == 200
        v = self.get(n)["version"]
        assert self.put(self.carrier, n, "vehicle", {"vehicle_id": self.truck.id, "expected_version": v}).status_code == 200
        r = self.sign(self.carrier, n, "sign_carrier")
        assert r.status_code == 200, r.text
        return r.json()

    def weigh(self, number: str, gross: int, tare: int, scale=None, at: datetime | None = None):
        v = self.get(number)["version"]
        at = at or datetime.now(timezone.utc)
        return self.put(self.receiver, number, "weighing", {"instrument_id": (scale or self.scale).id, "gross_kg": gross, "tare_kg": tare,
                                                             "weighed_at": at.isoformat(), "expected_version": v})

    def accept(self, number: str, accepted: int, refused: int = 0, reason: str | None = None):
        v = self.get(number)["version"]
        r = self.put(self.receiver, number, "acceptance", {"accepted_kg": accepted, "refused_kg": refused, "refusal_reason": reason, "expected_version": v})
        assert r.status_code == 200, r.text
        return self.sign(self.receiver, number, "accept")


@pytest.fixture
def test_ca(db):
    ca = make_ca("Transfers Test CA")
    signing.trust_add(db, ca.pem, "transfers test")
    db.flush()
    return ca


@pytest.fixture
def world(db, client, test_ca) -> World:
    def party(roles, name, region="710000000", **kw) -> Party:
        org = make_org(db, roles=roles, name=name, region=region, **kw)
        user = make_user(db, org, "org_user")
        headers = bearer(db, user)
        cert, key = test_ca.issue(user.full_name)
        r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
        assert r.status_code == 201, r.text
        return Party(org, user, headers, key)

    consignor = party(("waste_generator",), "ТОО Торговый центр")
    carrier = party(("carrier",), "ТОО ЭкоТранс")
    receiver = party(("recycler",), "ТОО ПолимерПереработка")
    gen_site = make_site(db, consignor.org, "generator", name="ТЦ Керуен")
    rec_site = make_site(db, receiver.org, "recycling", name="Завод вторичных полимеров", lat=51.2, lon=71.5,
                         permitted_waste_codes=["15 01", "20 01 39"], permitted_operations=["R3", "R5"])
    truck = Vehicle(plate="123ABC01", organization_id=carrier.org.id, vehicle_type="garbage_truck", payload_kg=8000)
    today = date.today()
    scale = WeighingInstrument(site_id=rec_site.id, name="Автовесы ВА-60", instrument_type="truck_scale", serial_number="SN-1001", year_made=2019, max_load_kg=60000)
    scale.certificates = [VerificationCertificate(number="ПС-2026-1", valid_from=today - timedelta(days=100), valid_to=today + timedelta(days=265))]
    old = WeighingInstrument(site_id=rec_site.id, name="Весы старые", instrument_type="truck_scale", serial_number="SN-0007", year_made=2005, max_load_kg=30000)
    old.certificates = [VerificationCertificate(number="ПС-2024-9", valid_from=today - timedelta(days=800), valid_to=today - timedelta(days=30))]
    db.add_all([truck, scale, old])
    db.flush()
    return World(consignor, carrier, receiver, gen_site, rec_site, truck, scale, old, client)
