"""Horizontal bar charts as inline SVG (invoiced against paid), generated on the server."""

from __future__ import annotations

from decimal import Decimal
from html import escape


def _money(v: Decimal) -> str:
    return f"{v:,.0f}".replace(",", "\u202f")


def bar_chart(rows: list[tuple[str, Decimal, Decimal]], width: int = 720) -> str:
    """One row per label: a light bar for the amount invoiced, a dark one for the amount paid."""
    if not rows:
        return ""
    top = max((r[1] for r in rows), default=Decimal(0)) or Decimal(1)
    label_w, row_h = 260, 26
    bar_w = width - label_w - 180
    parts = [f'<svg class="epr-chart" role="img" viewBox="0 0 {width} {row_h * len(rows) + 8}" width="100%" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, invoiced, paid) in enumerate(rows):
        y = 4 + i * row_h
        wi = float(invoiced / top) * bar_w
        wp = float(min(paid, invoiced) / top) * bar_w
        short = label if len(label) <= 38 else label[:37] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#333"><title>{escape(label)}</title>{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{wi:.1f}" height="16" fill="#b9d3ea"><title>{_money(invoiced)}</title></rect>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{wp:.1f}" height="16" fill="#1f5f99"><title>{_money(paid)}</title></rect>')
        parts.append(f'<text x="{label_w + wi + 6:.1f}" y="{y + 15}" font-size="11" fill="#555">{_money(paid)} / {_money(invoiced)} ₸</text>')
    parts.append("</svg>")
    return "".join(parts)
