"""POST /api/v1/telemetry/points: good batches, every kind of bad point, idempotence, alerts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, text

from qaldyq.core.models import AuditRecord
from qaldyq.telemetry.models import TelemetryAlert, TelemetryPoint
from tests.telemetry.conftest import DEPOT, GEN, LANDFILL, STEPPE
from tests.telemetry.tracks import Route, offset

URL = "/api/v1/telemetry/points"


def recent(minutes_ago: float = 0) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).replace(microsecond=0)


def pt(tracker="TRK-0001", minutes_ago=10.0, lat=DEPOT[0], lon=DEPOT[1], **kw):
    p = {"tracker_id": tracker, "time": recent(minutes_ago).isoformat(), "lat": lat, "lon": lon}
    p.update(kw)
    return p


def count_points(db, vehicle_id=None) -> int:
    q = select(func.count()).select_from(TelemetryPoint)
    if vehicle_id:
        q = q.where(TelemetryPoint.vehicle_id == vehicle_id)
    return db.scalar(q)


def test_json_batch_is_stored_and_audited_once(client, db, fleet, carrier_headers):
    before = db.scalar(select(func.count()).select_from(AuditRecord))
    batch = [pt(minutes_ago=10 - i * 0.5, lat=DEPOT[0] + i * 0.0005, speed=20) for i in range(5)]
    r = client.post(URL, json=batch, headers=carrier_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["received"] == 5 and body["accepted"] == 5 and body["rejected_total"] == 0 and body["rejected"] == {}
    assert count_points(db, fleet.truck.id) == 5
    rows = db.scalars(select(AuditRecord).where(AuditRecord.entity == "telemetry_points")).all()
    assert len(rows) == 1 and rows[0].action == "ingest"
    assert rows[0].after["accepted"] == 5 and rows[0].after["vehicles"] == 1
    assert db.scalar(select(func.count()).select_from(AuditRecord)) == before + 1
    stored = db.scalars(select(TelemetryPoint).order_by(TelemetryPoint.time)).all()
    assert stored[0].speed_kmh == 20 and abs(stored[-1].lat - (DEPOT[0] + 4 * 0.0005)) < 1e-9


def test_ndjson_batch_by_plate_with_spaces(client, db, fleet, carrier_headers):
    lines = "\n".join(json.dumps({"plate": "002abc01", "time": recent(5 - i).isoformat().replace("+00:00", "Z"), "lat": GEN[0], "lon": GEN[1]}) for i in range(3))
    r = client.post(URL, content=lines + "\n\n", headers={**carrier_headers, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 3
    assert count_points(db, fleet.truck2.id) == 3


def test_duplicates_and_out_of_order_points_are_idempotent(client, db, fleet, carrier_headers):
    batch = [pt(minutes_ago=m, lat=DEPOT[0] + m * 1e-4) for m in (3, 9, 6, 12)]  # out of order
    batch.append(dict(batch[1]))  # the same second again, inside the batch
    r = client.post(URL, json=batch, headers=carrier_headers).json()
    assert r["accepted"] == 4 and r["rejected"] == {"duplicate": 1}
    assert r["errors"][0]["index"] == 4 and r["errors"][0]["reason"] == "duplicate" and r["errors"][0]["pointer"] == "/4/time"
    again = client.post(URL, json=batch, headers=carrier_headers).json()
    assert again["accepted"] == 0 and again["rejected"] == {"duplicate": 5}
    assert count_points(db, fleet.truck.id) == 4
    # a point between stored ones is accepted
    late = client.post(URL, json=[pt(minutes_ago=7.5, lat=DEPOT[0] + 7.5e-4)], headers=carrier_headers).json()
    assert late["accepted"] == 1


def test_bad_points_are_counted_per_reason_and_never_stored(client, db, fleet, carrier_headers):
    batch = [
        pt(minutes_ago=20),  # good
        pt(minutes_ago=19, lat=95.0),  # impossible latitude
        pt(minutes_ago=18, lat=0.0, lon=0.0),  # null island
        pt(minutes_ago=17, lat=48.85, lon=2.35),  # Paris
        pt(minutes_ago=-60),  # an hour in the future
        pt(minutes_ago=0, time=(datetime.now(timezone.utc) + timedelta(seconds=60)).isoformat()),  # within the clock skew
        pt(tracker="NO-SUCH-TRACKER", minutes_ago=16),
        pt(tracker="TRK-0777", minutes_ago=15),  # another carrier's truck
        pt(minutes_ago=14, lat="51.1"),  # a string
        {"tracker_id": "TRK-0001", "time": "2026-05-04 10:00:00", "lat": 51.1, "lon": 71.3},  # no UTC offset
        {"time": recent(13).isoformat(), "lat": 51.1, "lon": 71.3},  # no vehicle
        pt(minutes_ago=12, speed=-5),
        pt(minutes_ago=11, colour="red"),
        "not an object",
        pt(minutes_ago=60 * 24 * 500),  # older than the retention
    ]
    r = client.post(URL, json=batch, headers={**carrier_headers, "Accept-Language": "ru"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["received"] == 15 and body["accepted"] == 2
    assert body["rejected"] == {"impossible_coordinates": 2, "outside_service_area": 1, "future_time": 1, "unregistered_tracker": 1,
                                "not_permitted": 1, "malformed": 6, "too_old": 1}
    by_index = {e["index"]: e for e in body["errors"]}
    assert by_index[1]["pointer"] == "/1/lat" and by_index[1]["reason"] == "impossible_coordinates"
    assert by_index[6]["pointer"] == "/6/tracker_id" and by_index[6]["detail"] == "Нет транспортного средства с таким трекером или номером."
    assert by_index[8]["pointer"] == "/8/lat" and by_index[8]["reason"] == "malformed"
    assert by_index[9]["pointer"] == "/9/time"
    assert by_index[10]["pointer"] == "/10/tracker_id"
    assert by_index[11]["pointer"] == "/11/speed"
    assert by_index[12]["pointer"] == "/12/colour"
    assert by_index[13]["pointer"] == "/13"
    assert count_points(db) == 2


def test_speed_jumps_are_filtered_and_counted(client, db, fleet, carrier_headers):
    t0 = recent(30)
    batch = []
    for i in range(20):  # 10 s apart, 100 m apart (36 km/h)
        la, lo = offset(*DEPOT, east_m=100 * i)
        batch.append({"tracker_id": "TRK-0001", "time": (t0 + timedelta(seconds=10 * i)).isoformat(), "lat": la, "lon": lo})
    batch[7]["lat"] += 0.5  # 55 km away for one fix
    batch[12]["lat"] += 0.2
    batch[13]["lat"] += 0.2  # two fixes together in the wrong place
    r = client.post(URL, json=batch, headers=carrier_headers).json()
    assert r["rejected"] == {"speed_jump": 3} and r["accepted"] == 17
    assert sorted(e["index"] for e in r["errors"]) == [7, 12, 13]
    # the next batch continues from the stored track: a jump at its start is caught too
    nxt = [{"tracker_id": "TRK-0001", "time": (t0 + timedelta(seconds=200)).isoformat(), "lat": DEPOT[0] + 1.0, "lon": DEPOT[1]}]
    for i in range(1, 5):
        la, lo = offset(*DEPOT, east_m=100 * (20 + i))
        nxt.append({"tracker_id": "TRK-0001", "time": (t0 + timedelta(seconds=200 + 10 * i)).isoformat(), "lat": la, "lon": lo})
    r = client.post(URL, json=nxt, headers=carrier_headers).json()
    assert r["rejected"] == {"speed_jump": 1} and r["accepted"] == 4


def test_batch_over_the_limit_is_refused_whole(client, db, fleet, carrier_headers):
    batch = [pt(minutes_ago=600 - i * 0.01) for i in range(10_001)]
    r = client.post(URL, json=batch, headers={**carrier_headers, "Accept-Language": "en"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "urn:qaldyq:problem:batch-too-large"
    assert body["detail"] == "A batch may hold at most 10000 points; this one has 10001."
    assert body["errors"][0]["pointer"] == ""
    assert count_points(db) == 0


def test_not_a_list_wrong_type_and_empty(client, db, fleet, carrier_headers):
    r = client.post(URL, json={"tracker_id": "TRK-0001"}, headers=carrier_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == ""
    r = client.post(URL, content=b"[{", headers={**carrier_headers, "Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post(URL, content=b"a,b", headers={**carrier_headers, "Content-Type": "text/csv"})
    assert r.status_code == 415 and r.json()["type"] == "urn:qaldyq:problem:unsupported-media-type"
    r = client.post(URL, json=[], headers=carrier_headers)
    assert r.status_code == 200 and r.json()["received"] == 0
    r = client.post(URL, content=b'{"x":\n', headers={**carrier_headers, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["rejected"] == {"malformed": 1}


def test_operator_may_post_for_any_vehicle(client, db, fleet, as_role):
    headers, _, _ = as_role("operator", roles=("operator",))
    r = client.post(URL, json=[pt(minutes_ago=5), pt(tracker="TRK-0777", minutes_ago=5)], headers=headers).json()
    assert r["accepted"] == 2


def test_a_long_unauthorized_stop_raises_an_alert_for_the_region(client, db, fleet, carrier_headers):
    start = recent(120)
    route = Route(start, *DEPOT, every_s=30).drive(*GEN).dwell(8).drive(*STEPPE).dwell(25).drive(*LANDFILL).dwell(10)
    points = route.points("TRK-0001")
    r = client.post(URL, json=points, headers=carrier_headers)
    body = r.json()
    assert body["accepted"] == len(points) and len(body["alerts"]) == 1
    alert = db.scalar(select(TelemetryAlert))
    assert alert.number == body["alerts"][0] and alert.number.startswith("TA-")
    assert alert.status == "open" and alert.region_kato == "710000000" and alert.organization_id == fleet.carrier.id
    assert 24 * 60 <= alert.duration_s <= 26 * 60
    assert abs(alert.lat - STEPPE[0]) < 2e-4 and abs(alert.lon - STEPPE[1]) < 2e-4
    assert alert.nearest_site_id in (fleet.gen.id, fleet.landfill.id) and alert.nearest_site_m > 1000
    # the same points again: no new alert
    assert client.post(URL, json=points, headers=carrier_headers).json()["alerts"] == []
    assert db.scalar(select(func.count()).select_from(TelemetryAlert)) == 1


def test_partitions_by_day_on_postgresql(client, db, fleet, carrier_headers, backend):
    batch = [pt(minutes_ago=60 * 24 * 3), pt(minutes_ago=5)]
    assert client.post(URL, json=batch, headers=carrier_headers).json()["accepted"] == 2
    if backend == "postgresql":
        names = db.execute(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                                "WHERE p.relname = 'telemetry_points' ORDER BY 1")).scalars().all()
        days = {datetime.fromisoformat(p["time"]).strftime("%Y%m%d") for p in batch}
        assert names == sorted(f"telemetry_points_p{d}" for d in days)


def test_body_over_the_byte_limit_is_refused(client, db, fleet, carrier_headers):
    big = b"[" + b" " * (4 * 1024 * 1024 + 10) + b"]"
    r = client.post(URL, content=big, headers={**carrier_headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"] == "The body may be at most 4194304 bytes."
    lines = "\n".join(json.dumps(pt(minutes_ago=100 - i * 0.001)) for i in range(10_001))
    r = client.post(URL, content=lines, headers={**carrier_headers, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 413 and r.json()["type"] == "urn:qaldyq:problem:batch-too-large"
    assert count_points(db) == 0
