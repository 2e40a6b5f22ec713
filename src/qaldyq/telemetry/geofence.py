"""Site geofences (a point with a radius, or a polygon) in one Shapely 2 STRtree, and the
classification of stops against them.

The tree holds each circle's bounding box and each polygon (widened by the GPS margin); a
look-up is one vectorized `STRtree.query` for all positions, then an exact distance test for
the circle candidates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from qaldyq.core.i18n import N_
from qaldyq.telemetry.geo import M_PER_DEG_LAT, distance_m
from qaldyq.telemetry.track import join_equal

# Classification of a stop, best first: when a stop lies in several geofences the best wins.
CONSIGNOR, RECEIVER, DEPOT, PERMITTED, UNAUTHORIZED = range(5)
CATEGORIES = ("consignor", "receiver", "depot", "permitted_site", "unauthorized")
CATEGORY_LABELS = {
    "consignor": N_("At the consignor"),
    "receiver": N_("At the receiver"),
    "depot": N_("At the vehicle's depot"),
    "permitted_site": N_("At another permitted site"),
    "unauthorized": N_("Unauthorized"),
}


@dataclass
class SiteIndex:
    ids: np.ndarray  # site ids (int or str), position = index in this object
    lat: np.ndarray
    lon: np.ndarray
    radius_m: np.ndarray
    is_polygon: np.ndarray
    kind: np.ndarray  # site type ("landfill", ...) or ""
    margin_m: float
    tree: shapely.STRtree | None
    geoms: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.size)

    @classmethod
    def build(cls, ids, lat, lon, radius_m, polygons=None, kinds=None, margin_m: float = 25.0) -> SiteIndex:
        ids = np.asarray(ids, dtype=object)
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        radius = np.asarray(radius_m, dtype=np.float64)
        n = ids.size
        polygons = list(polygons) if polygons is not None else [None] * n
        kinds = np.asarray(list(kinds) if kinds is not None else [""] * n, dtype=object)
        reach = radius + margin_m
        half_lat = reach / M_PER_DEG_LAT
        half_lon = reach / (M_PER_DEG_LAT * np.maximum(np.cos(np.radians(lat)), 0.01))
        geoms = shapely.box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat) if n else np.array([], dtype=object)
        is_poly = np.array([p is not None and len(p) >= 3 for p in polygons], dtype=bool)
        margin_deg = margin_m / M_PER_DEG_LAT
        for i in np.flatnonzero(is_poly):  # one loop per polygon site, never per position
            poly = shapely.make_valid(shapely.Polygon([(float(a), float(b)) for a, b in polygons[i]]))
            geoms[i] = shapely.buffer(poly, margin_deg) if margin_deg > 0 else poly
        tree = shapely.STRtree(geoms) if n else None
        return cls(ids, lat, lon, radius, is_poly, kinds, margin_m, tree, geoms)

    @classmethod
    def empty(cls) -> SiteIndex:
        return cls.build([], [], [], [])

    def position_of(self, ids) -> np.ndarray:
        """Positions of site ids (-1 for ids not in the index)."""
        lookup = {k: i for i, k in enumerate(self.ids.tolist())}
        return np.array([lookup.get(k, -1) for k in ids], dtype=np.int64)

    def query(self, lat, lon) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (position index, site position, distance to the site's point in metres) with the
        position inside the site's geofence (plus margin)."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        if self.tree is None or lat.size == 0:
            z = np.array([], dtype=np.int64)
            return z, z.copy(), np.array([], dtype=np.float64)
        pts = shapely.points(lon, lat)
        pi, si = self.tree.query(pts, predicate="intersects")
        d = distance_m(lat[pi], lon[pi], self.lat[si], self.lon[si])
        ok = self.is_polygon[si] | (d <= self.radius_m[si] + self.margin_m)
        return pi[ok], si[ok], d[ok]


@dataclass
class LegWindows:
    """Who should be where when, from the carrier legs: (vehicle code, site position, from, to)
    for consignors and for receivers."""

    consignor: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    receiver: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def none(cls) -> LegWindows:
        z = np.array([], dtype=np.int64)
        return cls((z, z, z, z), (z, z, z, z))


def _key(vehicle: np.ndarray, site: np.ndarray) -> np.ndarray:
    return vehicle.astype(np.int64) * (1 << 24) + site.astype(np.int64)


def _expected(windows, vehicle, site, t0, t1) -> np.ndarray:
    """For each (vehicle, site, [t0, t1]) pair: does a window for that vehicle and site overlap?"""
    wv, ws, wf, wt = windows
    hit = np.zeros(vehicle.size, dtype=bool)
    if wv.size == 0 or vehicle.size == 0:
        return hit
    li, rj = join_equal(_key(vehicle, site), _key(wv, ws))
    overlap = (t0[li] <= wt[rj]) & (t1[li] >= wf[rj])
    hit[li[overlap]] = True
    return hit


def classify(vehicle, t_start, t_end, lat, lon, sites: SiteIndex, depot_of: np.ndarray | None = None,
             legs: LegWindows | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Category (index into CATEGORIES) and site position (-1 if none) for each stop.

    `depot_of[vehicle code]` is the position of the vehicle's depot site (-1 if none)."""
    n = np.asarray(lat).size
    category = np.full(n, UNAUTHORIZED, dtype=np.int64)
    site = np.full(n, -1, dtype=np.int64)
    pi, si, d = sites.query(lat, lon)
    if pi.size == 0:
        return category, site
    v = np.asarray(vehicle)[pi]
    rank = np.full(pi.size, PERMITTED, dtype=np.int64)
    if depot_of is not None and depot_of.size:
        rank[depot_of[v] == si] = DEPOT
    if legs is not None:
        t0, t1 = np.asarray(t_start)[pi], np.asarray(t_end)[pi]
        rank[_expected(legs.receiver, v, si, t0, t1)] = RECEIVER
        rank[_expected(legs.consignor, v, si, t0, t1)] = CONSIGNOR
    order = np.lexsort((d, rank, pi))
    pi, si, rank = pi[order], si[order], rank[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    category[pi[first]] = rank[first]
    site[pi[first]] = si[first]
    return category, site
