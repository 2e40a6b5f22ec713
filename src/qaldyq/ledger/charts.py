"""Inline SVG for the mass-balance page: per waste code, where the mass came from (opening and
inflows) next to where it went (outflows and closing). Both bars have the same length, which is
the balance equation made visible."""

from __future__ import annotations

from html import escape

from qaldyq.core.i18n import N_, Translator
from qaldyq.ledger.reports import MassBalance

SOURCES = (("opening", "#8aa4b8", N_("Opening balance")), ("generated", "#1e7a46", N_("Generated")), ("received", "#00679e", N_("Received")),
           ("returned", "#6fa8cf", N_("Returned")), ("produced", "#7fbf7f", N_("Produced by processing")))
USES = (("processed", "#a8610a", N_("Processed")), ("sent", "#c98a3b", N_("Sent")), ("disposed", "#b3261e", N_("Disposed of")),
        ("exported", "#7a4b9e", N_("Exported")), ("closing", "#4d5b6a", N_("Closing balance")))


def mass_balance_svg(mb: MassBalance, locale: str) -> str:
    _ = Translator(locale)
    rows = [r for r in mb.rows if r.opening + r.generated + r.received + r.returned + r.produced > 0]
    if not rows:
        return ""
    width, label_w, bar_h, gap = 860, 120, 14, 14
    scale_max = max(r.opening + r.generated + r.received + r.returned + r.produced for r in rows)
    plot_w = width - label_w - 20
    height = len(rows) * (2 * bar_h + gap) + 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(_("Mass balance by waste code"))}" font-family="DejaVu Sans, sans-serif" font-size="11">']
    y = 10
    for r in rows:
        out.append(f'<text x="0" y="{y + bar_h + 4}" fill="#1c2733">{escape(r.waste_code)}</text>')
        for parts, dy in ((SOURCES, 0), (USES, bar_h + 2)):
            x = label_w
            for attr, colour, label in parts:
                kg = getattr(r, attr)
                if kg <= 0:
                    continue
                w = max(kg / scale_max * plot_w, 1)
                t = f"{_(label)}: {kg / 1000:,.3f} t".replace(",", " ")
                out.append(f'<rect x="{x:.1f}" y="{y + dy}" width="{w:.1f}" height="{bar_h}" fill="{colour}"><title>{escape(t)}</title></rect>')
                x += w
        y += 2 * bar_h + gap
    x = 0
    for attr, colour, label in SOURCES + USES:
        text = _(label)
        out.append(f'<rect x="{x}" y="{y + 6}" width="10" height="10" fill="{colour}"/><text x="{x + 14}" y="{y + 15}" fill="#5b6b7b">{escape(text)}</text>')
        x += 24 + 6.5 * len(text)
        if x > width - 120:
            x, y = 0, y + 18
    out.append("</svg>")
    return "".join(out)
