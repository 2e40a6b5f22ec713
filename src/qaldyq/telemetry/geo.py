"""Geometry helpers, vectorized: distances in metres, a local metric frame, the (buffered)
Kazakhstan outline and the region a point lies in."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely

from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = np.pi * EARTH_RADIUS_M / 180.0  # ~111.2 km
# Kazakhstan spans 40-56 N: one frame scaled at 48 N is good enough to pick the *nearest* of a
# few places (never used for geofence distances, which use the local frame below).
NATIONAL_COS = float(np.cos(np.radians(48.0)))


def distance_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Equirectangular distance at the pair's mean latitude: below 0.1 % error at the tens of
    kilometres that matter here, and several times faster than haversine."""
    lat1, lon1, lat2, lon2 = (np.asarray(a, dtype=np.float64) for a in (lat1, lon1, lat2, lon2))
    k = np.cos(np.radians((lat1 + lat2) * 0.5))
    dx = (lon2 - lon1) * k
    dy = lat2 - lat1
    return np.hypot(dx, dy) * M_PER_DEG_LAT


# WGS-84, for the lengths movingpandas measures (geopy's geodesic distance on the ellipsoid)
WGS84_A = 6_378_137.0
WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)


def geodesic_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Distance on the WGS-84 ellipsoid for short distances: the meridian and prime-vertical radii
    of curvature at the mean latitude. Up to a few hundred metres it agrees with geopy's geodesic
    (Karney) to within 1e-7 m, which is what stop detection needs to measure as movingpandas does."""
    lat1, lon1, lat2, lon2 = (np.asarray(a, dtype=np.float64) for a in (lat1, lon1, lat2, lon2))
    phi = np.radians((lat1 + lat2) * 0.5)
    w = np.sqrt(1.0 - WGS84_E2 * np.sin(phi) ** 2)
    dx = WGS84_A / w * np.cos(phi) * np.radians(lon2 - lon1)
    dy = WGS84_A * (1.0 - WGS84_E2) / w**3 * np.radians(lat2 - lat1)
    return np.hypot(dx, dy)


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def national_xy(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Approximate metres in one national frame (for nearest-neighbour look-ups only)."""
    return np.asarray(lon, dtype=np.float64) * NATIONAL_COS * M_PER_DEG_LAT, np.asarray(lat, dtype=np.float64) * M_PER_DEG_LAT


@lru_cache
def kazakhstan_polygon() -> shapely.Polygon:
    poly = shapely.Polygon(KAZAKHSTAN_OUTLINE)
    shapely.prepare(poly)
    return poly


@lru_cache
def service_area(tolerance_km: float) -> shapely.Geometry:
    """The outline widened by `tolerance_km` (the outline itself is only ~20 km accurate, and
    trucks near the border must not be refused)."""
    area = shapely.buffer(kazakhstan_polygon(), tolerance_km * 1000.0 / (M_PER_DEG_LAT * NATIONAL_COS))
    shapely.prepare(area)
    return area


def inside_service_area(lat: np.ndarray, lon: np.ndarray, tolerance_km: float) -> np.ndarray:
    return shapely.contains_xy(service_area(tolerance_km), lon, lat)


class RegionLocator:
    """Which region a point lies in, without boundary files: the nearest of the region centres
    *and* of every registered site (each site carries its region). The more sites the registry
    holds, the closer the answer follows the real boundaries; with no sites it is the nearest
    region centre (Voronoi cells of the centres)."""

    def __init__(self, region_centres: list[tuple[str, float, float]], sites: list[tuple[str, float, float]] = ()):
        anchors = list(region_centres) + list(sites)
        self.codes = np.array([a[0] for a in anchors], dtype=object)
        x, y = national_xy([a[1] for a in anchors], [a[2] for a in anchors])
        self.tree = shapely.STRtree(shapely.points(x, y))

    def locate(self, lat, lon) -> np.ndarray:
        lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if lat.size == 0:
            return np.array([], dtype=object)
        x, y = national_xy(lat, lon)
        idx = self.tree.query_nearest(shapely.points(x, y), all_matches=False)
        out = np.empty(lat.size, dtype=object)
        out[idx[0]] = self.codes[idx[1]]
        return out
