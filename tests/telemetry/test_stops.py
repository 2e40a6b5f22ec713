"""Stop detection and trip segmentation on synthetic tracks (no database)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from qaldyq.telemetry.stops import StopParams, detect_stops, segment_trips
from qaldyq.telemetry.track import Track
from tests.telemetry.tracks import Route, offset

A = (51.10, 71.30)
B = (51.15, 71.45)
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)


def track_of(*routes: Route) -> Track:
    v, t, la, lo = [], [], [], []
    for i, r in enumerate(routes):
        rt, rla, rlo = r.arrays()
        v.append(np.full(rt.size, i + 1)), t.append(rt), la.append(rla), lo.append(rlo)
    return Track.build(np.concatenate(v), np.concatenate(t), np.concatenate(la), np.concatenate(lo))


def test_one_clear_stop_between_two_drives():
    r = Route(T0, *A).drive(*B).dwell(12).drive(*A)
    stops = detect_stops(track_of(r))
    assert len(stops) == 1
    assert 12 * 60 - 20 <= stops.duration_s[0] <= 12 * 60 + 20
    assert abs(stops.lat[0] - B[0]) < 1e-4 and abs(stops.lon[0] - B[1]) < 1e-4
    assert stops.diameter_m[0] < 50


def test_a_stop_just_under_the_dwell_threshold_is_not_a_stop():
    # 4 min 40 s of dwell (+ the arrival point): under 5 minutes
    r = Route(T0, *A, every_s=20).drive(*B).dwell(4 + 40 / 60).drive(*A)
    assert len(detect_stops(track_of(r))) == 0
    # the same with 5 min 20 s is a stop
    r = Route(T0, *A, every_s=20).drive(*B).dwell(5 + 20 / 60).drive(*A)
    stops = detect_stops(track_of(r))
    assert len(stops) == 1 and stops.duration_s[0] >= 300


def test_thresholds_are_parameters():
    r = Route(T0, *A).drive(*B).dwell(8).drive(*A)
    assert len(detect_stops(track_of(r), StopParams(min_duration_s=600))) == 0
    assert len(detect_stops(track_of(r), StopParams(min_duration_s=420))) == 1
    # jitter of ~40 m: a stop within 200 m, not within 20 m
    r = Route(T0, *A, seed=3).drive(*B).dwell(10, jitter_m=40).drive(*A)
    assert len(detect_stops(track_of(r), StopParams(max_diameter_m=400))) == 1
    assert len(detect_stops(track_of(r), StopParams(max_diameter_m=20))) == 0


def test_stop_across_midnight_is_one_stop():
    start = datetime(2026, 5, 4, 23, 30, tzinfo=timezone.utc)
    r = Route(start, *A).drive(*B).dwell(60).drive(*A)
    stops = detect_stops(track_of(r))
    assert len(stops) == 1
    s, e = (datetime.fromtimestamp(int(x), tz=timezone.utc) for x in (stops.t_start[0], stops.t_end[0]))
    assert s.date().day == 4 and e.date().day == 5
    assert 59 * 60 <= stops.duration_s[0] <= 61 * 60


def test_gap_while_parked_is_still_a_stop_and_gap_while_moving_is_not():
    parked = Route(T0, *A).drive(*B).dwell(3).silence(40).dwell(3).drive(*A)
    t = track_of(parked)
    stops = detect_stops(t)
    # one stop across the silence. It begins at the last fix before the silence: during the first
    # 3 minutes the window of the last 5 minutes still reached back onto the road, and after the
    # silence the window is the two fixes around it (movingpandas gives 08:20:50-09:03:50 too)
    before = int(np.flatnonzero(np.diff(t.t) > 30 * 60)[0])
    assert len(stops) == 1 and stops.first[0] == before
    assert stops.t_start[0] == int(T0.timestamp()) + 20 * 60 + 50 and stops.duration_s[0] == 43 * 60
    trips, gaps = segment_trips(t, stops)
    assert len(gaps) == 0 and len(trips) == 2

    moving = Route(T0, *A).drive(51.12, 71.36).silence(40).at(51.14, 71.42).drive(*B)
    t = track_of(moving)
    stops = detect_stops(t)
    assert len(stops) == 0
    trips, gaps = segment_trips(t, stops)
    assert len(gaps) == 1 and len(trips) == 2
    assert 39 * 60 < gaps.t_to[0] - gaps.t_from[0] < 41 * 60
    assert gaps.distance_m[0] > 500


def test_jitter_around_a_site_boundary_gives_one_stop():
    # a truck parked right on the edge of a geofence: large jitter, the stop must not split
    edge = offset(*B, north_m=150)
    r = Route(T0, *A, seed=7).drive(*edge).dwell(20, jitter_m=5).drive(*A)
    stops = detect_stops(track_of(r))
    assert len(stops) == 1
    assert stops.duration_s[0] >= 19 * 60


def test_slow_crawl_is_not_a_stop_but_a_slow_approach_is_cut_greedily():
    crawl = Route(T0, *A, every_s=10).drive(*offset(*A, east_m=400), kmh=2.0)  # 12 min for 400 m
    assert len(detect_stops(track_of(crawl))) == 0
    # approach at walking pace, then a long dwell: one stop, begun within the last 50 m
    r = Route(T0, *A).drive(*B).drive(*offset(*B, east_m=120), kmh=3).dwell(10).drive(*A)
    stops = detect_stops(track_of(r))
    assert len(stops) == 1
    assert 10 * 60 <= stops.duration_s[0] <= 11 * 60 + 30


def test_many_vehicles_at_once_do_not_mix():
    routes = [Route(T0, *A, seed=i).drive(*B).dwell(6 + i).drive(*A) for i in range(5)]
    t = track_of(*routes)
    stops = detect_stops(t)
    assert sorted(t.labels[stops.vehicle].tolist()) == [1, 2, 3, 4, 5]
    for code, d in zip(stops.vehicle.tolist(), stops.duration_s.tolist()):
        i = int(t.labels[code]) - 1
        assert (6 + i) * 60 - 20 <= d <= (6 + i) * 60 + 20


def test_two_vehicles_parked_together_are_two_stops():
    a = Route(T0, *B, seed=1).dwell(30)
    b = Route(T0, *B, seed=2).dwell(30)
    stops = detect_stops(track_of(a, b))
    assert len(stops) == 2


def test_empty_and_single_point_tracks():
    assert len(detect_stops(Track.empty())) == 0
    one = Track.build([1], [0], [51.0], [71.0])
    assert len(detect_stops(one)) == 0
    trips, gaps = segment_trips(one, detect_stops(one))
    assert len(trips) == 1 and len(gaps) == 0


def test_a_long_noisy_dwell_cut_in_pieces_is_joined_for_the_analysis():
    from qaldyq.telemetry.analysis import analyze
    from qaldyq.telemetry.geofence import SiteIndex

    r = Route(T0, *A, every_s=5, seed=7).drive(*B).dwell(40, jitter_m=7).drive(*A)
    t = track_of(r)
    pieces = detect_stops(t)
    assert len(pieces) >= 2  # the noise outgrows 50 m over 480 fixes (movingpandas cuts it too)
    assert (pieces.first[1:] > pieces.last[:-1]).all()  # where it is cut: test_stops_definition.py
    an = analyze(t, SiteIndex.empty())
    assert len(an.stops) == 1
    assert 39 * 60 <= an.stops.duration_s[0] <= 41 * 60
    assert an.stops.n_points[0] == an.stops.last[0] - an.stops.first[0] + 1
    assert abs(an.stops.lat[0] - B[0]) < 5e-5 and abs(an.stops.lon[0] - B[1]) < 5e-5
