"""Matching against stored telemetry, findings for the control engine, the demo seed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from qaldyq.core.demo import DemoContext
from qaldyq.telemetry import demo, service
from qaldyq.telemetry.matching import Leg
from qaldyq.telemetry.models import TelemetryAlert, TelemetryPoint
from tests.telemetry.conftest import DEPOT, GEN, LANDFILL, STEPPE
from tests.telemetry.tracks import Route


def _day(db, fleet, start):
    route = Route(start, *DEPOT, every_s=30).dwell(6).drive(*GEN).dwell(10).drive(*STEPPE).dwell(25).drive(*LANDFILL).dwell(12)
    res = service.ingest(db, None, route.points("TRK-0001"))
    assert res.accepted == len(route.t)
    return route


def test_match_legs_against_stored_points(db, fleet):
    start = (datetime.now(timezone.utc) - timedelta(hours=4)).replace(microsecond=0)
    route = _day(db, fleet, start)
    at_gen = start + timedelta(minutes=30)
    at_landfill = datetime.fromtimestamp(route.t[-1], tz=timezone.utc) - timedelta(minutes=5)
    legs = [Leg("TD-2026-000100", fleet.truck.id, fleet.gen.id, fleet.landfill.id, at_gen, at_landfill),
            Leg("TD-2026-000101", fleet.truck2.id, fleet.gen.id, fleet.landfill.id, at_gen, at_landfill)]
    res = service.match_legs_db(db, legs)
    assert [r.leg.document for r in res.matched] == ["TD-2026-000100"]
    assert [(r.leg.document, r.reason) for r in res.unmatched] == [("TD-2026-000101", "no_telemetry")]
    assert res.landfill_without_document == []
    # without the leg, the landfill visit is a trip with no document
    res = service.match_legs_db(db, [legs[1]])
    assert [(v.vehicle_id, v.site_id) for v in res.landfill_without_document] == [(fleet.truck.id, fleet.landfill.id)]


def test_findings_are_plain_records(db, fleet):
    start = (datetime.now(timezone.utc) - timedelta(hours=4)).replace(microsecond=0)
    route = _day(db, fleet, start)
    # a signal loss while driving, later the same day
    gap = Route(datetime.fromtimestamp(route.t[-1], tz=timezone.utc) + timedelta(minutes=1), *LANDFILL, every_s=30).drive(51.07, 71.55).silence(30).at(51.10, 71.40).drive(*DEPOT)
    service.ingest(db, None, gap.points("TRK-0001"))
    legs = [Leg("TD-2026-000102", fleet.truck.id, fleet.landfill.id, fleet.gen.id, start, start + timedelta(minutes=20))]
    out = service.findings(db, start - timedelta(hours=1), datetime.now(timezone.utc), legs)
    kinds = sorted(f.kind for f in out)
    assert kinds == ["document_without_trip", "landfill_trip_without_document", "signal_gap", "suspected_dumping"]
    dump = next(f for f in out if f.kind == "suspected_dumping")
    alert = db.scalar(select(TelemetryAlert))
    assert dump.subject == alert.number and dump.severity == "high" and dump.evidence["region_kato"] == "710000000"
    assert 24 <= dump.evidence["minutes"] <= 26
    doc = next(f for f in out if f.kind == "document_without_trip")
    assert doc.subject == "TD-2026-000102" and doc.evidence["reason"] == "not_at_receiver"  # at the landfill, but never at the generator after it
    g = next(f for f in out if f.kind == "signal_gap").as_dict()
    assert 29 <= g["evidence"]["minutes"] <= 31 and g["evidence"]["distance_km"] > 5 and g["severity"] == "medium"
    # a dismissed alert is no longer a finding
    alert.status = "dismissed"
    db.flush()
    assert "suspected_dumping" not in {f.kind for f in service.findings(db, start - timedelta(hours=1), datetime.now(timezone.utc))}


def test_demo_seed_without_registry_data_makes_its_own_fleet(db):
    ctx = DemoContext()
    demo.seed(db, ctx)
    shared = ctx.shared["telemetry"]
    assert shared["points"] > 1000 and len(shared["vehicles"]) == 6
    assert db.scalar(select(func.count()).select_from(TelemetryPoint)) == shared["points"]
    alerts = db.scalars(select(TelemetryAlert)).all()
    assert len(alerts) == 2 and sorted(a.number for a in alerts) == shared["alerts"]
    assert all(a.region_kato == "710000000" and a.duration_s >= 22 * 60 for a in alerts)
    assert {login["username"] for login in ctx.logins} == {"tz.dispatcher", "astana.inspector"}


def test_demo_seed_uses_the_registry_vehicles(db, fleet):
    ctx = DemoContext()
    demo.seed(db, ctx)
    assert set(ctx.shared["telemetry"]["vehicles"]) == {fleet.truck.id, fleet.truck2.id, fleet.foreign.id}
    counted = dict(db.execute(select(TelemetryPoint.vehicle_id, func.count()).group_by(TelemetryPoint.vehicle_id)).all())
    assert set(counted) == {fleet.truck.id, fleet.truck2.id, fleet.foreign.id}
    assert ctx.logins == []


def test_transfers_hook_classifies_consignor_and_receiver_and_lists_unmatched(client, db, fleet, region_headers, monkeypatch):
    """When the transfers domain offers `carrier_legs`, stops at a leg's consignor and receiver are
    classified as such and unmatched legs are listed."""
    import sys
    import types

    from qaldyq.telemetry.service import LOCAL_TZ

    start = (datetime.now(timezone.utc) - timedelta(hours=4)).replace(microsecond=0)
    route = _day(db, fleet, start)
    end = datetime.fromtimestamp(route.t[-1], tz=timezone.utc)
    legs = [Leg("TD-2026-000200", fleet.truck.id, fleet.gen.id, fleet.landfill.id, start + timedelta(minutes=30), end - timedelta(minutes=5)),
            Leg("TD-2026-000201", fleet.truck.id, fleet.landfill.id, fleet.gen.id, start - timedelta(hours=3), start - timedelta(hours=2))]
    calls = []

    def carrier_legs(db_, t_from, t_to, vehicle_ids=None):
        calls.append(vehicle_ids)
        return [leg for leg in legs if vehicle_ids is None or leg.vehicle_id in vehicle_ids]

    pkg = types.ModuleType("qaldyq.transfers")
    mod = types.ModuleType("qaldyq.transfers.service")
    mod.carrier_legs = carrier_legs
    monkeypatch.setitem(sys.modules, "qaldyq.transfers", pkg)
    monkeypatch.setitem(sys.modules, "qaldyq.transfers.service", mod)
    day = start.astimezone(LOCAL_TZ).date().isoformat()
    body = client.get(f"/api/v1/telemetry/vehicles/{fleet.truck.id}/days/{day}", headers=region_headers["inspector"]).json()
    cats = {s["site_id"]: s["category"] for s in body["stops"] if s["site_id"]}
    assert cats == {fleet.depot.id: "depot", fleet.gen.id: "consignor", fleet.landfill.id: "receiver"}
    assert [fleet.truck.id] in calls
    from tests.telemetry.test_alerts_roles import login
    from tests.factories import make_org

    login(client, db, make_org(db, roles=("inspection",), region="710000000"), "inspector")
    r = client.get("/telemetry/unmatched?lang=en", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "TD-2026-000201" in r.text and "TD-2026-000200" not in r.text
    assert "The vehicle was not at the consignor near the pick-up time." in r.text and "001ABC01" in r.text
