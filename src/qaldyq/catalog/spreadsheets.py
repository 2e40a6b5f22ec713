"""Reading and writing reference tables as XLSX and CSV, and the error file given back when an
import is refused (the uploaded rows with an `error` column)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qaldyq.catalog.columns import CellError
from qaldyq.catalog.tables import CHOICE_LABELS, TableSpec
from qaldyq.catalog.versioning import RowError
from qaldyq.core.i18n import N_, translate

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
ERROR_COLUMN = "error"
MAX_ROWS = 100_000
HEADER_FILL = PatternFill("solid", fgColor="DCE8F2")
ERROR_FILL = PatternFill("solid", fgColor="F8D7D4")


@dataclass
class Sheet:
    fmt: str  # xlsx or csv
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (line in the file, cells)
    delimiter: str = ","

    def records(self) -> list[tuple[int, dict[str, Any]]]:
        names = [h.strip().lower() for h in self.header]
        return [(line, {n: (cells[i] if i < len(cells) else None) for i, n in enumerate(names) if n}) for line, cells in self.rows]


def detect_format(filename: str | None, content: bytes) -> str:
    if content[:2] == b"PK":
        return "xlsx"
    if filename and filename.lower().endswith((".xlsx", ".xlsm")):
        return "xlsx"
    return "csv"


def read(content: bytes, filename: str | None = None) -> Sheet:
    """The first sheet of an XLSX file or a CSV file (UTF-8, or Windows-1251 as Excel saves it in
    Russian; comma or semicolon). Empty rows are skipped; lines keep their numbers."""
    fmt = detect_format(filename, content)
    if fmt == "xlsx":
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:
            raise CellError(N_("The file is not a readable XLSX workbook.")) from None
        ws = wb.worksheets[0]
        raw = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
        wb.close()
        delimiter = ","
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1251", errors="strict") if _is_cp1251(content) else None
            if text is None:
                raise CellError(N_("The CSV file must be in UTF-8.")) from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        raw = [(i, r) for i, r in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)]
    raw = [(i, r) for i, r in raw if any(c not in (None, "") and str(c).strip() for c in r)]
    if not raw:
        raise CellError(N_("The file is empty."))
    if len(raw) - 1 > MAX_ROWS:
        raise CellError(N_("The file has more than {max} rows."), max=MAX_ROWS)
    header = ["" if h is None else str(h).strip() for h in raw[0][1]]
    return Sheet(fmt, header, raw[1:], delimiter)


def _is_cp1251(content: bytes) -> bool:
    try:
        content.decode("cp1251")
        return True
    except UnicodeDecodeError:
        return False


def check_header(spec: TableSpec, sheet: Sheet) -> list[RowError]:
    names = [h.strip().lower() for h in sheet.header]
    known = {c.name for c in spec.all_columns}
    errors = []
    for name in names:
        if name and name not in known and name != ERROR_COLUMN:
            errors.append(RowError(1, name, N_("Unknown column {column}; the columns are: {columns}."), {"column": name, "columns": ", ".join(c.name for c in spec.all_columns)}))
    seen = set()
    for name in names:
        if name and name in seen:
            errors.append(RowError(1, name, N_("The column {column} appears twice."), {"column": name}))
        seen.add(name)
    for col in spec.all_columns:
        if col.required and col.name not in names:
            errors.append(RowError(1, col.name, N_("The required column {column} is missing."), {"column": col.name}))
    return errors


def message(e: RowError, locale: str) -> str:
    text = translate(locale, e.msgid, **{k: (translate(locale, v) if isinstance(v, str) else v) for k, v in e.params.items()})
    return f"{e.column}: {text}" if e.column else text


def error_file(sheet: Sheet, errors: list[RowError], locale: str) -> tuple[bytes, str]:
    """The uploaded rows as they were, plus an `error` column; returns (content, media type)."""
    by_line: dict[int | None, list[RowError]] = {}
    for e in errors:
        by_line.setdefault(e.line, []).append(e)
    header = [h for h in sheet.header]
    if ERROR_COLUMN in [h.lower() for h in header]:
        drop = [h.lower() for h in header].index(ERROR_COLUMN)
    else:
        drop = None
    header_out = [h for i, h in enumerate(header) if i != drop] + [ERROR_COLUMN]
    file_level = "; ".join(message(e, locale) for e in by_line.get(1, []) + by_line.get(None, []))
    rows_out = []
    for line, cells in sheet.rows:
        cells = [c for i, c in enumerate(cells) if i != drop]
        cells = cells + [None] * (len(header_out) - 1 - len(cells))
        msgs = "; ".join(message(e, locale) for e in by_line.get(line, []))
        rows_out.append((line, cells[: len(header_out) - 1], msgs or file_level))
    if sheet.fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=sheet.delimiter, lineterminator="\n")
        w.writerow(header_out)
        for _, cells, msgs in rows_out:
            w.writerow(["" if c is None else c for c in cells] + [msgs])
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), CSV_TYPE
    wb = Workbook()
    ws = wb.active
    ws.title = "errors"
    ws.append(header_out)
    _style_header(ws, len(header_out))
    columns = [h.strip().lower() for h in header_out]
    for line, cells, msgs in rows_out:
        ws.append(list(cells) + [msgs])
        r = ws.max_row
        for e in by_line.get(line, []):
            if e.column in columns:
                ws.cell(r, columns.index(e.column) + 1).fill = ERROR_FILL
        if msgs:
            ws.cell(r, len(header_out)).fill = ERROR_FILL
    _widths(ws, len(header_out))
    return _save(wb), XLSX_TYPE


def export(spec: TableSpec, rows: list[dict[str, Any]], fmt: str, locale: str) -> tuple[bytes, str]:
    """All rows (every version) in the import format."""
    cols = spec.all_columns
    header = [c.name for c in cols]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([c.render(row.get(c.name)) for c in cols])
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), CSV_TYPE
    wb = Workbook()
    ws = wb.active
    ws.title = spec.slug[:31]
    ws.append(header)
    _style_header(ws, len(header))
    for row in rows:
        ws.append([c.render(row.get(c.name)) for c in cols])
    for i, c in enumerate(cols, start=1):
        if c.kind in ("text", "date", "waste_code", "hs", "slug", "act"):
            for cell in ws[get_column_letter(i)][1:]:
                cell.number_format = "@"
    _widths(ws, len(header))
    doc = wb.create_sheet("columns")
    doc.append([translate(locale, t) for t in (N_("Column"), N_("Meaning"), N_("Required"), N_("Format"), N_("Note"))])
    _style_header(doc, 5)
    for c in cols:
        fmt_text = translate(locale, FORMATS[c.kind])
        if c.choices:
            fmt_text += ": " + ", ".join(f"{ch} ({translate(locale, CHOICE_LABELS.get(ch, ch))})" for ch in c.choices)
        doc.append([c.name, translate(locale, c.label), translate(locale, N_("yes") if c.required else N_("no")), fmt_text, translate(locale, c.help) if c.help else ""])
    _widths(doc, 5)
    return _save(wb), XLSX_TYPE


FORMATS = {
    "text": N_("text"),
    "slug": N_("code: lowercase letters, digits, '-' and '_'"),
    "act": N_("code of a legal act"),
    "int": N_("whole number"),
    "decimal": N_("number, dot or comma as decimal separator"),
    "date": N_("date YYYY-MM-DD"),
    "bool": N_("true or false"),
    "choice": N_("one of"),
    "waste_code": N_("waste code, e.g. 15 01 01 or 16 06 01*"),
    "hs": N_("HS code digits"),
}


def _style_header(ws, n: int) -> None:
    for i in range(1, n + 1):
        cell = ws.cell(1, i)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
    ws.freeze_panes = "A2"


def _widths(ws, n: int) -> None:
    for i in range(1, n + 1):
        letter = get_column_letter(i)
        longest = max((len(str(c.value)) for c in ws[letter] if c.value is not None), default=8)
        ws.column_dimensions[letter].width = min(max(10, longest + 2), 60)


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
