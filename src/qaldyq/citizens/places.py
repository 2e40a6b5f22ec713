"""Geometry for the citizen channel: the region prefilled from a point, distances, and the
projection of the bundled outline of Kazakhstan onto an SVG canvas."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE
from qaldyq.registry.regions import REGIONS

EARTH_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def nearest_region(lat: float, lon: float) -> str:
    """The KATO code of the region whose administrative centre is nearest. The bundled geometry has
    no region borders, so this is a first guess that the reporter can correct (and the akimat can
    forward): right for most of a region, wrong near borders far from the centres."""
    return min(REGIONS, key=lambda r: distance_m(lat, lon, r[5][0], r[5][1]))[0]


def region_centres() -> list[dict]:
    return [{"kato": r[0], "lat": r[5][0], "lon": r[5][1], "kk": r[2], "ru": r[3], "en": r[4]} for r in REGIONS]


def region_name(kato: str | None, locale: str) -> str:
    for r in REGIONS:
        if r[0] == kato:
            return {"kk": r[2], "ru": r[3]}.get(locale, r[4])
    return kato or ""


@dataclass(frozen=True)
class Projection:
    """Equirectangular, with longitudes shrunk by the cosine of the middle latitude so the country
    keeps its shape; good enough for a country-wide overview map."""

    lon0: float = 46.0
    lat1: float = 55.8
    lon1: float = 87.8
    lat0: float = 40.2
    width: float = 1000.0

    @property
    def kx(self) -> float:
        return math.cos(math.radians((self.lat0 + self.lat1) / 2))

    @property
    def scale(self) -> float:
        return self.width / ((self.lon1 - self.lon0) * self.kx)

    @property
    def height(self) -> float:
        return round((self.lat1 - self.lat0) * self.scale, 1)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return round((lon - self.lon0) * self.kx * self.scale, 1), round((self.lat1 - lat) * self.scale, 1)

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        return self.lat1 - y / self.scale, self.lon0 + x / (self.kx * self.scale)

    def outline_path(self) -> str:
        pts = [self.xy(lat, lon) for lon, lat in KAZAKHSTAN_OUTLINE]
        return "M" + " L".join(f"{x},{y}" for x, y in pts) + " Z"


COUNTRY = Projection()


def local_projection(lat: float, lon: float, radius_m: float, width: float = 420.0) -> Projection:
    """A square window around a point, for the moderator's detail map."""
    dlat = radius_m / 111_320
    dlon = dlat / max(math.cos(math.radians(lat)), 0.1)
    return Projection(lon0=lon - dlon, lon1=lon + dlon, lat0=lat - dlat, lat1=lat + dlat, width=width)
