"""Inline SVG drawn on the server: plan-against-fact bars, a yearly series and the map of regions
with proportional symbols (bundled outline, region centres; nothing fetched)."""

from __future__ import annotations

import math
from decimal import Decimal
from html import escape

from markupsafe import Markup

from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE, LAT_RANGE, LON_RANGE
from qaldyq.registry.regions import REGIONS

STATUS_COLOURS = {"met": "#2e7d32", "behind": "#c62828", "no-data": "#9e9e9e", "no-target": "#607d8b", "national-only": "#9e9e9e"}


def _project(lat: float, lon: float, width: float, height: float) -> tuple[float, float]:
    """Equirectangular, x scaled by cos(48°) so the country keeps its shape."""
    k = math.cos(math.radians(48))
    w = (LON_RANGE[1] - LON_RANGE[0]) * k
    h = LAT_RANGE[1] - LAT_RANGE[0]
    s = min(width / w, height / h)
    return round((lon - LON_RANGE[0]) * k * s, 1), round((LAT_RANGE[1] - lat) * s, 1)


def region_map(values: dict[str, float], labels: dict[str, str], hrefs: dict[str, str], title: str, unit: str = "t",
               colours: dict[str, str] | None = None, width: int = 640, height: int = 330) -> Markup:
    """Circles at the region centres, area proportional to the value; a region without data
    gets a small grey ring, never a zero-sized circle that looks like zero."""
    outline = " ".join(f"{x},{y}" for x, y in (_project(lat, lon, width, height) for lon, lat in KAZAKHSTAN_OUTLINE))
    top = max([v for v in values.values() if v is not None] or [0]) or 1
    parts = [f'<svg class="cad-map" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>", f'<polygon points="{outline}" fill="#eef3f0" stroke="#7a9a86" stroke-width="1"/>']
    for kato, _kind, *_names, (lat, lon) in REGIONS:
        x, y = _project(lat, lon, width, height)
        v = values.get(kato)
        label = escape(labels.get(kato, kato))
        if v is None:
            shape = f'<circle cx="{x}" cy="{y}" r="4" fill="none" stroke="#9e9e9e" stroke-dasharray="2 2"><title>{label}: —</title></circle>'
        else:
            r = max(3.0, 26 * math.sqrt(max(v, 0) / top))
            colour = (colours or {}).get(kato, "#1f6f8b")
            shape = (f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="{colour}" fill-opacity="0.55" stroke="{colour}">'
                     f"<title>{label}: {_fmt(v)} {escape(unit)}</title></circle>")
        href = hrefs.get(kato)
        parts.append(f'<a href="{escape(href)}">{shape}</a>' if href else shape)
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(v: float | Decimal) -> str:
    return f"{v:,.1f}".replace(",", " ") if isinstance(v, float) and v >= 100 else f"{v}".replace(",", " ")


def plan_fact_bars(rows: list[dict], title: str, target_label: str, fact_label: str, no_data: str, width: int = 900) -> Markup:
    """rows: {label, target (Decimal|None), fact (Decimal|None), status}. Scale 0–100 %; a
    negative fact (growth instead of reduction) is drawn at 0 with its value written."""
    bar_h, gap, left = 14, 12, 340
    height = len(rows) * (2 * bar_h + gap) + 30
    span = width - left - 70
    parts = [f'<svg class="cad-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i in range(0, 101, 25):
        x = left + span * i / 100
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 22}" stroke="#e0e0e0"/>'
                     f'<text x="{x}" y="{height - 8}" font-size="10" text-anchor="middle" fill="#666">{i} %</text>')
    y = 4
    for r in rows:
        parts.append(f'<text x="{left - 8}" y="{y + bar_h + 4}" font-size="11" text-anchor="end" fill="#222">{escape(r["label"])}</text>')
        if r["target"] is not None:
            w = span * min(float(r["target"]), 100) / 100
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#b0bec5"><title>{escape(target_label)}: {r["target"]} %</title></rect>'
                         f'<text x="{left + w + 4:.1f}" y="{y + 11}" font-size="10" fill="#455a64">{r["target"]} %</text>')
        y2 = y + bar_h + 1
        if r["fact"] is None:
            parts.append(f'<text x="{left + 4}" y="{y2 + 11}" font-size="10" fill="#757575" font-style="italic">{escape(no_data)}</text>')
        else:
            w = span * max(min(float(r["fact"]), 100), 0) / 100
            colour = STATUS_COLOURS.get(r["status"], "#1f6f8b")
            parts.append(f'<rect x="{left}" y="{y2}" width="{w:.1f}" height="{bar_h}" fill="{colour}"><title>{escape(fact_label)}: {r["fact"]} %</title></rect>'
                         f'<text x="{left + w + 4:.1f}" y="{y2 + 11}" font-size="10" fill="#222">{r["fact"]} %</text>')
        y += 2 * bar_h + gap
    parts.append("</svg>")
    return Markup("".join(parts))


def series_chart(points: list[dict], title: str, width: int = 640, height: int = 200) -> Markup:
    """points: {year, target, fact}; target as a dashed line, fact as dots (gaps where no data)."""
    left, bottom, top = 40, 24, 10
    n = max(len(points), 1)
    vals = [float(v) for p in points for v in (p["target"], p["fact"]) if v is not None]
    hi = max([100.0 if max(vals or [0]) > 50 else max(vals or [0]) * 1.2 or 10, 1])
    lo = min([0.0] + vals)
    sx = lambda i: left + (width - left - 20) * (i + 0.5) / n  # noqa: E731
    sy = lambda v: top + (height - top - bottom) * (hi - float(v)) / (hi - lo)  # noqa: E731
    parts = [f'<svg class="cad-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>", f'<line x1="{left}" y1="{sy(0):.1f}" x2="{width - 10}" y2="{sy(0):.1f}" stroke="#bbb"/>']
    tgt = [(sx(i), sy(p["target"])) for i, p in enumerate(points) if p["target"] is not None]
    if len(tgt) > 1:
        parts.append('<polyline fill="none" stroke="#78909c" stroke-dasharray="5 3" stroke-width="2" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in tgt) + '"/>')
    for i, p in enumerate(points):
        parts.append(f'<text x="{sx(i):.1f}" y="{height - 6}" font-size="10" text-anchor="middle" fill="#555">{p["year"]}</text>')
        if p["target"] is not None:
            parts.append(f'<circle cx="{sx(i):.1f}" cy="{sy(p["target"]):.1f}" r="3" fill="#78909c"><title>{p["year"]}: {p["target"]} %</title></circle>')
        if p["fact"] is not None:
            colour = STATUS_COLOURS.get(p["status"], "#1f6f8b")
            parts.append(f'<circle cx="{sx(i):.1f}" cy="{sy(p["fact"]):.1f}" r="5" fill="{colour}"><title>{p["year"]}: {p["fact"]} %</title></circle>'
                         f'<text x="{sx(i) + 7:.1f}" y="{sy(p["fact"]) + 4:.1f}" font-size="10" fill="#222">{p["fact"]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
