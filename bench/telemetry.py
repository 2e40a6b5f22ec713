"""Benchmark: a national day of truck telemetry, stop detection + geofence classification.

    python -m bench.telemetry [VEHICLES] [--interval S] [--hours H] [--sample N]

Generates VEHICLES trucks (default 5000: 14 hours at one fix every 5 s, ~50 million points)
driving between sites with GPS jitter, traffic-light halts, signal gaps and a few injected
dumping stops away from every site; then times the analysis (the same code as the server and
the CLI) and, on a sample of N vehicles, movingpandas' TrajectoryStopDetector (install the
`bench` extra). Prints points per second, the agreement on stops, and whether every injected
dumping stop was found and classified unauthorized.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import timedelta

import numpy as np

from qaldyq.telemetry.analysis import analyze
from qaldyq.telemetry.geo import M_PER_DEG_LAT
from qaldyq.telemetry.geofence import UNAUTHORIZED, SiteIndex
from qaldyq.telemetry.stops import StopParams, Stops, detect_stops, merge_adjacent
from qaldyq.telemetry.track import Track

T0 = 1_780_000_000  # a morning in 2026
CITIES = np.array([(51.13, 71.43), (43.24, 76.95), (42.34, 69.59), (49.81, 73.09), (47.11, 51.91), (52.29, 76.97), (50.28, 57.17),
                   (53.21, 63.62), (44.85, 65.48), (49.95, 82.63), (54.88, 69.16), (43.65, 51.16), (51.23, 51.39), (42.90, 71.37)])


def generate(vehicles: int, hours: float, interval: int, seed: int = 7, noise: str = "white"):
    """Returns (track, sites, injected) where injected = (vehicle, t_start, t_end) of dumping stops.
    noise: "white" (independent errors of sigma 4 m per fix, the harder case) or "correlated"
    (the same sigma, but the error drifts over about a minute, as a receiver's does)."""
    rng = np.random.default_rng(seed)
    K = 40  # segments (drive + dwell) per vehicle, more than a day needs
    city = CITIES[rng.integers(0, len(CITIES), vehicles)]
    # waypoints: random walk of 2-12 km legs around the home city
    leg_km = rng.uniform(2, 12, (vehicles, K))
    heading = rng.uniform(0, 2 * np.pi, (vehicles, K))
    dlat = np.cumsum(leg_km * 1000 * np.cos(heading), axis=1) / M_PER_DEG_LAT
    dlon = np.cumsum(leg_km * 1000 * np.sin(heading), axis=1) / (M_PER_DEG_LAT * np.cos(np.radians(city[:, :1])))
    wlat = np.c_[city[:, :1], city[:, :1] + dlat * 0.35]  # K+1 waypoints (pulled in so trucks stay near town)
    wlon = np.c_[city[:, 1:], city[:, 1:] + dlon * 0.35]
    seg_km = np.hypot((wlat[:, 1:] - wlat[:, :-1]) * M_PER_DEG_LAT, (wlon[:, 1:] - wlon[:, :-1]) * M_PER_DEG_LAT * np.cos(np.radians(wlat[:, :-1]))) / 1000
    kmh = rng.uniform(20, 70, (vehicles, K))
    drive_s = np.maximum(seg_km / kmh * 3600, interval)
    # dwell at each waypoint: a real stop (8-40 min) or a halt (0.5-3 min)
    real = rng.random((vehicles, K)) < 0.55
    dwell_s = np.where(real, rng.uniform(8, 40, (vehicles, K)), rng.uniform(0.5, 3.0, (vehicles, K))) * 60
    # inject one dumping stop for ~3 % of the vehicles: a real stop of 20-40 min at an off-site place
    dumping = rng.random(vehicles) < 0.03
    dump_k = rng.integers(3, 10, vehicles)
    dv = np.flatnonzero(dumping)
    dwell_s[dv, dump_k[dv]] = rng.uniform(20, 40, dv.size) * 60
    real[dv, dump_k[dv]] = True
    # timeline: dwell at waypoint k (start), then drive k -> k+1
    seg_start = np.cumsum(np.c_[np.zeros(vehicles), (dwell_s + drive_s)[:, :-1]], axis=1)
    horizon = hours * 3600
    n_per = int(horizon // interval)
    v = np.repeat(np.arange(vehicles), n_per)
    t_rel = np.tile(np.arange(n_per) * interval, vehicles).astype(np.float64)
    # which segment: searchsorted per vehicle via a combined key
    key_seg = (np.arange(vehicles)[:, None] * 1e7 + seg_start).ravel()
    k = np.searchsorted(key_seg, v * 1e7 + t_rel, side="right") - 1 - v * K
    k = np.clip(k, 0, K - 1)
    into = t_rel - seg_start[v, k]
    dwelling = into < dwell_s[v, k]
    f = np.clip((into - dwell_s[v, k]) / drive_s[v, k], 0, 1)
    lat = np.where(dwelling, wlat[v, k], wlat[v, k] + (wlat[v, k + 1] - wlat[v, k]) * f)
    lon = np.where(dwelling, wlon[v, k], wlon[v, k] + (wlon[v, k + 1] - wlon[v, k]) * f)
    jitter = rng.normal(0, 4.0, (2, lat.size))
    if noise == "correlated":
        # a moving average of white noise over ~60 s, rescaled to the same sigma
        w = max(2, 60 // interval)
        c = np.cumsum(np.c_[np.zeros((2, 1)), jitter], axis=1)
        jitter = (c[:, w:] - c[:, :-w]) / np.sqrt(w)
        jitter = np.c_[jitter, jitter[:, -1:].repeat(w - 1, axis=1)]
    lat += jitter[0] / M_PER_DEG_LAT
    lon += jitter[1] / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
    keep = rng.random(lat.size) > 0.005  # lost fixes
    t = (T0 + t_rel).astype(np.int64)
    track = Track(v[keep].astype(np.int64), t[keep], lat[keep], lon[keep], np.arange(vehicles).astype(object))
    # sites at every real stop that is not a dumping stop (radius 150 m)
    site_mask = real.copy()
    site_mask[dv, dump_k[dv]] = False
    sv, sk = np.nonzero(site_mask)
    # a dumping place is in the steppe: no other truck's site within 500 m of it
    dumps = SiteIndex.build(np.arange(dv.size), wlat[dv, dump_k[dv]], wlon[dv, dump_k[dv]], np.full(dv.size, 500.0), margin_m=0.0)
    near, _, _ = dumps.query(wlat[sv, sk], wlon[sv, sk])
    keep_site = np.ones(sv.size, dtype=bool)
    keep_site[near] = False
    sv, sk = sv[keep_site], sk[keep_site]
    sites = SiteIndex.build(np.arange(sv.size), wlat[sv, sk], wlon[sv, sk], np.full(sv.size, 150.0), kinds=["generator"] * sv.size)
    within = seg_start[dv, dump_k[dv]] + dwell_s[dv, dump_k[dv]] < horizon
    injected = (dv[within], (T0 + seg_start[dv, dump_k[dv]])[within], (T0 + seg_start[dv, dump_k[dv]] + dwell_s[dv, dump_k[dv]])[within])
    return track, sites, injected


def subset(track: Track, vehicles: np.ndarray) -> Track:
    m = np.isin(track.vehicle, vehicles)
    return Track(track.vehicle[m], track.t[m], track.lat[m], track.lon[m], track.labels)


def movingpandas_stops(track: Track, params: StopParams):
    import geopandas as gpd
    import movingpandas as mpd
    import pandas as pd

    df = pd.DataFrame({"vehicle": track.vehicle, "t": pd.to_datetime(track.t, unit="s"), "lat": track.lat, "lon": track.lon})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
    tc = mpd.TrajectoryCollection(gdf, "vehicle", t="t")
    started = time.perf_counter()
    ranges = mpd.TrajectoryStopDetector(tc).get_stop_time_ranges(max_diameter=params.max_diameter_m, min_duration=timedelta(seconds=params.min_duration_s))
    elapsed = time.perf_counter() - started
    out = [(int(r.traj_id), int(pd.Timestamp(r.t_0).timestamp()), int(pd.Timestamp(r.t_n).timestamp())) for r in ranges]
    return out, elapsed


def agreement(ours: list[tuple[int, int, int]], theirs: list[tuple[int, int, int]]) -> tuple[int, float]:
    """Stops agree when they belong to the same vehicle and overlap by at least half of the
    longer one (intersection over union >= 0.5); returns (matched, matched / union)."""
    from collections import defaultdict

    by_v = defaultdict(list)
    for v, a, b in theirs:
        by_v[v].append((a, b))
    used, matched = set(), 0
    for v, a, b in ours:
        for j, (c, d) in enumerate(by_v[v]):
            if (v, j) in used:
                continue
            inter = min(b, d) - max(a, c)
            union = max(b, d) - min(a, c)
            if union > 0 and inter / union >= 0.5:
                used.add((v, j))
                matched += 1
                break
    union = len(ours) + len(theirs) - matched
    return matched, (matched / union if union else 1.0)


def as_dwells(track: Track, stops: list[tuple[int, int, int]], params: StopParams) -> list[tuple[int, int, int]]:
    """Join adjacent pieces of one dwell (the analysis' rule, applied alike to both outputs): a
    long noisy dwell that one detector cuts in two and the other does not is the same dwell."""
    if not stops:
        return []
    v = np.array([s[0] for s in stops], dtype=np.int64)
    a = np.array([s[1] for s in stops], dtype=np.int64)
    b = np.array([s[2] for s in stops], dtype=np.int64)
    order = np.lexsort((a, v))
    v, a, b = v[order], a[order], b[order]
    key = (track.vehicle << 32) + track.t
    first = np.searchsorted(key, (v << 32) + a)
    last = np.searchsorted(key, (v << 32) + b, side="right") - 1
    cl, co = np.r_[0.0, np.cumsum(track.lat)], np.r_[0.0, np.cumsum(track.lon)]
    n = np.maximum(last - first + 1, 1)
    st = Stops(v, first, last, a, b, (cl[last + 1] - cl[first]) / n, (co[last + 1] - co[first]) / n, n, np.zeros(v.size))
    joined = merge_adjacent(st, params.min_duration_s, params.max_diameter_m)
    return list(zip(joined.vehicle.tolist(), joined.t_start.tolist(), joined.t_end.tolist()))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vehicles", nargs="?", type=int, default=5000)
    ap.add_argument("--hours", type=float, default=14.0)
    ap.add_argument("--interval", type=int, default=5, help="seconds between fixes")
    ap.add_argument("--sample", type=int, default=40, help="vehicles given to movingpandas")
    ap.add_argument("--noise", choices=("white", "correlated"), default="white", help="GPS error model")
    ap.add_argument("--no-movingpandas", action="store_true")
    args = ap.parse_args(argv)
    params = StopParams()
    print(f"machine: {platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}")
    started = time.perf_counter()
    track, sites, injected = generate(args.vehicles, args.hours, args.interval, noise=args.noise)
    print(f"generated {len(track):,} points of {args.vehicles:,} vehicles and {len(sites):,} sites ({args.noise} GPS noise) "
          f"in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    an = analyze(track, sites, params)
    ours_s = time.perf_counter() - started
    rate = len(track) / ours_s
    print(f"qaldyq: {len(an.stops):,} stops ({len(an.unauthorized()):,} unauthorized), {len(an.trips):,} trips in {ours_s:.2f} s "
          f"= {rate:,.0f} points/s (stops + geofences + trips)")

    dv, d0, d1 = injected
    st = an.stops
    found = 0
    for v, a, b in zip(dv.tolist(), d0.tolist(), d1.tolist()):
        hit = (st.vehicle == v) & (st.t_start <= b) & (st.t_end >= a) & (an.category == UNAUTHORIZED) & (st.duration_s >= 15 * 60)
        found += bool(hit.any())
    print(f"injected dumping stops found and classified unauthorized: {found}/{dv.size}" + (" (all)" if found == dv.size else " (MISSED SOME)"))

    if args.no_movingpandas:
        return
    try:
        import movingpandas  # noqa: F401
    except ImportError:
        print("movingpandas is not installed (pip install -e '.[bench]'): comparison skipped")
        return
    sample = np.arange(min(args.sample, args.vehicles))
    small = subset(track, sample)
    started = time.perf_counter()
    mine = detect_stops(small, params)
    mine_s = time.perf_counter() - started
    theirs, mpd_s = movingpandas_stops(small, params)
    mpd_rate = len(small) / mpd_s
    ours_list = list(zip(mine.vehicle.tolist(), mine.t_start.tolist(), mine.t_end.tolist()))
    matched, share = agreement(ours_list, theirs)
    print(f"sample: {len(small):,} points of {sample.size} vehicles")
    print(f"movingpandas TrajectoryStopDetector: {len(theirs):,} stops in {mpd_s:.1f} s = {mpd_rate:,.0f} points/s")
    print(f"qaldyq on the same sample: {len(mine):,} stops in {mine_s:.3f} s")
    print(f"agreement on stops: {matched:,} in common, {share:.2%} of all stops found by either (IoU >= 0.5)")
    same = len(set(ours_list) & set(theirs))
    print(f"identical stops (same vehicle, same first and last fix): {same:,} = {same / max(len(set(ours_list) | set(theirs)), 1):.2%} "
          f"of all stops found by either")
    dm, dshare = agreement(as_dwells(small, ours_list, params), as_dwells(small, theirs, params))
    print(f"agreement on dwells (adjacent pieces of one dwell joined, both sides alike): {dm:,} in common, {dshare:.2%}")
    print(f"speed-up (full national rate / movingpandas rate): {rate / mpd_rate:,.0f}x")


if __name__ == "__main__":
    main()
