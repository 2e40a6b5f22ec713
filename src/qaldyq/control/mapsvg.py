"""The map of sites and their risk: inline SVG on the bundled outline of Kazakhstan
(`qaldyq.registry.geo`) with the region centres; no tiles, nothing downloaded."""

from __future__ import annotations

from dataclasses import dataclass

from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE, LAT_RANGE, LON_RANGE
from qaldyq.registry.regions import REGIONS

W, H = 900, 480


def xy(lat: float, lon: float) -> tuple[float, float]:
    x = (lon - LON_RANGE[0]) / (LON_RANGE[1] - LON_RANGE[0]) * W
    y = (LAT_RANGE[1] - lat) / (LAT_RANGE[1] - LAT_RANGE[0]) * H
    return round(x, 1), round(y, 1)


@dataclass
class Dot:
    lat: float
    lon: float
    score: int
    title: str
    href: str


def level(score: int) -> str:
    return "bad" if score >= 9 else "warn" if score >= 3 else "ok"


def risk_map(dots: list[Dot], label: str) -> dict:
    outline = " ".join(f"{x},{y}" for x, y in (xy(lat, lon) for lon, lat in KAZAKHSTAN_OUTLINE))
    centres = [(*xy(*r[5]), r[0]) for r in REGIONS]
    points = [(*xy(d.lat, d.lon), 5 + min(d.score, 40) / 3, level(d.score), d.title, d.href) for d in dots]
    return {"w": W, "h": H, "outline": outline, "centres": centres, "points": points, "label": label}
