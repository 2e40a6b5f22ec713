"""Stop detection is movingpandas' TrajectoryStopDetector, by its definition: the same stops, to
the fix, as a line-by-line transcription of its loop (tests/telemetry/mpref.py) on tracks built
to go through every branch of it, and as movingpandas itself when it is installed (the `bench`
extra). The long noisy dwell, which the two used to cut at different fixes, is pinned here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from shapely.geometry import MultiPoint

from qaldyq.telemetry.geo import geodesic_m
from qaldyq.telemetry.stops import StopParams, detect_stops
from qaldyq.telemetry.track import Track
from tests.telemetry.mpref import mrr_diagonal, stop_ranges
from tests.telemetry.tracks import Route, offset

A = (51.10, 71.30)
B = (51.15, 71.45)
ALMATY = (43.24, 76.95)
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)


def build(routes: list[Route]) -> Track:
    v, t, la, lo = [], [], [], []
    for i, r in enumerate(routes):
        rt, rla, rlo = r.arrays()
        v.append(np.full(rt.size, i)), t.append(rt), la.append(rla), lo.append(rlo)
    return Track.build(np.concatenate(v), np.concatenate(t), np.concatenate(la), np.concatenate(lo))


def reference(track: Track, params: StopParams) -> set[tuple[int, int]]:
    out = set()
    for code in np.unique(track.vehicle):
        idx = np.flatnonzero(track.vehicle == code)
        for a, b in stop_ranges(track.t[idx], track.lat[idx], track.lon[idx], params.max_diameter_m, params.min_duration_s):
            out.add((int(idx[a]), int(idx[b])))
    return out


def found(track: Track, params: StopParams) -> set[tuple[int, int]]:
    s = detect_stops(track, params)
    return set(zip(s.first.tolist(), s.last.tolist()))


def varied() -> list[Route]:
    return [
        # stops, traffic halts, a long noisy dwell that outgrows 50 m, a spike inside a stop
        Route(T0, *A, every_s=5, seed=11).drive(*B).dwell(12).drive(*A).dwell(1.5).drive(*B, kmh=25)
        .dwell(40, jitter_m=7).drive(*offset(*B, east_m=900)).dwell(6).spike(200).dwell(6).drive(*A),
        # one fix a second: windows of 300 fixes; a slow approach; a crawl
        Route(T0, *ALMATY, every_s=1, seed=12).drive(*offset(*ALMATY, north_m=600), kmh=30)
        .drive(*offset(*ALMATY, north_m=700), kmh=3).dwell(7, jitter_m=3)
        .drive(*offset(*ALMATY, north_m=700, east_m=250), kmh=2),
        # one fix every 30 s: a silence while parked, a silence while moving, the track ends stopped
        Route(T0, *B, every_s=30, seed=13).dwell(4).silence(40).dwell(6).drive(*A).silence(20)
        .at(*offset(*A, east_m=3000)).drive(*B).dwell(25, jitter_m=9),
        # a tracker repeating the same fix while parked (the hull is a point, then a line)
        Route(T0, *A, every_s=10, seed=14).drive(*B).dwell(9, jitter_m=0.0).dwell(4, jitter_m=0.0).drive(*A)
        .drive(*offset(*A, east_m=60), kmh=1).dwell(8, jitter_m=0.0),
        # heavy noise: windows near the limit all the time
        Route(T0, *ALMATY, every_s=5, seed=15).dwell(30, jitter_m=11).drive(*offset(*ALMATY, east_m=2000)).dwell(20, jitter_m=9),
    ]


@pytest.mark.parametrize("params", [StopParams(), StopParams(min_duration_s=120, max_diameter_m=30),
                                    StopParams(min_duration_s=600, max_diameter_m=100)], ids=["5min-50m", "2min-30m", "10min-100m"])
def test_same_stops_to_the_fix_as_the_transcribed_loop(params):
    track = build(varied())
    mine, theirs = found(track, params), reference(track, params)
    assert theirs, "the tracks must hold stops"
    assert mine == theirs


def test_a_long_noisy_dwell_is_cut_where_the_rectangle_diagonal_reaches_d():
    # 40 minutes at one place with 7 m of GPS noise, a fix every 5 s: the rectangle around the
    # fixes keeps growing and outgrows 50 m; the dwell is cut there, each piece the longest run
    # from its first fix whose diagonal stays under 50 m. The next piece starts at the fix that
    # cut the previous one, or, when that fix is itself far out (here 462), just after it: the
    # windows holding it are too large until it is more than 5 minutes old
    r = Route(T0, *A, every_s=5, seed=7).drive(*B).dwell(40, jitter_m=7).drive(*A)
    track = build([r])
    s = detect_stops(track)
    assert list(zip(s.first.tolist(), s.last.tolist())) == [(214, 461), (463, 628), (629, 694)]
    assert abs((s.t_end[-1] - s.t_start[0]) - 40 * 60) <= 10
    pts = np.c_[track.lon, track.lat]
    for first, last, d in zip(s.first.tolist(), s.last.tolist(), s.diameter_m.tolist()):
        inside = mrr_diagonal(MultiPoint(pts[first:last + 1]))
        assert inside < 50 and d == pytest.approx(inside, abs=1e-9)
        if last + 1 < len(track) and (s.first > last).any():  # cut by the noise, not by leaving
            assert mrr_diagonal(MultiPoint(pts[first:last + 2])) >= 50
    assert found(track, StopParams()) == reference(track, StopParams())


def test_the_diagonal_is_geodesic_metres_on_wgs84():
    # values from geopy's geodesic distance (which movingpandas uses)
    assert geodesic_m(51.1, 71.4, 51.1003, 71.4004) == pytest.approx(43.57677483740087, abs=1e-6)
    assert geodesic_m(43.24, 76.95, 43.2404, 76.9501) == pytest.approx(45.17513617697382, abs=1e-6)
    assert geodesic_m(55.0, 60.0, 55.0, 60.0008) == pytest.approx(51.19530343778342, abs=1e-6)


def test_same_stop_times_as_movingpandas_itself():
    mpd = pytest.importorskip("movingpandas", reason="movingpandas is the benchmark's reference (pip install -e '.[bench]')")
    gpd = pytest.importorskip("geopandas")
    pd = pytest.importorskip("pandas")
    track = build([varied()[0], varied()[4]])
    df = pd.DataFrame({"vehicle": track.vehicle, "t": pd.to_datetime(track.t, unit="s"), "lat": track.lat, "lon": track.lon})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    ranges = mpd.TrajectoryStopDetector(mpd.TrajectoryCollection(gdf, "vehicle", t="t")).get_stop_time_ranges(
        max_diameter=50, min_duration=timedelta(minutes=5))
    theirs = {(int(r.traj_id), int(pd.Timestamp(r.t_0).timestamp()), int(pd.Timestamp(r.t_n).timestamp())) for r in ranges}
    s = detect_stops(track)
    mine = set(zip(s.vehicle.tolist(), s.t_start.tolist(), s.t_end.tolist()))
    assert len(theirs) >= 5 and mine == theirs
