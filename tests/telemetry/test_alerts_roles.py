"""The role matrix of the telemetry endpoints, the alert lifecycle (audited), the pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from qaldyq.core.models import AuditRecord
from qaldyq.telemetry.models import TelemetryAlert
from qaldyq.telemetry.service import LOCAL_TZ
from tests.factories import PASSWORD, bearer, make_org, make_user
from tests.telemetry.conftest import DEPOT, GEN, LANDFILL, STEPPE
from tests.telemetry.tracks import Route

URL = "/api/v1/telemetry/points"


def dumping_day(client, headers, tracker="TRK-0001") -> dict:
    start = (datetime.now(timezone.utc) - timedelta(hours=3)).replace(microsecond=0)
    route = Route(start, *DEPOT, every_s=30).dwell(6).drive(*GEN).dwell(8).drive(*STEPPE).dwell(25).drive(*LANDFILL).dwell(10)
    body = client.post(URL, json=route.points(tracker), headers=headers).json()
    assert len(body["alerts"]) == 1, body
    return body


@pytest.fixture
def alert(client, db, fleet, carrier_headers) -> TelemetryAlert:
    dumping_day(client, carrier_headers)
    return db.scalar(select(TelemetryAlert))


@pytest.mark.parametrize("role,status", [("org_user", 200), ("org_admin", 200), ("operator", 200), ("akimat", 403), ("inspector", 403),
                                         ("authority", 403), ("admin", 403)])
def test_who_may_post_points(client, db, fleet, role, status):
    org = fleet.carrier if role.startswith("org_") else make_org(db, roles=("x",))
    headers = bearer(db, make_user(db, org, role))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    r = client.post(URL, json=[{"tracker_id": "TRK-0001", "time": now.isoformat(), "lat": 51.1, "lon": 71.3}], headers=headers)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["accepted"] == 1
    else:
        assert r.json()["type"] == "urn:qaldyq:problem:forbidden"


def test_anonymous_and_read_only_tokens_may_not_post(client, db, fleet):
    assert client.post(URL, json=[]).status_code == 401
    headers = bearer(db, make_user(db, fleet.carrier, "org_user"), scopes=("read",))
    r = client.post(URL, json=[], headers=headers)
    assert r.status_code == 403 and r.json()["detail"] == "This API token may only read."


def test_alert_queue_is_routed_to_the_region(client, db, fleet, alert, region_headers, carrier_headers, as_role):
    for who in ("inspector", "akimat"):
        body = client.get("/api/v1/telemetry/alerts", headers=region_headers[who]).json()
        assert body["total"] == 1 and body["items"][0]["number"] == alert.number and body["items"][0]["status"] == "open"
    assert client.get("/api/v1/telemetry/alerts", headers=region_headers["inspector_elsewhere"]).json() == {"total": 0, "items": []}
    assert client.get(f"/api/v1/telemetry/alerts/{alert.id}", headers=region_headers["inspector_elsewhere"]).status_code == 404
    assert client.get("/api/v1/telemetry/alerts", headers=carrier_headers).status_code == 403
    for role in ("operator", "authority", "admin"):
        headers, _, _ = as_role(role)
        assert client.get("/api/v1/telemetry/alerts?status=open", headers=headers).json()["total"] == 1
    r = client.get("/api/v1/telemetry/alerts?status=closed", headers=region_headers["inspector"])
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "status"


def test_alert_lifecycle_is_audited(client, db, fleet, alert, region_headers, carrier_headers, as_role):
    url = f"/api/v1/telemetry/alerts/{alert.id}/events"
    insp = region_headers["inspector"]
    assert client.post(url, json={"event": "acknowledge"}, headers=carrier_headers).status_code == 403
    assert client.post(url, json={"event": "acknowledge"}, headers=region_headers["inspector_elsewhere"]).status_code == 404
    bad = client.post(url, json={"event": "close"}, headers=insp)
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/event"
    r = client.post(url, json={"event": "acknowledge"}, headers=insp)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["handled_at"]
    r = client.post(url, json={"event": "dismiss", "reason": "  "}, headers={**insp, "Accept-Language": "kk"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason"
    r = client.post(url, json={"event": "dismiss", "reason": "Refuelling at a private yard, confirmed by phone"}, headers=region_headers["akimat"])
    assert r.status_code == 200 and r.json()["status"] == "dismissed" and r.json()["reason"].startswith("Refuelling")
    r = client.post(url, json={"event": "acknowledge"}, headers=insp)
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:invalid-transition"
    trail = db.scalars(select(AuditRecord).where(AuditRecord.entity == "telemetry_alerts", AuditRecord.entity_id == str(alert.id)).order_by(AuditRecord.seq)).all()
    assert [t.action for t in trail] == ["create", "update", "update"]
    assert trail[1].after["status"] == "acknowledged" and trail[2].after["status"] == "dismissed"
    assert "Refuelling" in trail[2].after["reason"]


def test_vehicle_day_scopes(client, db, fleet, alert, carrier_headers, region_headers, as_role):
    day = alert.started_at.astimezone(LOCAL_TZ).date().isoformat()
    url = f"/api/v1/telemetry/vehicles/{fleet.truck.id}/days/{day}"
    body = client.get(url, headers=carrier_headers).json()
    assert body["plate"] == "001ABC01" and body["points"] > 100
    cats = [s["category"] for s in body["stops"]]
    assert cats == ["depot", "permitted_site", "unauthorized", "permitted_site"]
    assert body["stops"][1]["site_id"] == fleet.gen.id and body["stops"][3]["site_id"] == fleet.landfill.id
    assert body["alerts"] == []  # carriers do not see alerts about themselves
    assert body["distance_km"] > 20
    assert client.get(url, headers=region_headers["inspector"]).json()["alerts"][0]["number"] == alert.number
    assert client.get(url, headers=region_headers["inspector_elsewhere"]).status_code == 404
    other_carrier = bearer(db, make_user(db, fleet.other, "org_user"))
    assert client.get(url, headers=other_carrier).status_code == 404
    headers, _, _ = as_role("operator")
    assert client.get(url, headers=headers).status_code == 200
    assert client.get(f"/api/v1/telemetry/vehicles/{fleet.truck.id}/days/2026-13-01", headers=headers).status_code == 422


def login(client, db, org, role):
    user = make_user(db, org, role)
    db.commit()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    return user


def test_pages_render_and_the_alert_can_be_dismissed_from_the_page(client, db, fleet, alert):
    astana = make_org(db, roles=("inspection",), region="710000000")
    login(client, db, astana, "inspector")
    html = {"Accept": "text/html"}
    r = client.get("/telemetry/alerts", headers=html)
    assert r.status_code == 200 and alert.number in r.text
    r = client.get(f"/telemetry/alerts/{alert.id}", headers=html)
    assert r.status_code == 200 and "<svg" in r.text and "Reason for dismissing" in r.text
    csrf = r.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(f"/telemetry/alerts/{alert.id}/events", data={"event": "dismiss", "reason": "", "csrf_token": csrf}, headers=html)
    assert r.status_code == 422 and "Give the reason." in r.text
    r = client.post(f"/telemetry/alerts/{alert.id}/events", data={"event": "dismiss", "reason": "A breakdown, towed", "csrf_token": csrf},
                    headers=html, follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(TelemetryAlert, alert.id).status == "dismissed"
    day = alert.started_at.astimezone(LOCAL_TZ).date().isoformat()
    r = client.get(f"/telemetry/vehicles/{fleet.truck.id}?day={day}&lang=ru", headers=html)
    assert r.status_code == 200 and "<svg" in r.text and "<polyline" in r.text and "001ABC01" in r.text
    assert client.get("/telemetry/vehicles", headers=html).status_code == 200
    r = client.get("/telemetry/unmatched?lang=en", headers=html)
    assert r.status_code == 200 and "Unmatched documents" in r.text and "no transfer documents in the system yet" not in r.text


def test_carrier_sees_its_vehicles_but_not_the_alert_pages(client, db, fleet, alert):
    login(client, db, fleet.carrier, "org_user")
    html = {"Accept": "text/html"}
    r = client.get("/telemetry", headers=html)
    assert r.status_code == 200 and "001ABC01" in r.text  # /telemetry leads to the vehicles and "777XYZ02" not in r.text
    assert client.get("/telemetry/alerts", headers=html).status_code == 403


def test_absurd_parameters_are_refused_with_the_parameter_named(client, db, fleet, alert, region_headers):
    h = {**region_headers["inspector"], "Accept-Language": "ru"}
    for query, name in (("limit=0", "limit"), ("limit=100000", "limit"), ("offset=-1", "offset"), ("vehicle_id=abc", "vehicle_id")):
        r = client.get(f"/api/v1/telemetry/alerts?{query}", headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == name, query
    assert client.get("/api/v1/telemetry/alerts/0", headers=h).status_code == 422
    assert client.get("/api/v1/telemetry/alerts/999999", headers=h).status_code == 404
    r = client.post(f"/api/v1/telemetry/alerts/{alert.id}/events", json={"event": "dismiss", "reason": "x" * 2001}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason"
    r = client.post(f"/api/v1/telemetry/alerts/{alert.id}/events", json={"event": "dismiss", "reason": "ok", "extra": 1}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/extra"
    db.expire_all()
    assert db.get(TelemetryAlert, alert.id).status == "open"


def test_a_stop_across_local_midnight_shows_whole_on_both_days(client, db, fleet, carrier_headers):
    from datetime import date, time as dtime

    day = date.today() - timedelta(days=3)
    start = datetime.combine(day, dtime(23, 20), LOCAL_TZ).astimezone(timezone.utc)
    route = Route(start, *DEPOT, every_s=30).drive(*GEN).dwell(70).drive(*DEPOT)
    assert client.post(URL, json=route.points("TRK-0001"), headers=carrier_headers).json()["accepted"] == len(route.t)
    got = []
    for d in (day, day + timedelta(days=1)):
        body = client.get(f"/api/v1/telemetry/vehicles/{fleet.truck.id}/days/{d.isoformat()}", headers=carrier_headers).json()
        at_gen = [s for s in body["stops"] if s["site_id"] == fleet.gen.id]
        assert len(at_gen) == 1
        got.append((at_gen[0]["start"], at_gen[0]["end"]))
    assert got[0] == got[1]
    s, e = (datetime.fromisoformat(x).astimezone(LOCAL_TZ) for x in got[0])
    assert s.date() == day and e.date() == day + timedelta(days=1) and (e - s) >= timedelta(minutes=69)
