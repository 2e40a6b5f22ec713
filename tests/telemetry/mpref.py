"""movingpandas' TrajectoryStopDetector (0.23, `_process_traj`), transcribed line by line as a
reference for the tests: one Python loop per position, shapely for the rectangle, and the
ellipsoidal distance for geopy's geodesic. It needs neither movingpandas nor geopy."""

from __future__ import annotations

import numpy as np
from shapely.geometry import MultiPoint, Point

from qaldyq.telemetry.geo import geodesic_m


def _distance(p: Point, q: Point) -> float:
    return float(geodesic_m(p.y, p.x, q.y, q.x))


def mrr_diagonal(geom: MultiPoint) -> float:
    if len(geom.geoms) == 2:
        return _distance(geom.geoms[0], geom.geoms[1])
    mrr = geom.minimum_rotated_rectangle
    try:
        x, y = mrr.exterior.coords.xy
    except AttributeError:  # a line (or a point)
        return _distance(Point(mrr.coords[0]), Point(mrr.coords[-1]))
    return _distance(Point(x[0], y[0]), Point(x[2], y[2]))


def stop_ranges(t, lat, lon, max_diameter: float, min_duration: float) -> list[tuple[int, int]]:
    """(first, last) position of each stop of one vehicle's track (sorted by time)."""
    detected = []
    pts, xs, ys, ts, ix = [], [], [], [], []
    is_stopped = previously_stopped = False
    for i, (tt, la, lo) in enumerate(zip(np.asarray(t).tolist(), np.asarray(lat).tolist(), np.asarray(lon).tolist())):
        pts.append(Point(lo, la)), xs.append(lo), ys.append(la), ts.append(tt), ix.append(i)
        first_to_keep = 0
        if not is_stopped:
            while len(pts[first_to_keep:]) > 2 and ts[-1] - ts[first_to_keep] >= min_duration:
                first_to_keep += 1
            pts, xs, ys, ts, ix = pts[first_to_keep:], xs[first_to_keep:], ys[first_to_keep:], ts[first_to_keep:], ix[first_to_keep:]
        is_stopped = False
        if len(pts) > 1:
            d = float(geodesic_m(min(ys), min(xs), max(ys), max(xs)))
            if d < max_diameter * 1.5 and mrr_diagonal(MultiPoint(pts)) < max_diameter:
                is_stopped = True
        if not is_stopped and previously_stopped and len(pts) > 1:
            if ts[-2] - ts[0] >= min_duration:
                detected.append((ix[0], ix[-2]))
                pts, xs, ys, ts, ix = pts[-1:], xs[-1:], ys[-1:], ts[-1:], ix[-1:]
        previously_stopped = is_stopped
    if is_stopped and ts[-1] - ts[0] >= min_duration:
        detected.append((ix[0], ix[-1]))
    return detected
