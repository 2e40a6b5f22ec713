"""Maps as inline SVG on bundled geometry: the simplified Kazakhstan outline, the region
centres, the sites and their geofences, a track and its stops. No tiles, no CDN, no script."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from markupsafe import Markup, escape

from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE
from qaldyq.telemetry.geo import M_PER_DEG_LAT

COLOURS = {
    "consignor": "#00679e",
    "receiver": "#00679e",
    "depot": "#5b6b7b",
    "permitted_site": "#1e7a46",
    "unauthorized": "#b3261e",
}
SITE_FILL = {"landfill": "#a8610a", "depot": "#5b6b7b"}


@dataclass
class MapStop:
    lat: float
    lon: float
    category: str
    title: str
    label: str = ""


@dataclass
class MapSite:
    lat: float
    lon: float
    radius_m: float
    name: str
    kind: str = ""
    polygon: list | None = None


@dataclass
class MapData:
    lat: np.ndarray
    lon: np.ndarray
    stops: list[MapStop] = field(default_factory=list)
    sites: list[MapSite] = field(default_factory=list)
    regions: list[tuple[float, float, str]] = field(default_factory=list)
    focus: tuple[float, float, float, float] | None = None  # lat_min, lat_max, lon_min, lon_max


def _nice(metres: float) -> float:
    exp = 10 ** math.floor(math.log10(metres))
    for f in (5, 2, 1):
        if f * exp <= metres:
            return f * exp
    return exp


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def render(data: MapData, width: int = 960, height: int = 560, title: str = "") -> Markup:
    if data.focus is not None:
        la0, la1, lo0, lo1 = data.focus
    elif data.lat.size:
        la0, la1, lo0, lo1 = float(data.lat.min()), float(data.lat.max()), float(data.lon.min()), float(data.lon.max())
        for s in data.stops:
            la0, la1, lo0, lo1 = min(la0, s.lat), max(la1, s.lat), min(lo0, s.lon), max(lo1, s.lon)
    else:
        la0, la1, lo0, lo1 = 40.5, 55.5, 46.4, 87.4  # the whole country
    lat_c = (la0 + la1) / 2
    k = math.cos(math.radians(lat_c))
    min_span = 2000 / M_PER_DEG_LAT  # at least 2 km across
    if la1 - la0 < min_span:
        la0, la1 = lat_c - min_span / 2, lat_c + min_span / 2
    if (lo1 - lo0) * k < min_span:
        mid = (lo0 + lo1) / 2
        lo0, lo1 = mid - min_span / (2 * k), mid + min_span / (2 * k)
    pad = 0.08
    dx, dy = (lo1 - lo0) * k, la1 - la0
    scale = min(width * (1 - 2 * pad) / dx, height * (1 - 2 * pad) / dy)  # pixels per degree of latitude
    cx, cy = (lo0 + lo1) / 2, lat_c

    def x(lon):
        return width / 2 + (np.asarray(lon) - cx) * k * scale

    def y(lat):
        return height / 2 - (np.asarray(lat) - cy) * scale

    px_per_m = scale / M_PER_DEG_LAT
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="tm-map" role="img" aria-label="{escape(title)}">',
             f'<rect width="{width}" height="{height}" fill="#eaf2f8"/>']
    ox, oy = x([p[0] for p in KAZAKHSTAN_OUTLINE]), y([p[1] for p in KAZAKHSTAN_OUTLINE])
    parts.append('<polygon points="' + " ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in zip(ox, oy)) + '" fill="#fbfaf5" stroke="#9aa9b7" stroke-width="1.5"/>')
    for site in data.sites:
        fill = SITE_FILL.get(site.kind, "#1e7a46")
        label = escape(site.name)
        if site.polygon:
            pts = " ".join(f"{_fmt(float(x(p[0])))},{_fmt(float(y(p[1])))}" for p in site.polygon)
            parts.append(f'<polygon points="{pts}" fill="{fill}" fill-opacity=".18" stroke="{fill}"><title>{label}</title></polygon>')
        else:
            r = max(3.0, site.radius_m * px_per_m)
            parts.append(f'<circle cx="{_fmt(float(x(site.lon)))}" cy="{_fmt(float(y(site.lat)))}" r="{_fmt(r)}" fill="{fill}" fill-opacity=".18" stroke="{fill}"><title>{label}</title></circle>')
        if site.radius_m * px_per_m > 6 or len(data.sites) < 30:
            parts.append(f'<text x="{_fmt(float(x(site.lon)) + 6)}" y="{_fmt(float(y(site.lat)) - 6)}" class="tm-site">{label}</text>')
    for lat, lon, name in data.regions:
        px, py = float(x(lon)), float(y(lat))
        if -50 < px < width + 50 and -50 < py < height + 50:
            parts.append(f'<circle cx="{_fmt(px)}" cy="{_fmt(py)}" r="4" fill="#004a73"/><text x="{_fmt(px + 7)}" y="{_fmt(py + 4)}" class="tm-region">{escape(name)}</text>')
    if data.lat.size:
        step = max(1, data.lat.size // 4000)
        tx, ty = x(data.lon[::step]), y(data.lat[::step])
        parts.append('<polyline fill="none" stroke="#00679e" stroke-width="2" stroke-linejoin="round" points="'
                     + " ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in zip(tx, ty)) + '"/>')
        parts.append(f'<circle cx="{_fmt(float(tx[0]))}" cy="{_fmt(float(ty[0]))}" r="5" fill="#fff" stroke="#00679e" stroke-width="2"/>')
    for s in data.stops:
        colour = COLOURS.get(s.category, "#5b6b7b")
        r = 9 if s.category == "unauthorized" else 6
        px, py = float(x(s.lon)), float(y(s.lat))
        parts.append(f'<g><circle cx="{_fmt(px)}" cy="{_fmt(py)}" r="{r}" fill="{colour}" stroke="#fff" stroke-width="2"/>'
                     f'<title>{escape(s.title)}</title></g>')
        if s.label:
            parts.append(f'<text x="{_fmt(px)}" y="{_fmt(py + 3.5)}" text-anchor="middle" class="tm-stop-label">{escape(s.label)}</text>')
    # scale bar
    metres = _nice((width * 0.2) / px_per_m)
    bar = metres * px_per_m
    text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    parts.append(f'<g class="tm-scale"><rect x="16" y="{height - 34}" width="{_fmt(bar + 16)}" height="24" fill="#fff" fill-opacity=".85" rx="3"/>'
                 f'<path d="M24 {height - 16} v-6 M24 {height - 16} h{_fmt(bar)} v-6" stroke="#1c2733" stroke-width="2" fill="none"/>'
                 f'<text x="{_fmt(24 + bar / 2)}" y="{height - 20}" text-anchor="middle">{text}</text></g>')
    parts.append(_inset(width, (la0, la1, lo0, lo1)))
    parts.append("</svg>")
    return Markup("".join(parts))


def _inset(width: int, view: tuple[float, float, float, float]) -> str:
    """The whole country in a corner, with the area shown."""
    w, h = 150.0, 80.0
    ox, oy = width - w - 12, 12.0
    k = math.cos(math.radians(48.0))
    lo0, lo1, la0, la1 = 46.4, 87.4, 40.5, 55.5
    s = min((w - 8) / ((lo1 - lo0) * k), (h - 8) / (la1 - la0))

    def px(lon):
        return ox + 4 + (lon - lo0) * k * s

    def py(lat):
        return oy + 4 + (la1 - lat) * s

    pts = " ".join(f"{_fmt(px(a))},{_fmt(py(b))}" for a, b in KAZAKHSTAN_OUTLINE)
    va0, va1, vo0, vo1 = view
    rx, ry = px(vo0), py(va1)
    rw, rh = max(3.0, px(vo1) - rx), max(3.0, py(va0) - ry)
    return (f'<g class="tm-inset"><rect x="{_fmt(ox)}" y="{_fmt(oy)}" width="{w}" height="{h}" fill="#fff" stroke="#d5dde5" rx="3"/>'
            f'<polygon points="{pts}" fill="#eef2f6" stroke="#9aa9b7"/>'
            f'<rect x="{_fmt(rx)}" y="{_fmt(ry)}" width="{_fmt(rw)}" height="{_fmt(rh)}" fill="none" stroke="#b3261e" stroke-width="2"/></g>')
