"""Declaration lines from a spreadsheet, and the same rows back with an error column."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

COLUMNS = ("kind", "hs_code", "material", "category", "vin", "item", "quantity_units", "mass_kg", "engine_cc", "gross_mass_t", "power_hp",
           "electric", "exemption", "evidence_kind", "evidence_number", "recycled_percent")
RED = PatternFill("solid", fgColor="F4CCCC")


def _int(v: Any) -> Any:
    if v in (None, ""):
        return None
    try:
        f = float(str(v).replace(",", "."))
        return int(f) if f == int(f) else v
    except ValueError:
        return v


def row_to_line(row: dict[str, Any]) -> dict[str, Any]:
    """A spreadsheet row as the API's line (the service checks it like any other)."""
    def s(k):
        v = row.get(k)
        return None if v in (None, "") else str(v).strip()

    line: dict[str, Any] = {"kind": s("kind") or "product"}
    for k in ("hs_code", "material", "category", "vin", "item", "mass_kg", "gross_mass_t", "power_hp"):
        if s(k) is not None:
            line[k] = s(k).replace(",", ".") if k in ("mass_kg", "gross_mass_t", "power_hp") else s(k)
    for k in ("quantity_units", "engine_cc"):
        if _int(row.get(k)) is not None:
            line[k] = _int(row.get(k))
    if s("electric") is not None:
        line["electric"] = s("electric").lower() in ("1", "true", "yes", "да", "иә")
    if s("exemption"):
        ev = {"kind": s("evidence_kind"), "number": s("evidence_number")}
        if s("recycled_percent"):
            ev["recycled_percent"] = s("recycled_percent")
        line["exemption"] = {"code": s("exemption"), "evidence": [ev] if ev["kind"] else []}
    return line


def error_workbook(rows: list[dict[str, Any]], errors: dict[int, str]) -> bytes:
    """The uploaded rows with an `error` column; rows with an error are red."""
    wb = Workbook()
    ws = wb.active
    ws.title = "lines"
    ws.append([*COLUMNS, "error"])
    for c in ws[1]:
        c.font = Font(bold=True)
    for i, row in enumerate(rows):
        values = [row.get(c) for c in COLUMNS]
        ws.append([format(v, "f") if isinstance(v, Decimal) else v for v in values] + [errors.get(i, "")])
        if i in errors:
            for c in ws[ws.max_row]:
                c.fill = RED
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_workbook() -> bytes:
    return error_workbook([], {})
