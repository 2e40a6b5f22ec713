"""Stop detection and trip segmentation, vectorized.

A stop is a run of consecutive positions of one vehicle that all fit within D metres and that
lasts at least N minutes. "Fit within D metres" follows movingpandas' measure (the minimum
rotated rectangle in degree space, a diagonal of it measured in metres): the smallest-area box
among boxes turned by 0, 7.5, ..., 82.5 degrees in degree space, and the mean of its two
diagonals in metres (movingpandas measures one of the two, depending on the vertex order). Runs are cut greedily from the left, as movingpandas' TrajectoryStopDetector does, so
the two agree on the stops (see bench/telemetry.py); the work is done on whole arrays:

1. consecutive positions D or more apart can never share a stop: the track is cut there into
   runs (one pass over all points);
2. a run whose bounding box is already smaller than D is one cluster (the common case: a parked
   truck between two drives);
3. the few runs left (slow crawling, a slow approach) are cut greedily, all of them at once, a
   window of W positions per step with running minima and maxima.

Signal gaps do not end a stop: a truck parked with its tracker off is still parked when the
signal returns at the same place. A gap while the position changed ends a trip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qaldyq.telemetry.geo import M_PER_DEG_LAT, distance_m
from qaldyq.telemetry.track import Track, ranges

WINDOW = 32
# A stop's extent is the smallest diagonal among bounding boxes turned by these angles: close to
# the diagonal of the minimum rotated rectangle (movingpandas' measure), and still vectorized.
ANGLES = np.radians(np.arange(0.0, 90.0, 7.5))
_COS, _SIN = np.cos(ANGLES), np.sin(ANGLES)


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


def _local_frame(track: Track, idx: np.ndarray, run_start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the positions `idx` (each with the track index of its run's first position): metres
    north and "east in degree space" (longitude degrees scaled as latitude degrees) from the
    run's start, in each turned frame, as float32 arrays of shape (angles, positions); and
    cos(latitude) per position to measure a diagonal in true metres.

    The rectangle is chosen in degree space, as movingpandas does, and its diagonal is then
    measured in metres."""
    x = ((track.lon[idx] - track.lon[run_start]) * M_PER_DEG_LAT).astype(np.float32)
    y = ((track.lat[idx] - track.lat[run_start]) * M_PER_DEG_LAT).astype(np.float32)
    c, s = _COS.astype(np.float32)[:, None], _SIN.astype(np.float32)[:, None]
    return x * c + y * s, y * c - x * s, np.cos(np.radians(track.lat[idx])).astype(np.float32)


def _diag(mnx, mxx, mny, mxy, k) -> np.ndarray:
    """Diagonal in metres of the smallest-area turned box (angles on axis 0); `k` is
    cos(latitude), the east-west metres per scaled metre."""
    du, dw = mxx - mnx, mxy - mny
    best = np.argmin(du * dw, axis=0)[None]
    du = np.take_along_axis(du, best, axis=0)[0]
    dw = np.take_along_axis(dw, best, axis=0)[0]
    c, s = _COS[best[0]], _SIN[best[0]]
    d1 = np.hypot((du * c - dw * s) * k, du * s + dw * c)
    d2 = np.hypot((du * c + dw * s) * k, du * s - dw * c)
    return (d1 + d2) * 0.5  # movingpandas measures one of the two diagonals, either one


def _greedy(x, y, kk, t, starts, ends, max_d, min_dur) -> tuple[np.ndarray, np.ndarray]:
    """Cut runs [starts, ends) greedily into clusters of extent < max_d, all runs at once;
    returns (first, last) of the clusters lasting at least min_dur. x, y: (angles, points)."""
    out_first, out_last = [], []
    s, p, e = starts.copy(), starts + 1, ends.copy()
    bx0, bx1, by0, by1 = x[:, s].copy(), x[:, s].copy(), y[:, s].copy(), y[:, s].copy()
    active = np.flatnonzero((t[e - 1] - t[s]) >= min_dur)
    offs = np.arange(WINDOW)
    n = x.shape[1]
    while active.size:
        S, P, E = s[active], p[active], e[active]
        idx = P[:, None] + offs[None, :]
        valid = idx < E[:, None]
        idx = np.minimum(idx, n - 1)
        xs = np.where(valid, x[:, idx], x[:, S][:, :, None])
        ys = np.where(valid, y[:, idx], y[:, S][:, :, None])
        mnx = np.minimum(np.minimum.accumulate(xs, axis=2), bx0[:, active][:, :, None])
        mxx = np.maximum(np.maximum.accumulate(xs, axis=2), bx1[:, active][:, :, None])
        mny = np.minimum(np.minimum.accumulate(ys, axis=2), by0[:, active][:, :, None])
        mxy = np.maximum(np.maximum.accumulate(ys, axis=2), by1[:, active][:, :, None])
        exceed = (_diag(mnx, mxx, mny, mxy, kk[idx]) >= max_d) & valid
        has = exceed.any(axis=1)
        # a cluster closes just before the first position that does not fit
        q = P + exceed.argmax(axis=1)
        closed = active[has]
        qc = q[has]
        done = np.zeros(active.size, dtype=bool)
        if closed.size:
            out_first.append(s[closed])
            out_last.append(qc - 1)
            s[closed], p[closed] = qc, qc + 1
            bx0[:, closed] = bx1[:, closed] = x[:, qc]
            by0[:, closed] = by1[:, closed] = y[:, qc]
        open_ = active[~has]
        if open_.size:
            bx0[:, open_], bx1[:, open_] = mnx[:, ~has, -1], mxx[:, ~has, -1]
            by0[:, open_], by1[:, open_] = mny[:, ~has, -1], mxy[:, ~has, -1]
            p[open_] = p[open_] + WINDOW
            ended = p[open_] >= e[open_]
            out_first.append(s[open_][ended])
            out_last.append(e[open_][ended] - 1)
            done[~has] = ended
        # stop early once what is left of a run is too short to hold a stop
        done |= (t[e[active] - 1] - t[np.minimum(s[active], e[active] - 1)]) < min_dur
        active = active[~done]
    if not out_first:
        z = np.array([], dtype=np.int64)
        return z, z.copy()
    first, last = np.concatenate(out_first), np.concatenate(out_last)
    keep = (t[last] - t[first]) >= min_dur
    return first[keep], last[keep]


def _reduce(x, y, k, starts, ends):
    """Extent (as _diag) of the segments [starts, ends) of the compact arrays, sorted and
    disjoint: one reduceat over the interleaved bounds, whose even results are the segments."""
    bounds = np.c_[starts, ends].ravel()
    if bounds[-1] >= x.shape[1]:
        bounds = bounds[:-1]  # the last segment runs to the end
    return _diag(np.minimum.reduceat(x, bounds, axis=1)[:, ::2], np.maximum.reduceat(x, bounds, axis=1)[:, ::2],
                 np.minimum.reduceat(y, bounds, axis=1)[:, ::2], np.maximum.reduceat(y, bounds, axis=1)[:, ::2], k)


def detect_stops(track: Track, params: StopParams = StopParams()) -> Stops:
    n = len(track)
    empty = np.array([], dtype=np.int64)
    if n < 2:
        return _stops_from(track, empty, empty, np.array([]))
    step, same = _steps(track)
    cut = ~same | (step >= params.max_diameter_m)
    starts = np.flatnonzero(np.r_[True, cut])
    ends = np.r_[starts[1:], n]
    # only runs lasting N minutes can hold a stop: the rest (a moving truck) is never looked at again
    cand = (track.t[ends - 1] - track.t[starts]) >= params.min_duration_s
    starts, ends = starts[cand], ends[cand]
    if starts.size == 0:
        return _stops_from(track, empty, empty, np.array([]))
    lengths = ends - starts
    idx = ranges(starts, lengths)  # track index of each candidate position
    cstart = np.cumsum(lengths) - lengths  # where each run begins in the compact arrays
    cend = cstart + lengths
    x, y, kk = _local_frame(track, idx, np.repeat(starts, lengths))
    t = track.t[idx]
    extent = _reduce(x, y, kk[cstart], cstart, cend)
    small = extent < params.max_diameter_m
    first, last = cstart[small], cend[small] - 1
    diam = extent[small]
    if (~small).any():
        f2, l2 = _greedy(x, y, kk, t, cstart[~small], cend[~small], params.max_diameter_m, params.min_duration_s)
        if f2.size:
            order = np.argsort(f2)
            f2, l2 = f2[order], l2[order]
            d2 = _reduce(x, y, kk[f2], f2, l2 + 1)
            first, last, diam = np.r_[first, f2], np.r_[last, l2], np.r_[diam, d2]
            order = np.argsort(first, kind="stable")
            first, last, diam = first[order], last[order], diam[order]
    return _stops_from(track, idx[first], idx[last], diam.astype(np.float64))


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
