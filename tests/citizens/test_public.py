"""The public map and open data: no personal data, rounded locations, photos only after
verification, collection points from the registry of sites."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qaldyq.citizens import service
from qaldyq.core.database import utcnow
from tests.citizens.conftest import ALMATY, image_bytes
from tests.factories import make_org, make_site

DESCRIPTION = "Секретное описание: сосед Иванов выбрасывает мусор."
CONTACT = "+7 777 123 45 67"


@pytest.fixture
def akimat(as_role):
    headers, _, org = as_role("akimat", roles=("akimat",), region="710000000")
    return headers


def _submit(submit, **kw):
    r = submit(description=DESCRIPTION, contact=CONTACT, lat=51.123456, lon=71.456789, photos=[image_bytes()], **kw)
    assert r.status_code == 201, r.text
    return r.json()


def fire(client, headers, number, event, **data):
    r = client.post(f"/api/v1/citizens/reports/{number}/events", data={"event": event, **data}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_public_data_has_no_personal_data_and_rounded_location(client, submit, akimat):
    rep = _submit(submit)
    pages = [client.get("/citizens/map", headers={"Accept": "text/html"}).text,
             client.get(f"/citizens/map/{rep['number']}", headers={"Accept": "text/html"}).text,
             client.get("/api/v1/citizens/public/reports").text, client.get("/api/v1/citizens/public/reports.geojson").text]
    for text in pages:
        assert rep["number"] in text
        assert "Иванов" not in text and CONTACT not in text and "123456" not in text and "456789" not in text
        assert rep["private_token"] not in text
    item = client.get("/api/v1/citizens/public/reports").json()[0]
    assert item == {"number": rep["number"], "kind": "illegal_dump", "status": "received", "region_kato": "710000000", "lat": 51.12, "lon": 71.46,
                    "reported_on": service.local_date(utcnow()).isoformat(), "updated_on": service.local_date(utcnow()).isoformat(),
                    "scheduled_for": None, "photo_urls": []}
    geo = client.get("/api/v1/citizens/public/reports.geojson")
    assert geo.headers["content-type"].startswith("application/geo+json")
    feature = geo.json()["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [71.46, 51.12]}
    assert set(feature["properties"]) == {"number", "kind", "status", "region_kato", "reported_on", "updated_on", "scheduled_for", "photo_urls"}


def test_photos_are_public_only_after_verification_and_not_when_hidden(client, submit, akimat):
    rep = _submit(submit)
    number = rep["number"]
    photo_id = client.get(f"/api/v1/citizens/reports/{number}", headers=akimat).json()["photos"][0]["id"]
    assert client.get(f"/api/v1/citizens/public/photos/{photo_id}").status_code == 404
    fire(client, akimat, number, "verify")
    public = client.get("/api/v1/citizens/public/reports").json()[0]
    assert public["photo_urls"] == [f"/api/v1/citizens/public/photos/{photo_id}"]
    r = client.get(f"/api/v1/citizens/public/photos/{photo_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"
    assert client.get(f"/api/v1/citizens/public/photos/{photo_id}?thumb=1").status_code == 200
    client.post(f"/api/v1/citizens/reports/{number}/photos/{photo_id}/hide", headers=akimat)
    assert client.get(f"/api/v1/citizens/public/photos/{photo_id}").status_code == 404
    assert client.get("/api/v1/citizens/public/reports").json()[0]["photo_urls"] == []


def test_rejected_reports_stay_off_the_map_but_are_counted(client, submit, akimat):
    kept, dropped = _submit(submit), _submit(submit)
    fire(client, akimat, dropped["number"], "reject", reason_code="abusive", reason="Содержание не относится к отходам.")
    numbers = [r["number"] for r in client.get("/api/v1/citizens/public/reports").json()]
    assert numbers == [kept["number"]]
    assert client.get(f"/citizens/map/{dropped['number']}", headers={"Accept": "text/html"}).status_code == 404
    astana = next(r for r in client.get("/api/v1/citizens/public/summary").json() if r["region_kato"] == "710000000")
    assert astana["by_status"]["rejected"] == 1 and astana["by_status"]["received"] == 1 and astana["total"] == 2


def test_filters_of_open_data(client, submit, akimat):
    a = _submit(submit)
    submit(lat=ALMATY[0], lon=ALMATY[1], kind="burning")
    fire(client, akimat, a["number"], "verify")
    assert [r["number"] for r in client.get("/api/v1/citizens/public/reports?status=verified").json()] == [a["number"]]
    assert [r["kind"] for r in client.get("/api/v1/citizens/public/reports?region=750000000").json()] == ["burning"]
    assert [r["kind"] for r in client.get("/api/v1/citizens/public/reports?kind=burning").json()] == ["burning"]
    tomorrow = (service.local_date(utcnow()) + timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/citizens/public/reports?since={tomorrow}").json() == []
    bad = client.get("/api/v1/citizens/public/reports?status=lost")
    assert bad.status_code == 422 and bad.json()["errors"][0]["parameter"] == "status"
    assert client.get("/api/v1/citizens/public/reports?limit=0").status_code == 422


def test_collection_points_active_only_on_map_and_geojson(client, db):
    org = make_org(db, roles=("waste_collector",), region="750000000", name="ТОО Эко Жинау")
    make_site(db, org, site_type="collection_point", name="Пункт приёма №7", lat=43.25, lon=76.91, settlement="Алматы", address="ул. Абая, 1")
    make_site(db, org, site_type="collection_point", name="Закрытый пункт", lat=43.26, lon=76.92, status="closed")
    make_site(db, org, site_type="landfill", name="Полигон", lat=43.3, lon=77.0)
    db.flush()
    geo = client.get("/api/v1/citizens/public/collection-points.geojson").json()
    assert [f["properties"]["name"] for f in geo["features"]] == ["Пункт приёма №7"]
    assert geo["features"][0]["geometry"]["coordinates"] == [76.91, 43.25]
    page = client.get("/citizens/map", headers={"Accept": "text/html"}).text
    assert "Пункт приёма №7" in page and "Закрытый пункт" not in page and "Полигон" not in page
    almaty = next(r for r in client.get("/api/v1/citizens/public/summary").json() if r["region_kato"] == "750000000")
    assert almaty["collection_points"] == 1


def test_public_pages_need_no_login_and_show_the_map(client, submit):
    _submit(submit)
    for path in ("/citizens/map", "/citizens/submit", "/citizens/track"):
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200, path
    page = client.get("/citizens/map?lang=kk", headers={"Accept": "text/html"}).text
    assert "<svg" in page and 'class="cz-land"' in page and "Астана қаласы" in page
    assert "cdn" not in page.lower() and "tile" not in page.lower()
