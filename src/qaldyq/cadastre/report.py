"""The annual report of the country or of a region: the indicators against their targets, the
flows by waste code (and, for the country, by region) and the data-quality summary, as a PDF
(fpdf2, DejaVu fonts for Kazakh letters) or XLSX, in Kazakh or Russian."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from importlib import resources

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from qaldyq.cadastre import service
from qaldyq.cadastre.flows import FlowRow, flows, totals
from qaldyq.cadastre.indicators import Row, scorecard
from qaldyq.cadastre.models import NATIONAL
from qaldyq.catalog.calendar import today_almaty
from qaldyq.core.i18n import N_, translate
from qaldyq.registry.regions import REGIONS

REGION_NAMES = {k: {"kk": kk, "ru": ru, "en": en} for k, _t, kk, ru, en, _c in REGIONS}
FLOW_COLUMNS = (("generated", N_("Generated, t")), ("collected", N_("Collected, t")), ("processed", N_("Processed, t")),
                ("disposed", N_("Disposed of, t")), ("stock", N_("Stock at year end, t")))
STATUS = {"met": N_("met"), "behind": N_("behind"), "no-data": N_("no data"), "no-target": N_("no target"), "national-only": N_("national only")}


def region_name(kato: str, locale: str) -> str:
    if kato == NATIONAL:
        return translate(locale, N_("Republic of Kazakhstan"))
    return REGION_NAMES.get(kato, {}).get(locale, kato)


def tonnes(kg: int) -> str:
    return f"{kg / 1000:,.3f}".replace(",", " ")


def pct_text(value, locale: str) -> str:
    return translate(locale, N_("no data")) if value is None else f"{value} %"


@dataclass
class ReportData:
    year: int
    region: str
    indicators: list[Row]
    by_code: list[FlowRow]
    by_region: list[FlowRow]
    total: FlowRow
    quality: list
    made: date


def collect(db: Session, year: int, region: str) -> ReportData:
    scope = None if region == NATIONAL else region
    by_code = flows(db, year, ("waste_code",), region=scope)
    by_region = flows(db, year, ("region",)) if region == NATIONAL else []
    return ReportData(year, region, scorecard(db, year, region), by_code, by_region, totals(by_code), service.quality(db, year, scope), today_almaty())


def _font_path(name: str) -> str:
    return str(resources.files("qaldyq.web").joinpath(f"static/fonts/{name}"))


class _Pdf(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.set_text_color(110)
        self.cell(0, 6, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="C")


def pdf(data: ReportData, locale: str) -> bytes:
    t = lambda msgid, **kw: translate(locale, msgid, **kw)  # noqa: E731
    doc = _Pdf(orientation="L", format="A4")
    doc.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    doc.footer_text = t(N_("Qaldyq — unified information system for waste accounting. Generated {date}."), date=data.made.isoformat())
    doc.set_auto_page_break(True, 16)
    doc.add_page()
    doc.set_font("DejaVu", "B", 15)
    doc.multi_cell(0, 8, t(N_("Annual report on waste management for {year}"), year=data.year), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", "", 11)
    doc.multi_cell(0, 6, region_name(data.region, locale), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("DejaVu", "", 8)
    doc.multi_cell(0, 4.5, t(N_("Figures are computed from the national waste ledger; indicator methodology: docs/cadastre.md. \"No data\" means nothing was recorded; it is never shown as zero.")), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)

    def heading(text: str) -> None:
        doc.set_font("DejaVu", "B", 11)
        doc.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    def table(header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        with doc.table(col_widths=widths, text_align=["LEFT"] + ["RIGHT"] * (len(header) - 1), line_height=5.5,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(230, 238, 242)), first_row_as_headings=True) as tbl:
            doc.set_font("DejaVu", "B", 8)
            r = tbl.row()
            for h in header:
                r.cell(h)
            doc.set_font("DejaVu", "", 8)
            for row in rows:
                r = tbl.row()
                for c in row:
                    r.cell(c)
        doc.ln(4)

    heading(t(N_("Target indicators")))
    rows = []
    for r in data.indicators:
        rows.append([f"{r.indicator.number}. {t(r.indicator.name)}", pct_text(r.target.value if r.target else None, locale),
                     pct_text(r.fact.value, locale) + (" *" if r.provisional and r.fact.value is not None else ""), t(STATUS[r.status])])
    table([t(N_("Indicator")), t(N_("Target")), t(N_("Fact")), t(N_("Status"))], rows, [150, 30, 40, 40])
    if any(r.provisional for r in data.indicators):
        doc.set_font("DejaVu", "", 7)
        doc.multi_cell(0, 4, "* " + t(N_("The year is not over: the figure is provisional.")), new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    heading(t(N_("Waste flows by waste code")))
    body = [[r.keys["waste_code"], *[tonnes(getattr(r, f)) for f, _ in FLOW_COLUMNS]] for r in data.by_code]
    body.append([t(N_("Total")), *[tonnes(getattr(data.total, f)) for f, _ in FLOW_COLUMNS]])
    if not data.by_code:
        body = [[t(N_("no data"))] + [""] * len(FLOW_COLUMNS)]
    table([t(N_("Waste code")), *[t(label) for _, label in FLOW_COLUMNS]], body, [45] + [44] * len(FLOW_COLUMNS))
    if data.by_region:
        heading(t(N_("Waste flows by region")))
        body = [[region_name(r.keys["region"], locale), *[tonnes(getattr(r, f)) for f, _ in FLOW_COLUMNS]] for r in data.by_region]
        table([t(N_("Region")), *[t(label) for _, label in FLOW_COLUMNS]], body, [65] + [40] * len(FLOW_COLUMNS))
    heading(t(N_("Data quality")))
    body = [[region_name(q.region_kato, locale), str(q.generating_sites), str(q.reported_sites), str(q.missing_reports), str(q.differing_lines),
             tonnes(q.in_transit_kg)] for q in data.quality if q.generating_sites or q.reported_sites or q.in_transit_kg]
    if not body:
        body = [[t(N_("no data")), "", "", "", "", ""]]
    table([t(N_("Region")), t(N_("Generating sites")), t(N_("Sites with an inventory")), t(N_("Missing inventories")),
           t(N_("Lines differing from the ledger")), t(N_("In transit at year end, t"))], body, [65, 38, 38, 38, 42, 40])
    return bytes(doc.output())


def xlsx(data: ReportData, locale: str) -> bytes:
    t = lambda msgid, **kw: translate(locale, msgid, **kw)  # noqa: E731
    wb = Workbook()
    ws = wb.active
    ws.title = t(N_("Indicators"))[:31]
    bold = Font(bold=True)
    ws.append([t(N_("Annual report on waste management for {year}"), year=data.year)])
    ws.append([region_name(data.region, locale)])
    ws.append([])
    ws.append([t(N_("Indicator")), t(N_("Target")), t(N_("Fact")), t(N_("Status")), t(N_("Provisional"))])
    for c in ws[4]:
        c.font = bold
    for r in data.indicators:
        ws.append([f"{r.indicator.number}. {t(r.indicator.name)}", float(r.target.value) if r.target else None,
                   float(r.fact.value) if r.fact.value is not None else t(N_("no data")), t(STATUS[r.status]), r.provisional])
    ws.column_dimensions["A"].width = 80
    fl = wb.create_sheet(t(N_("Flows"))[:31])
    fl.append([t(N_("Waste code")), *[t(label) for _, label in FLOW_COLUMNS]])
    for r in data.by_code:
        fl.append([r.keys["waste_code"], *[getattr(r, f) / 1000 for f, _ in FLOW_COLUMNS]])
    if data.by_region:
        rg = wb.create_sheet(t(N_("Regions"))[:31])
        rg.append([t(N_("Region")), *[t(label) for _, label in FLOW_COLUMNS]])
        for r in data.by_region:
            rg.append([region_name(r.keys["region"], locale), *[getattr(r, f) / 1000 for f, _ in FLOW_COLUMNS]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
