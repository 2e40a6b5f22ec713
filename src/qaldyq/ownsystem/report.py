"""The operator's report on the form of Appendix 2: header (name, BIN, half-year, incoming
assignment number, type of waste, status) and the checklist rows 1–10 with presence and
conformity, as PDF (Kazakh or Russian, DejaVu fonts) and XLSX."""

from __future__ import annotations

import io
from importlib import resources

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from qaldyq.core.i18n import N_, translate
from qaldyq.ownsystem.checklist import APP2_ROW10
from qaldyq.ownsystem.documents import checklist
from qaldyq.ownsystem.models import OwnApplication

TITLE = N_("Report of the Operator to the authorized body on the conformity of the applicant's own system with the requirements")
HEADER = (N_("Name of the organization"), N_("Business identification number"), N_("Reporting half-year"),
          N_("Number of the incoming assignment of the Ministry of Ecology and Natural Resources"), N_("Type of waste"), N_("Status"))
COLUMNS = (N_("Name of the document provided for by the Rules"), N_("Presence of the documents"), N_("Conformity with these Rules and the Requirements"))
CONCLUSIONS = {"conforms": N_("Conforms"), "not_conforms": N_("Does not conform"), "stopped": N_("Review stopped (point 6.3)"), None: "—"}


def rows(app: OwnApplication, locale: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    t = lambda s: translate(locale, s)  # noqa: E731
    wastes = sorted({ln.name for ln in app.lines if ln.section in ("A", "B")})
    header = [app.org_name, app.org_bin, translate(locale, N_("half-year {half} of {year}"), half=app.half, year=app.year),
              app.incoming_number or "—", "; ".join(wastes) or "—", t(CONCLUSIONS.get(app.conclusion, "—"))]
    body = []
    for r in checklist(app):
        label = f"{r['code']}) {t(r['label'])}"
        if not r["required"]:
            presence, conf = t(N_("Not required")), "—"
        else:
            presence = t(N_("Present")) if r["present"] else t(N_("Absent"))
            conf = "—" if r["conforms"] is None else (t(N_("Conforms")) if r["conforms"] else t(N_("Does not conform")))
        body.append((label, presence, conf))
    body.append(("10) " + t(APP2_ROW10), "", t(CONCLUSIONS.get(app.conclusion, "—"))))
    return header, body


def xlsx(app: OwnApplication, locale: str) -> bytes:
    header, body = rows(app, locale)
    wb = Workbook()
    ws = wb.active
    ws.title = "App2"
    ws.append([translate(locale, TITLE)])
    ws["A1"].font = Font(bold=True)
    ws.append([])
    for label, value in zip(HEADER, header, strict=True):
        ws.append([translate(locale, label), value])
    ws.append([])
    ws.append([translate(locale, c) for c in COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in body:
        ws.append(list(row))
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 34
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf(app: OwnApplication, locale: str) -> bytes:
    header, body = rows(app, locale)
    fonts = resources.files("qaldyq.web") / "static" / "fonts"
    doc = FPDF(orientation="P", unit="mm", format="A4")
    doc.set_auto_page_break(True, 15)
    doc.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    doc.add_page()
    doc.set_font("DejaVu", "", 8)
    doc.multi_cell(0, 4, translate(locale, N_("Appendix 2 to the Rules (Order No. 690 of 9 November 2022)")), align="R",
                   new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("DejaVu", "B", 11)
    doc.multi_cell(0, 6, translate(locale, TITLE), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    doc.set_font("DejaVu", "", 9)
    with doc.table(col_widths=(80, 110), first_row_as_headings=False) as table:
        for label, value in zip(HEADER, header, strict=True):
            r = table.row()
            r.cell(translate(locale, label))
            r.cell(str(value))
    doc.ln(4)
    with doc.table(col_widths=(110, 35, 45)) as table:
        r = table.row()
        for c in COLUMNS:
            r.cell(translate(locale, c))
        for row in body:
            r = table.row()
            for value in row:
                r.cell(value)
    return bytes(doc.output())
