"""The map of sites and their risk: inline SVG on the bundled outline of Kazakhstan
(`qaldyq.registry.geo`) with the region centres; no tiles, nothing downloaded. The same
projection as the telemetry maps (longitude shrunk by the cosine of the middle latitude), on the
whole country or, for a region or a regional inspector, on the sites shown."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE, LAT_RANGE, LON_RANGE

W, H = 900, 460
PAD = 0.06
MIN_SPAN_DEG = 0.25  # about 28 km: a city's sites are not drawn on top of each other


@dataclass
class Dot:
    lat: float
    lon: float
    score: int
    title: str
    href: str
    name: str = ""


def level(score: int) -> str:
    return "bad" if score >= 9 else "warn" if score >= 3 else "ok"


def _view(dots: list[Dot], zoom: bool) -> tuple[float, float, float, float]:
    if not zoom or not dots:
        return (*LAT_RANGE, *LON_RANGE)
    la0, la1 = min(d.lat for d in dots), max(d.lat for d in dots)
    lo0, lo1 = min(d.lon for d in dots), max(d.lon for d in dots)
    k = math.cos(math.radians((la0 + la1) / 2))
    if la1 - la0 < MIN_SPAN_DEG:
        mid = (la0 + la1) / 2
        la0, la1 = mid - MIN_SPAN_DEG / 2, mid + MIN_SPAN_DEG / 2
    if (lo1 - lo0) * k < MIN_SPAN_DEG:
        mid = (lo0 + lo1) / 2
        lo0, lo1 = mid - MIN_SPAN_DEG / (2 * k), mid + MIN_SPAN_DEG / (2 * k)
    return la0, la1, lo0, lo1


def risk_map(dots: list[Dot], label: str, centres: list[tuple[float, float, str]], zoom: bool = False) -> dict:
    """Everything the template draws: the outline, the region centres in view and the dots
    (largest first, so small ones stay clickable on top)."""
    la0, la1, lo0, lo1 = _view(dots, zoom)
    k = math.cos(math.radians((la0 + la1) / 2))
    scale = min(W * (1 - 2 * PAD) / ((lo1 - lo0) * k), H * (1 - 2 * PAD) / (la1 - la0))
    cx, cy = (lo0 + lo1) / 2, (la0 + la1) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round(W / 2 + (lon - cx) * k * scale, 1), round(H / 2 - (lat - cy) * scale, 1)

    outline = " ".join(f"{x},{y}" for x, y in (xy(lat, lon) for lon, lat in KAZAKHSTAN_OUTLINE))
    shown = [(*xy(lat, lon), name) for lat, lon, name in centres]
    shown = [(x, y, name) for x, y, name in shown if -20 < x < W + 20 and -20 < y < H + 20]
    named = zoom and len(dots) <= 40  # a city's sites get their names; the whole country would be unreadable
    points = [(*xy(d.lat, d.lon), round(5 + min(d.score, 45) / 3, 1), level(d.score), d.title, d.href, d.name if named else "")
              for d in sorted(dots, key=lambda d: -d.score)]
    # obstacles for the names: the region centres' names and every dot
    placed = [_box(x + 6, y + 4, name) for x, y, name in shown] + [(x - r, y - r, x + r, y + r) for x, y, r, *_ in points]
    points = [(x, y, r, lvl, title, href, name, _place(x + r + 3, y + 4, name, placed) if name else None)
              for x, y, r, lvl, title, href, name in points]
    km = _nice(W * 0.18 / (scale / 111.0))
    return {"w": W, "h": H, "outline": outline, "centres": shown, "points": points, "label": label,
            "scale": {"px": round(km * scale / 111.0, 1), "text": f"{km:g} km"}}


LINE = 13  # px between label baselines (11 px text)


def _box(x: float, baseline: float, text: str) -> tuple[float, float, float, float]:
    return x, baseline - 10, x + 6.5 * len(text), baseline + 3  # an 11 px sans-serif: about 6.5 px a character


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place(x: float, baseline: float, text: str, placed: list) -> float:
    """The baseline of a site's name: beside its dot, or the nearest line below or above that no
    dot and no name placed before covers (sites a few hundred metres apart would print over each
    other); a moved name gets a leader line to its dot (the template)."""
    for dy in (0, LINE, -LINE, 2 * LINE, -2 * LINE, 3 * LINE, -3 * LINE, 4 * LINE, -4 * LINE):
        box = _box(x, baseline + dy, text)
        if not any(_overlap(box, p) for p in placed):
            placed.append(box)
            return baseline + dy
    placed.append(_box(x, baseline, text))
    return baseline


def _nice(km: float) -> float:
    exp = 10 ** math.floor(math.log10(km))
    return next(f * exp for f in (5, 2, 1) if f * exp <= km)
