"""The document's life through the web pages: each party logs in, records its step and signs with
the key the system holds for it."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from qaldyq.signing import service as signing
from tests.factories import PASSWORD
from tests.transfers.conftest import WASTE


@pytest.fixture(autouse=True)
def issuing_ca(db):
    """The CA that certifies the keys the system holds for web users."""
    signing.create_issuing_ca(db, "Qaldyq Test Issuing CA", "Qaldyq")
    db.flush()


def login(http, user) -> str:
    http.cookies.clear()
    r = http.post("/login", data={"username": user.username, "password": PASSWORD, "next": "/transfers"})
    assert r.status_code == 200, r.text
    return re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)


def post(http, url, csrf, **data):
    return http.post(url, data={"csrf_token": csrf, **data}, headers={"Accept": "text/html"})


def test_a_document_through_the_pages(world, db):
    http = world.http
    csrf = login(http, world.consignor.user)
    r = http.get("/transfers/new?lang=ru")
    assert r.status_code == 200 and "Новый документ передачи" in r.text
    r = post(http, "/transfers/new", csrf, consignor_site_id=world.gen_site.id, receiver_site_id=world.rec_site.id,
             carrier_org_id=world.carrier.org.id, waste_code=WASTE, description="ПЭТ", physical_form="solid", container_type="bulk",
             container_count=1, declared_mass_kg=1500, mass_basis="weighed", planned_operation="R3")
    assert r.status_code == 200 and "Черновик" in r.text or "Draft" in r.text
    number = re.search(r"TD-\d{4}-\d{6}", r.text).group(0)
    r = post(http, f"/transfers/{number}/sign/sign_consignor", csrf)
    assert world.get(number)["state"] == "signed_by_consignor", r.status_code

    csrf = login(http, world.carrier.user)
    post(http, f"/transfers/{number}/step/vehicle", csrf, vehicle_id=world.truck.id, expected_version=world.get(number)["version"])
    post(http, f"/transfers/{number}/sign/sign_carrier", csrf)
    assert world.get(number)["state"] == "in_transit"

    csrf = login(http, world.receiver.user)
    now = datetime.now(ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%dT%H:%M")
    # an expired scale is refused on the page, next to the field, and nothing changes
    r = post(http, f"/transfers/{number}/step/weighing", csrf, instrument_id=world.old_scale.id, gross_kg=13500, tare_kg=12000,
             weighed_at=now, expected_version=world.get(number)["version"])
    assert r.status_code == 422 and "verification certificate" in r.text
    post(http, f"/transfers/{number}/step/weighing", csrf, instrument_id=world.scale.id, gross_kg=13500, tare_kg=12000,
         weighed_at=now, expected_version=world.get(number)["version"])
    post(http, f"/transfers/{number}/sign/receive", csrf)
    post(http, f"/transfers/{number}/step/acceptance", csrf, accepted_kg=1500, refused_kg=0, expected_version=world.get(number)["version"])
    post(http, f"/transfers/{number}/sign/accept", csrf)
    doc = world.get(number)
    assert doc["state"] == "accepted" and doc["accepted_kg"] == 1500
    page = http.get(f"/transfers/{number}/verify?lang=en")
    assert page.status_code == 200 and "Intact: every signature verifies" in page.text
    assert page.text.count("badge ok") >= 5  # the intact badge and four valid signatures


def test_a_signature_without_the_csrf_token_is_refused(world):
    number = world.draft()["number"]
    login(world.http, world.consignor.user)
    r = world.http.post(f"/transfers/{number}/sign/sign_consignor", data={}, headers={"Accept": "text/html"})
    assert r.status_code == 403
    assert world.get(number)["state"] == "draft"
