"""Stop classification against geofences, and the matching of carrier legs (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from qaldyq.telemetry.analysis import analyze
from qaldyq.telemetry.geofence import CATEGORIES, LegWindows, SiteIndex
from qaldyq.telemetry.matching import Leg, MatchParams, match_legs
from qaldyq.telemetry.stops import StopParams
from tests.telemetry.test_stops import T0, track_of
from tests.telemetry.tracks import Route, offset

DEPOT = (51.100, 71.300)
GEN = (51.150, 71.450)
LANDFILL = (51.050, 71.600)
OTHER = (51.200, 71.350)
STEPPE = (51.120, 71.520)
POLY_CENTRE = (51.180, 71.500)
# a 400 m square around POLY_CENTRE, as [lon, lat]
_d_lat, _d_lon = 200 / 111_195, 200 / (111_195 * np.cos(np.radians(51.18)))
POLYGON = [[POLY_CENTRE[1] - _d_lon, POLY_CENTRE[0] - _d_lat], [POLY_CENTRE[1] + _d_lon, POLY_CENTRE[0] - _d_lat],
           [POLY_CENTRE[1] + _d_lon, POLY_CENTRE[0] + _d_lat], [POLY_CENTRE[1] - _d_lon, POLY_CENTRE[0] + _d_lat]]


def sites() -> SiteIndex:
    return SiteIndex.build([10, 20, 30, 40, 50], [DEPOT[0], GEN[0], LANDFILL[0], OTHER[0], POLY_CENTRE[0]],
                           [DEPOT[1], GEN[1], LANDFILL[1], OTHER[1], POLY_CENTRE[1]], [150, 100, 400, 100, 10],
                           [None, None, None, None, POLYGON], ["depot", "generator", "landfill", "sorting", "sorting"], margin_m=25)


def day_route(seed=1) -> Route:
    return (Route(T0, *DEPOT, seed=seed).dwell(10).drive(*GEN).dwell(15).drive(*STEPPE).dwell(25)
            .drive(*LANDFILL).dwell(20).drive(*OTHER).dwell(7).drive(*offset(*POLY_CENTRE, north_m=150)).dwell(9).drive(*DEPOT).dwell(10))


def test_each_stop_gets_its_category():
    t = track_of(day_route())
    depot_of = np.array([0])  # vehicle code 0 -> site position 0 (the depot)
    an = analyze(t, sites(), StopParams(), depot_of)
    got = [(CATEGORIES[c], (sites().ids[s] if s >= 0 else None)) for c, s in zip(an.category, an.site)]
    assert got == [("depot", 10), ("permitted_site", 20), ("unauthorized", None), ("permitted_site", 30), ("permitted_site", 40),
                   ("permitted_site", 50), ("depot", 10)]
    recs = an.stop_records()
    assert recs[2]["classification"] == "unauthorized" and recs[2]["duration_s"] >= 24 * 60
    assert recs[1]["classification"] == 20


def test_consignor_and_receiver_come_from_the_legs():
    t = track_of(day_route())
    s = sites()
    pickup = T0.timestamp() + 30 * 60
    receipt = pickup + 3 * 3600
    legs = LegWindows((np.array([0]), np.array([1]), np.array([pickup - 7200]), np.array([pickup + 7200])),
                      (np.array([0]), np.array([2]), np.array([receipt - 7200]), np.array([receipt + 7200])))
    an = analyze(t, s, StopParams(), np.array([0]), legs)
    cats = [CATEGORIES[c] for c in an.category]
    assert cats[1] == "consignor" and cats[3] == "receiver"
    assert cats[0] == "depot" and cats[2] == "unauthorized"


def test_jitter_on_the_geofence_edge_is_classified_by_the_centre_with_margin():
    s = sites()
    inside_edge = offset(*GEN, north_m=110)  # 10 m beyond the 100 m radius: within the 25 m margin
    far = offset(*GEN, north_m=160)
    for place, expected in ((inside_edge, "permitted_site"), (far, "unauthorized")):
        r = Route(T0, *DEPOT, seed=4).drive(*place).dwell(20, jitter_m=5).drive(*DEPOT)
        an = analyze(track_of(r), s)
        assert [CATEGORIES[c] for c in an.category] == [expected]


def test_no_sites_means_every_stop_is_unauthorized():
    an = analyze(track_of(day_route()), SiteIndex.empty())
    assert set(CATEGORIES[c] for c in an.category) == {"unauthorized"}


def _leg(doc, pickup_min, receipt_min, consignor=20, receiver=30, vehicle=1):
    return Leg(doc, vehicle, consignor, receiver, T0 + timedelta(minutes=pickup_min),
               None if receipt_min is None else T0 + timedelta(minutes=receipt_min))


def test_matching_of_carrier_legs():
    t = track_of(day_route())  # vehicle label 1
    # the truck is at the generator ~T0+25..40 min and at the landfill ~T0+100..120 min
    legs = [
        _leg("TD-2026-000001", 30, 110),  # true
        _leg("TD-2026-000002", 30, None),  # on its way: only the pick-up is checked
        _leg("TD-2026-000003", 30, 110, receiver=10),  # at the depot only before pick-up and long after receipt
        _leg("TD-2026-000004", 250, 260),  # nowhere near the consignor then (but reported)
        _leg("TD-2026-000005", 30, 110, vehicle=2),  # vehicle sent nothing
        _leg("TD-2026-000006", 30, 110, consignor=999),  # unknown site
    ]
    res = match_legs(t, sites(), legs, MatchParams(tolerance_s=3600))
    assert [r.leg.document for r in res.matched] == ["TD-2026-000001", "TD-2026-000002"]
    reasons = {r.leg.document: r.reason for r in res.unmatched}
    assert reasons == {"TD-2026-000003": "not_at_receiver", "TD-2026-000004": "not_at_consignor",
                       "TD-2026-000005": "no_telemetry", "TD-2026-000006": "unknown_site"}
    ok = res.matched[0]
    assert ok.at_consignor[0] <= T0 + timedelta(minutes=30) <= ok.at_consignor[1] + timedelta(minutes=20)
    assert ok.at_receiver[0] < ok.at_receiver[1]
    assert res.landfill_without_document == []  # the landfill visit is explained by TD-...001


def test_landfill_trip_without_document():
    t = track_of(day_route())
    res = match_legs(t, sites(), [_leg("TD-2026-000010", 30, None)], MatchParams(tolerance_s=3600))
    assert len(res.landfill_without_document) == 1
    v = res.landfill_without_document[0]
    assert v.vehicle_id == 1 and v.site_id == 30
    assert (v.left - v.arrived) >= timedelta(minutes=19)
    # a short pass by the landfill is not a trip to it
    r = Route(T0, *DEPOT).drive(*LANDFILL, kmh=60).drive(*OTHER, kmh=60)
    assert match_legs(track_of(r), sites(), [], MatchParams()).landfill_without_document == []


def test_receipt_before_pickup_visit_is_not_a_match():
    # the truck went to the landfill first, then to the generator: the order is wrong
    r = Route(T0, *DEPOT).drive(*LANDFILL).dwell(10).drive(*GEN).dwell(10)
    t = track_of(r)
    gen_time = (r.t[-1] - T0.timestamp()) / 60
    res = match_legs(t, sites(), [_leg("TD-X", gen_time, 20)], MatchParams(tolerance_s=3 * 3600))
    assert res.unmatched and res.unmatched[0].reason == "not_at_receiver"


def test_match_handles_no_points_and_no_legs():
    from qaldyq.telemetry.track import Track

    assert match_legs(Track.empty(), sites(), [], MatchParams()).matched == []
    res = match_legs(Track.empty(), sites(), [_leg("TD-Y", 0, 60)], MatchParams())
    assert res.unmatched[0].reason == "no_telemetry"
    assert datetime.now(timezone.utc)


def test_region_of_a_place_follows_registered_sites_then_centres():
    from qaldyq.registry.regions import REGIONS
    from qaldyq.telemetry.geo import RegionLocator

    centres = [(k, c[0], c[1]) for k, _, _, _, _, c in REGIONS]
    bare = RegionLocator(centres)
    # 25 km east of Astana's centre: without sites, the nearest centre is Astana (city)
    place = (51.128, 71.79)
    assert bare.locate([place[0]], [place[1]]).tolist() == ["710000000"]
    # an Akmola-region landfill registered right there puts the place in Akmola
    with_sites = RegionLocator(centres, [("110000000", 51.13, 71.80)])
    assert with_sites.locate([place[0], 43.24], [place[1], 76.95]).tolist() == ["110000000", "750000000"]
    assert bare.locate([], []).tolist() == []
