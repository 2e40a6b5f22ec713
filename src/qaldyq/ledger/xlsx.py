"""The mass-balance report as a spreadsheet, in tonnes with three decimals, for officials who
work in Excel."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from qaldyq.core.i18n import N_, Translator
from qaldyq.ledger.reports import MassBalance

COLUMNS = (
    ("opening", N_("Opening balance, t")), ("generated", N_("Generated, t")), ("received", N_("Received (collected), t")), ("returned", N_("Returned (refused), t")),
    ("produced", N_("Produced by processing, t")), ("processed", N_("Processed, t")), ("sent", N_("Sent, t")), ("disposed", N_("Disposed of, t")),
    ("exported", N_("Exported, t")), ("loss", N_("of which declared loss, t")), ("closing", N_("Closing balance, t")),
)


def mass_balance_xlsx(mb: MassBalance, locale: str) -> bytes:
    _ = Translator(locale)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Mass balance")[:31]
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E6F1F8")
    ws.append([_("Mass balance of a site")])
    ws["A1"].font = Font(bold=True, size=13)
    for label, value in ((_("Organization"), mb.organization_name), (_("BIN"), mb.organization_bin), (_("Site"), mb.site_name),
                         (_("Period"), f"{mb.date_from.isoformat()} — {mb.date_to.isoformat()}")):
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = bold
    ws.append([])
    header = [_("Waste code")] + [_(label) for _c, label in COLUMNS]
    ws.append(header)
    hr = ws.max_row
    for i in range(1, len(header) + 1):
        cell = ws.cell(hr, i)
        cell.font, cell.fill, cell.border = bold, head_fill, box
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in [*mb.rows, mb.total]:
        ws.append([r.waste_code or _("Total")] + [getattr(r, c) / 1000 for c, _l in COLUMNS])
        for i in range(1, len(header) + 1):
            cell = ws.cell(ws.max_row, i)
            cell.border = box
            if i > 1:
                cell.number_format = "#,##0.000"
        if r is mb.total:
            for i in range(1, len(header) + 1):
                ws.cell(ws.max_row, i).font = bold
    if mb.products:
        ws.append([])
        ws.append([_("End-of-waste products"), _("Mass, t")])
        for i in (1, 2):
            ws.cell(ws.max_row, i).font = bold
        for name, kg in mb.products:
            ws.append([name, kg / 1000])
            ws.cell(ws.max_row, 2).number_format = "#,##0.000"
    ws.append([])
    ws.append([_("Closing = opening + generated + received + returned + produced - processed - sent - disposed - exported. Figures from the waste ledger.")])
    ws.column_dimensions["A"].width = 22
    for i in range(2, len(header) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 15
    ws.row_dimensions[hr].height = 45
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
