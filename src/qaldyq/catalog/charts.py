"""Inline SVG charts, drawn on the server (no script, no download): readable in print and by
screen readers through their <title> and a table next to each chart."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from markupsafe import Markup

FEE = "#00679e"
PAYOUT = "#b3261e"
OK = "#1e7a46"
GRID = "#d5dde5"
INK = "#1c2733"
MUTED = "#5b6b7b"


def _fmt(value: Decimal | float, unit: str = "", places: int = 0) -> str:
    text = f"{float(value):,.{places}f}".replace(",", "\u202f")
    return f"{text}{unit}"


def _label(x: float, y: float, text: str, width: int = 40) -> str:
    """A right-aligned label on up to two lines (long category names wrap, then end with …)."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], (lines[1][: width - 1] + "…")]
    if len(lines) == 1:
        return f'<text x="{x}" y="{y}" font-size="12" fill="{INK}" text-anchor="end">{escape(lines[0])}</text>'
    return (f'<text x="{x}" y="{y - 6}" font-size="11" fill="{INK}" text-anchor="end"><tspan x="{x}">{escape(lines[0])}</tspan>'
            f'<tspan x="{x}" dy="12">{escape(lines[1])}</tspan></text>')


def paired_bars(title: str, rows: list[tuple[str, Decimal | None, Decimal | None, str]], a_label: str, b_label: str, unit: str = "") -> Markup:
    """Two horizontal bars per row (e.g. fee and payout per tonne) and a note on the right
    (e.g. the ratio). rows: (label, a, b, note)."""
    width, label_w, note_w, bar_h, gap = 900, 300, 60, 11, 14
    plot_w = width - label_w - note_w - 20
    top = 34
    height = top + len(rows) * (2 * bar_h + gap) + 10
    peak = max([float(v) for _, a, b, _ in rows for v in (a, b) if v is not None] or [1.0])
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title)}</title>",
           f'<rect x="{label_w}" y="6" width="12" height="12" fill="{FEE}"/><text x="{label_w + 18}" y="16" font-size="12" fill="{INK}">{escape(a_label)}</text>',
           f'<rect x="{label_w + 200}" y="6" width="12" height="12" fill="{PAYOUT}"/><text x="{label_w + 218}" y="16" font-size="12" fill="{INK}">{escape(b_label)}</text>']
    for i in range(5):
        x = label_w + plot_w * i / 4
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 6}" stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{top - 9}" font-size="10" fill="{MUTED}" text-anchor="middle">{_fmt(peak * i / 4)}</text>')
    for i, (label, a, b, note) in enumerate(rows):
        y = top + i * (2 * bar_h + gap)
        out.append(_label(label_w - 8, y + bar_h + 4, label, 46))
        for j, (value, colour) in enumerate(((a, FEE), (b, PAYOUT))):
            if value is None:
                continue
            w = max(plot_w * float(value) / peak, 1)
            out.append(f'<rect x="{label_w}" y="{y + j * bar_h}" width="{w:.1f}" height="{bar_h - 1}" fill="{colour}"><title>{escape(label)}: {_fmt(value, unit)}</title></rect>')
        if note:
            out.append(f'<text x="{width - note_w + 6}" y="{y + bar_h + 4}" font-size="12" font-weight="bold" fill="{INK}">{escape(note)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def balance_bars(title: str, rows: list[tuple[str, Decimal]], unit: str = "", places: int = 2) -> Markup:
    """One bar per row around a zero line: surplus to the right, deficit to the left."""
    width, label_w, bar_h, gap = 900, 300, 18, 10
    plot_w = width - label_w - 20
    top = 16
    height = top + len(rows) * (bar_h + gap) + 10
    peak = max([abs(float(v)) for _, v in rows] or [1.0]) or 1.0
    lo = min([float(v) for _, v in rows] + [0.0])
    hi = max([float(v) for _, v in rows] + [0.0])
    span = (hi - lo) or peak
    zero = label_w + plot_w * (-lo / span)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title)}</title>",
           f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{height - 4}" stroke="{MUTED}" stroke-width="1"/>']
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        v = float(value)
        w = max(plot_w * abs(v) / span, 1)
        x = zero if v >= 0 else zero - w
        colour = OK if v >= 0 else PAYOUT
        out.append(_label(label_w - 8, y + bar_h - 5, label, 46))
        out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"><title>{escape(label)}: {_fmt(value, unit, places)}</title></rect>')
        tx, anchor = (x + w + 4, "start") if v >= 0 else (x - 4, "end")
        if v >= 0 and tx > width - 90:
            tx, anchor, fill = x + w - 4, "end", "#fff"
        elif v < 0 and tx < label_w + 60:
            tx, anchor, fill = zero + 4, "start", INK  # no room on the left: write it past the zero line
        else:
            fill = INK
        out.append(f'<text x="{tx:.1f}" y="{y + bar_h - 5}" font-size="11" fill="{fill}" text-anchor="{anchor}">{_fmt(value, unit, places)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
