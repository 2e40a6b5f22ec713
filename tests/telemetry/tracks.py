"""Synthetic tracks for tests: drive from A to B, dwell at a place with GPS jitter."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from qaldyq.telemetry.geo import M_PER_DEG_LAT


class Route:
    """Builds one vehicle's points: t (epoch s), lat, lon."""

    def __init__(self, start: datetime, lat: float, lon: float, every_s: int = 10, seed: int = 1):
        self.t = [int(start.timestamp())]
        self.lat = [lat]
        self.lon = [lon]
        self.every = every_s
        self.rng = np.random.default_rng(seed)

    @property
    def now(self) -> int:
        return self.t[-1]

    def drive(self, lat: float, lon: float, kmh: float = 40.0) -> Route:
        la0, lo0 = self.lat[-1], self.lon[-1]
        dist = np.hypot((lat - la0) * M_PER_DEG_LAT, (lon - lo0) * M_PER_DEG_LAT * np.cos(np.radians(la0)))
        steps = max(1, int(np.ceil(dist / (kmh / 3.6) / self.every)))
        for k in range(1, steps + 1):
            f = k / steps
            self._add(self.now + self.every, la0 + (lat - la0) * f, lo0 + (lon - lo0) * f)
        return self

    def dwell(self, minutes: float, jitter_m: float = 4.0) -> Route:
        la, lo = self.lat[-1], self.lon[-1]
        n = int(round(minutes * 60 / self.every))
        for _ in range(n):
            dy, dx = self.rng.normal(0, jitter_m, 2)
            self._add(self.now + self.every, la + dy / M_PER_DEG_LAT, lo + dx / (M_PER_DEG_LAT * np.cos(np.radians(la))))
        # the last position of the dwell is the place itself, so a drive starts from there
        self.lat[-1], self.lon[-1] = la, lo
        return self

    def spike(self, north_m: float = 200.0) -> Route:
        """One fix thrown `north_m` off by the receiver, then the place again."""
        la, lo = self.lat[-1], self.lon[-1]
        self._add(self.now + self.every, la + north_m / M_PER_DEG_LAT, lo)
        self._add(self.now + self.every, la, lo)
        return self

    def silence(self, minutes: float) -> Route:
        """No signal for a while; the next point comes after the gap."""
        self._gap = int(minutes * 60)
        return self

    def at(self, lat: float, lon: float) -> Route:
        """One point at a place (after a silence: where the truck reappears)."""
        self._add(self.now + self.every, lat, lon)
        return self

    def _add(self, t, lat, lon):
        gap = getattr(self, "_gap", 0)
        self._gap = 0
        self.t.append(t + gap)
        self.lat.append(lat)
        self.lon.append(lon)

    def arrays(self):
        return np.array(self.t), np.array(self.lat), np.array(self.lon)

    def points(self, tracker: str) -> list[dict]:
        return [{"tracker_id": tracker, "time": datetime.fromtimestamp(t, tz=timezone.utc).isoformat(), "lat": la, "lon": lo}
                for t, la, lo in zip(self.t, self.lat, self.lon)]


def offset(lat: float, lon: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG_LAT, lon + east_m / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
