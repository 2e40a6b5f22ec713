"""Stop detection and trip segmentation, vectorized.

A stop is what movingpandas' TrajectoryStopDetector (0.23) finds, by its own definition, computed
for all vehicles at once. Along one vehicle's track, position by position:

* a *window* of consecutive positions is **compact** when the diagonal of its latitude/longitude
  bounding box is under 1.5 D and the diagonal of its minimum rotated rectangle is under D. The
  rectangle is GEOS's oriented envelope (minimum area) of the positions in degree space, and its
  diagonal is measured from the rectangle's first vertex to its third on the WGS-84 ellipsoid
  (for a window of two positions: their distance; a line: its ends). Which of the two diagonals
  that is depends on GEOS's vertex order; taking the same rectangle from the same GEOS makes
  the same choice, so the stops are cut where movingpandas cuts them;
* while **moving**, the window is the positions of the last N minutes (all less than N before
  the current one, at least two positions, none before the last restart). When it is compact
  the vehicle is stopped, and the stop begins at the window's first position;
* while **stopped**, the window grows. The first position that makes it not compact ends the
  stop at the position before; the stop is kept if it lasted at least N minutes, and the window
  restarts at the position that ended it. A stop too short to keep restarts nothing: the
  window slides on;
* a track that ends stopped ends its stop there.

The vehicles advance together, a step at a time, on whole arrays; no Python loop per position:

* a rectangle depends only on the convex hull of the positions (checked: GEOS gives the same
  rectangle, vertex for vertex, for the hull's vertices as for all the positions). So a stopped
  vehicle keeps the hull of its stop, tests a block of new positions against it at once, and
  measures only the few positions outside it (with the hull's vertices, not all positions);
* a moving vehicle measures only windows whose first and last positions are under 1.5 D apart
  (otherwise the bounding box alone is too large): a driving truck is skipped in one look-up.

Signal gaps do not end a stop: a truck parked with its tracker off is still parked when the
signal returns at the same place. A gap while the position changed ends a trip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from qaldyq.telemetry.geo import distance_m, geodesic_m
from qaldyq.telemetry.track import Track, ranges

BLOCK = 64  # new positions a stopped vehicle tests against its hull per step
TRIES = 32  # at most this many windows a moving vehicle measures per step (the first compact
# one counts): one at first, twice as many after each step without a compact one
FRESH = 32  # positions looked at per step just after a restart
BOX_FACTOR = 1.5  # movingpandas' bounding-box pre-test: diagonal under 1.5 D


@dataclass(frozen=True)
class StopParams:
    min_duration_s: float = 300.0
    max_diameter_m: float = 50.0
    gap_s: float = 900.0

    @classmethod
    def from_settings(cls, s) -> StopParams:
        return cls(s.stop_min_minutes * 60.0, s.stop_max_diameter_m, s.gap_minutes * 60.0)


@dataclass
class Stops:
    vehicle: np.ndarray  # codes, as in the track
    first: np.ndarray  # index of the first and last position in the track
    last: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray
    lat: np.ndarray  # centre (mean position)
    lon: np.ndarray
    n_points: np.ndarray
    diameter_m: np.ndarray

    def __len__(self) -> int:
        return int(self.first.size)

    @property
    def duration_s(self) -> np.ndarray:
        return self.t_end - self.t_start


@dataclass
class Trips:
    vehicle: np.ndarray
    first: np.ndarray
    last: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray
    distance_m: np.ndarray
    n_points: np.ndarray

    def __len__(self) -> int:
        return int(self.first.size)


@dataclass
class Gaps:
    """Signal lost while the vehicle moved (or whose end is elsewhere): evidence for control."""

    vehicle: np.ndarray
    before: np.ndarray  # index of the last position before the gap
    t_from: np.ndarray
    t_to: np.ndarray
    distance_m: np.ndarray

    def __len__(self) -> int:
        return int(self.before.size)


def _steps(track: Track) -> tuple[np.ndarray, np.ndarray]:
    step = distance_m(track.lat[:-1], track.lon[:-1], track.lat[1:], track.lon[1:])
    same = track.vehicle[1:] == track.vehicle[:-1]
    return step, same


def _rect_diagonal(lon: np.ndarray, lat: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """movingpandas' `mrr_diagonal` of sets of positions given one after another (`counts` of
    at least two each): GEOS's oriented envelope in degree space, the geodesic length from its
    first vertex to its third (a line: from its first point to its last; a point: 0)."""
    m = counts.size
    if m == 0:
        return np.array([], dtype=np.float64)
    # a LineString through the positions has the same hull, hence the same rectangle, as the
    # MultiPoint movingpandas builds, and is many times cheaper to create
    env = shapely.oriented_envelope(shapely.linestrings(np.c_[lon, lat], indices=np.repeat(np.arange(m), counts)))
    xy, gi = shapely.get_coordinates(env, return_index=True)
    first = np.searchsorted(gi, np.arange(m))
    last = np.r_[first[1:], gi.size] - 1
    other = np.where(shapely.get_type_id(env) == shapely.GeometryType.POLYGON, first + 2, last)
    return geodesic_m(xy[first, 1], xy[first, 0], xy[other, 1], xy[other, 0])


def _box_diagonal(lat_min, lon_min, lat_max, lon_max) -> np.ndarray:
    return geodesic_m(lat_min, lon_min, lat_max, lon_max)


def _compact(lon: np.ndarray, lat: np.ndarray, counts: np.ndarray, window_n: np.ndarray, max_d: float):
    """Whether windows are compact, and their diagonals. Each window is given by a set of
    positions with the same convex hull (`counts` of them, one set after another); `window_n` is
    how many positions the window really holds (two positions are measured directly)."""
    m = counts.size
    diag = np.full(m, np.inf)
    if m == 0:
        return np.zeros(0, dtype=bool), diag
    off = np.cumsum(counts) - counts
    box = _box_diagonal(np.minimum.reduceat(lat, off), np.minimum.reduceat(lon, off),
                        np.maximum.reduceat(lat, off), np.maximum.reduceat(lon, off))
    ok = (window_n >= 2) & (box < BOX_FACTOR * max_d)
    two = np.flatnonzero(ok & (window_n == 2))
    diag[two] = geodesic_m(lat[off[two]], lon[off[two]], lat[off[two] + 1], lon[off[two] + 1])
    many = np.flatnonzero(ok & (window_n >= 3))
    if many.size:
        sel = ranges(off[many], counts[many])
        diag[many] = _rect_diagonal(lon[sel], lat[sel], counts[many])
    return diag < max_d, diag


def _gather(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], m: int):
    """Concatenate, set by set, pieces of coordinates: each part is (set, source start, length,
    (lon, lat) source array) with one entry per set. Returns lon, lat, counts per set."""
    counts = np.zeros(m, dtype=np.int64)
    for sets, _, length, _ in parts:
        np.add.at(counts, sets, length)
    off = np.cumsum(counts) - counts
    lon = np.empty(int(counts.sum()))
    lat = np.empty_like(lon)
    filled = off.copy()
    for sets, start, length, (src_lon, src_lat) in parts:
        dest = ranges(filled[sets], length)
        src = ranges(start, length)
        lon[dest], lat[dest] = src_lon[src], src_lat[src]
        filled[sets] += length
    return lon, lat, counts


def _hull_coords(hulls: np.ndarray):
    xy, gi = shapely.get_coordinates(hulls, return_index=True)
    count = np.bincount(gi, minlength=hulls.size)
    return xy[:, 0].copy(), xy[:, 1].copy(), np.cumsum(count) - count, count


def detect_stops(track: Track, params: StopParams = StopParams()) -> Stops:
    n = len(track)
    empty = np.array([], dtype=np.int64)
    if n < 2:
        return _stops_from(track, empty, empty, np.array([]))
    lat, lon, t = track.lat, track.lon, track.t
    max_d, min_dur = float(params.max_diameter_m), float(params.min_duration_s)
    near = BOX_FACTOR * max_d * 1.001  # first and last positions this far apart: the box is too large
    new_vehicle = np.r_[True, track.vehicle[1:] != track.vehicle[:-1]]
    vstart = np.flatnonzero(new_vehicle)
    vend = np.r_[vstart[1:], n]
    vid = np.cumsum(new_vehicle) - 1
    pos = np.arange(n)
    # since[j]: the first position of j's vehicle less than N before j (times are whole seconds)
    key = vid * (1 << 32) + (t - t.min())
    since = np.searchsorted(key, vid * (1 << 32) + np.floor(t - t.min() - min_dur).astype(np.int64), side="right")
    # a moving vehicle's window, far from a restart: the last N minutes, at least two positions
    wstart = np.maximum(np.minimum(since, pos - 1), vstart[vid])
    maybe = np.flatnonzero((pos > vstart[vid]) & (geodesic_m(lat[wstart], lon[wstart], lat, lon) < near))

    nv = vstart.size
    cur = vstart + 1  # the next position to look at
    restart = vstart.copy()  # where the window last restarted
    stopped = np.zeros(nv, dtype=bool)
    begin = np.zeros(nv, dtype=np.int64)  # a stopped vehicle's first position
    diag = np.zeros(nv)  # and its diagonal so far
    hull = np.empty(nv, dtype=object)  # and the convex hull of its positions so far
    tries = np.ones(nv, dtype=np.int64)  # windows a moving vehicle measures in its next step
    found_first, found_last, found_diag = [], [], []

    def close(rows, end):
        """Stopped vehicles `rows` leave their stop before position `end`."""
        keep = (t[end - 1] - t[begin[rows]]) >= min_dur
        found_first.append(begin[rows][keep])
        found_last.append(end[keep] - 1)
        found_diag.append(diag[rows][keep])
        restart[rows[keep]] = end[keep]
        stopped[rows] = False
        cur[rows] = end + 1

    while True:
        live = np.flatnonzero(cur < vend)
        if live.size == 0:
            break
        moving, still = live[~stopped[live]], live[stopped[live]]

        if moving.size:
            # windows to measure: just after a restart (the window begins at the restart, which
            # is less than N ago), or later (the last N minutes: the precomputed `maybe`)
            fresh_end = np.minimum(np.searchsorted(since, restart[moving], side="left"), vend[moving])
            is_fresh = cur[moving] < fresh_end
            rows_f, rows_s = moving[is_fresh], moving[~is_fresh]
            cand_row, cand_j, cand_a = [], [], []
            if rows_f.size:
                jj = cur[rows_f][:, None] + np.arange(FRESH)
                inside = jj < fresh_end[is_fresh][:, None]
                jc = np.minimum(jj, n - 1)
                r0 = restart[rows_f][:, None]
                ok = inside & (geodesic_m(lat[r0], lon[r0], lat[jc], lon[jc]) < near)
                take = ok & (np.cumsum(ok, axis=1) <= tries[rows_f][:, None])
                rr, kk = np.nonzero(take)
                cand_row.append(rows_f[rr]), cand_j.append(jj[rr, kk]), cand_a.append(restart[rows_f][rr])
                # if none is compact: on after the last window measured, or after the block
                more = ok.sum(axis=1) > tries[rows_f]
                last_taken = np.where(take, jj, -1).max(axis=1)
                cur[rows_f] = np.where(more, last_taken + 1, np.minimum(cur[rows_f] + FRESH, fresh_end[is_fresh]))
            if rows_s.size:
                k0 = np.searchsorted(maybe, cur[rows_s])
                kk = k0[:, None] + np.arange(TRIES)
                jj = maybe[np.minimum(kk, maybe.size - 1)] if maybe.size else np.zeros_like(kk)
                ok = (kk < maybe.size) & (jj < vend[rows_s][:, None]) & (np.arange(TRIES) < tries[rows_s][:, None])
                rr, kc = np.nonzero(ok)
                cand_row.append(rows_s[rr]), cand_j.append(jj[rr, kc]), cand_a.append(wstart[jj[rr, kc]])
                cur[rows_s] = np.where(ok.any(axis=1), np.where(ok, jj, -1).max(axis=1) + 1, vend[rows_s])
            row, j, a = np.concatenate(cand_row), np.concatenate(cand_j), np.concatenate(cand_a)
            tries[moving] = np.minimum(tries[moving] * 2, TRIES)
            if row.size:
                order = np.lexsort((j, row))
                row, j, a = row[order], j[order], a[order]
                size = j - a + 1
                sel = ranges(a, size)
                fit, d = _compact(lon[sel], lat[sel], size, size, max_d)
                hit = np.flatnonzero(fit)
                if hit.size:
                    _, firsts = np.unique(row[hit], return_index=True)
                    hit = hit[firsts]  # each vehicle's first compact window
                    rows = row[hit]
                    stopped[rows], begin[rows], cur[rows], diag[rows] = True, a[hit], j[hit] + 1, d[hit]
                    tries[rows] = 1
                    sel = ranges(a[hit], size[hit])
                    hull[rows] = shapely.convex_hull(shapely.linestrings(
                        np.c_[lon[sel], lat[sel]], indices=np.repeat(np.arange(hit.size), size[hit])))

        if still.size:
            jj = cur[still][:, None] + np.arange(BLOCK)
            valid = jj < vend[still][:, None]
            jc = np.minimum(jj, n - 1)
            x, y = lon[jc], lat[jc]
            h = hull[still]
            # inside the hull of the stop so far: the rectangle, hence the verdict, is unchanged
            # (a window of two positions is measured directly, so its hull is not used)
            inside = valid & ((jj - begin[still][:, None]) >= 3) & shapely.intersects_xy(h[:, None], x, y)
            # the bounding box grows with every position: the first one that makes it too large
            b = shapely.bounds(h)
            xs, ys = np.where(valid, x, b[:, :1]), np.where(valid, y, b[:, 1:2])
            too_big = _box_diagonal(np.minimum(np.minimum.accumulate(ys, axis=1), b[:, 1:2]),
                                    np.minimum(np.minimum.accumulate(xs, axis=1), b[:, :1]),
                                    np.maximum(np.maximum.accumulate(ys, axis=1), b[:, 3:4]),
                                    np.maximum(np.maximum.accumulate(xs, axis=1), b[:, 2:3])) >= BOX_FACTOR * max_d
            too_big &= valid
            fail = np.where(too_big.any(axis=1), too_big.argmax(axis=1), BLOCK)
            outside = valid & ~inside
            # the positions outside the hull (before the box is too large) are measured, each
            # with the hull's vertices and the outside positions before it
            orow, ocol = np.nonzero(outside)
            ocount = outside.sum(axis=1)
            ooff = np.cumsum(ocount) - ocount
            orank = np.arange(orow.size) - ooff[orow]
            ox, oy = x[orow, ocol], y[orow, ocol]
            hx, hy, hoff, hcount = _hull_coords(h)
            ev = np.flatnonzero(ocol < fail[orow])
            if ev.size:
                erow = orow[ev]
                ex, ey, ecount = _gather([(np.arange(ev.size), hoff[erow], hcount[erow], (hx, hy)),
                                          (np.arange(ev.size), ooff[erow], orank[ev] + 1, (ox, oy))], ev.size)
                fit, d = _compact(ex, ey, ecount, jj[erow, ocol[ev]] - begin[still][erow] + 1, max_d)
                bad = ev[~fit]
                np.minimum.at(fail, orow[bad], ocol[bad])
                # the diagonal of the stop as it stands before the failing position
                before = np.flatnonzero(ocol[ev] < fail[erow])
                if before.size:
                    rb = erow[before]
                    last = np.r_[rb[1:] != rb[:-1], True]
                    diag[still[rb[last]]] = d[before[last]]
            ended = fail < BLOCK
            if ended.any():
                close(still[ended], jj[ended, fail[ended]])
            going = np.flatnonzero(~ended)
            if going.size:
                cur[still[going]] = np.minimum(cur[still[going]] + BLOCK, vend[still[going]])
                grow = going[ocount[going] > 0]
                if grow.size:
                    gx, gy, gcount = _gather([(np.arange(grow.size), hoff[grow], hcount[grow], (hx, hy)),
                                              (np.arange(grow.size), ooff[grow], ocount[grow], (ox, oy))], grow.size)
                    hull[still[grow]] = shapely.convex_hull(shapely.linestrings(
                        np.c_[gx, gy], indices=np.repeat(np.arange(grow.size), gcount)))

    # a track that ends stopped ends its stop
    ending = np.flatnonzero(stopped)
    if ending.size:
        close(ending, vend[ending])
    if not found_first:
        return _stops_from(track, empty, empty, np.array([]))
    first, last, d = np.concatenate(found_first), np.concatenate(found_last), np.concatenate(found_diag)
    order = np.argsort(first, kind="stable")
    return _stops_from(track, first[order], last[order], d[order])


def _stops_from(track: Track, first, last, diameter) -> Stops:
    first = first.astype(np.int64)
    last = last.astype(np.int64)
    count = last - first + 1
    if first.size:
        clat, clon = np.r_[0.0, np.cumsum(track.lat)], np.r_[0.0, np.cumsum(track.lon)]
        lat = (clat[last + 1] - clat[first]) / count
        lon = (clon[last + 1] - clon[first]) / count
    else:
        lat = lon = diameter = np.array([], dtype=np.float64)
    return Stops(track.vehicle[first], first, last, track.t[first], track.t[last], lat, lon, count, diameter)


def in_stop_mask(n: int, stops: Stops) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[ranges(stops.first, stops.n_points)] = True
    return mask


def segment_trips(track: Track, stops: Stops, params: StopParams = StopParams()) -> tuple[Trips, Gaps]:
    """Trips are the runs of positions outside stops, cut where the vehicle changes and where
    the signal was lost for `gap_s` or longer; those losses are returned as gaps."""
    n = len(track)
    if n == 0:
        z = np.array([], dtype=np.int64)
        f = np.array([], dtype=np.float64)
        return Trips(z, z, z, z, z, f, z), Gaps(z, z, z, z, f)
    stop_id = np.full(n, -1, dtype=np.int64)
    stop_id[ranges(stops.first, stops.n_points)] = np.repeat(np.arange(len(stops)), stops.n_points)
    moving = stop_id < 0
    step, same = (_steps(track) if n > 1 else (np.array([]), np.array([], dtype=bool)))
    dt = np.diff(track.t)
    within_stop = (stop_id[1:] == stop_id[:-1]) & (stop_id[1:] >= 0)
    gap = same & (dt >= params.gap_s) & ~within_stop
    gi = np.flatnonzero(gap)
    gaps = Gaps(track.vehicle[gi], gi, track.t[gi], track.t[gi + 1], step[gi])
    # trip boundaries: a change of vehicle, entering or leaving a stop, a gap
    boundary = np.r_[True, ~same | (moving[1:] != moving[:-1]) | gap]
    starts = np.flatnonzero(boundary)
    ends = np.r_[starts[1:], n]
    is_trip = moving[starts]
    starts, ends = starts[is_trip], ends[is_trip]
    inner = np.r_[np.where(same & ~gap, step, 0.0), 0.0]  # step i -> i+1 counted at i
    dist_cum = np.r_[0.0, np.cumsum(inner)]
    last = ends - 1
    distance = dist_cum[last] - dist_cum[starts]
    trips = Trips(track.vehicle[starts], starts, last, track.t[starts], track.t[last], distance, ends - starts)
    return trips, gaps


def merge_adjacent(stops: Stops, max_gap_s: float = 120.0, max_distance_m: float = 50.0) -> Stops:
    """Join consecutive stops of a vehicle that are really one dwell: the second begins within
    `max_gap_s` of the first's end and their centres are within `max_distance_m`. A long dwell
    with GPS noise can outgrow D metres and be cut in two by the detector (movingpandas does the
    same); the alerts and the classification work on the joined dwell."""
    n = len(stops)
    if n < 2:
        return stops
    join = (stops.vehicle[1:] == stops.vehicle[:-1]) & (stops.t_start[1:] - stops.t_end[:-1] <= max_gap_s) & (
        distance_m(stops.lat[1:], stops.lon[1:], stops.lat[:-1], stops.lon[:-1]) <= max_distance_m)
    if not join.any():
        return stops
    group = np.cumsum(np.r_[True, ~join]) - 1
    heads = np.flatnonzero(np.r_[True, ~join])
    tails = np.r_[heads[1:], n] - 1
    w = stops.n_points.astype(np.float64)
    count = np.bincount(group, weights=w)
    lat = np.bincount(group, weights=stops.lat * w) / count
    lon = np.bincount(group, weights=stops.lon * w) / count
    diameter = np.maximum.reduceat(stops.diameter_m, heads)
    return Stops(stops.vehicle[heads], stops.first[heads], stops.last[tails], stops.t_start[heads], stops.t_end[tails], lat, lon,
                 stops.last[tails] - stops.first[heads] + 1, diameter)
