"""One analysis for the server, the offline CLI and the benchmark: stops (detected, then
adjacent pieces of one dwell joined), their classification against the geofences, trips and
signal gaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from qaldyq.telemetry.geofence import CATEGORIES, UNAUTHORIZED, LegWindows, SiteIndex, classify
from qaldyq.telemetry.stops import Gaps, StopParams, Stops, Trips, detect_stops, merge_adjacent, segment_trips
from qaldyq.telemetry.track import Track


@dataclass
class Analysis:
    track: Track
    sites: SiteIndex
    stops: Stops
    category: np.ndarray  # per stop, index into CATEGORIES
    site: np.ndarray  # per stop, site position or -1
    trips: Trips
    gaps: Gaps

    def unauthorized(self, min_duration_s: float = 0.0) -> np.ndarray:
        return np.flatnonzero((self.category == UNAUTHORIZED) & (self.stops.duration_s >= min_duration_s))

    def stop_records(self) -> list[dict]:
        """Plain records (for JSON and templates), in track order."""
        s = self.stops
        ids = self.sites.ids
        out = []
        for i in range(len(s)):  # one record per stop
            cat = CATEGORIES[int(self.category[i])]
            site_id = ids[self.site[i]] if self.site[i] >= 0 else None
            out.append({
                "vehicle": _plain(self.track.labels[s.vehicle[i]]),
                "start": iso(s.t_start[i]),
                "end": iso(s.t_end[i]),
                "duration_s": int(s.t_end[i] - s.t_start[i]),
                "lat": round(float(s.lat[i]), 6),
                "lon": round(float(s.lon[i]), 6),
                "points": int(s.n_points[i]),
                "diameter_m": round(float(s.diameter_m[i]), 1),
                "category": cat,
                "site_id": _plain(site_id),
                "classification": "unauthorized" if site_id is None else _plain(site_id),
            })
        return out


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def iso(ts) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).isoformat().replace("+00:00", "Z")


def analyze(track: Track, sites: SiteIndex, params: StopParams = StopParams(), depot_of: np.ndarray | None = None,
            legs: LegWindows | None = None) -> Analysis:
    stops = merge_adjacent(detect_stops(track, params), max_gap_s=params.min_duration_s, max_distance_m=params.max_diameter_m)
    category, site = classify(stops.vehicle, stops.t_start, stops.t_end, stops.lat, stops.lon, sites, depot_of, legs)
    trips, gaps = segment_trips(track, stops, params)
    return Analysis(track, sites, stops, category, site, trips, gaps)
