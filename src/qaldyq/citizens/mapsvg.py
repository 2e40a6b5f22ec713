"""Data for the inline SVG maps (drawn by templates/citizens/_map.html): the bundled outline of
Kazakhstan, the region centres, report markers and collection points. No tiles, nothing fetched."""

from __future__ import annotations

from dataclasses import dataclass, field

from qaldyq.citizens.places import COUNTRY, Projection, local_projection, region_name
from qaldyq.registry.regions import REGIONS


@dataclass
class Marker:
    x: float
    y: float
    kind: str  # css class: the report status, or "point" for a collection point
    title: str
    href: str | None = None


@dataclass
class MapData:
    width: float
    height: float
    outline: str
    centres: list[Marker] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    projection: Projection = COUNTRY
    label: str = ""

    @property
    def js_projection(self) -> str:
        """For the report form's click-to-place: lon0,lat1,kx,scale."""
        p = self.projection
        return f"{p.lon0},{p.lat1},{p.kx},{p.scale}"


def country_map(locale: str, label: str) -> MapData:
    m = MapData(width=COUNTRY.width, height=COUNTRY.height, outline=COUNTRY.outline_path(), label=label)
    for kato, kind, _kk, _ru, _en, (lat, lon) in REGIONS:
        x, y = COUNTRY.xy(lat, lon)
        m.centres.append(Marker(x, y, "city" if kind == "city" else "centre", region_name(kato, locale)))
    return m


def add(m: MapData, lat: float, lon: float, kind: str, title: str, href: str | None = None) -> None:
    x, y = m.projection.xy(lat, lon)
    if -5 <= x <= m.width + 5 and -5 <= y <= m.height + 5:
        m.markers.append(Marker(x, y, kind, title, href))


def local_map(lat: float, lon: float, radius_m: float, label: str) -> MapData:
    p = local_projection(lat, lon, radius_m)
    m = MapData(width=p.width, height=p.height, outline=p.outline_path(), projection=p, label=label)
    return m
