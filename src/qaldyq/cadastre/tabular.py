"""Reading CSV and XLSX uploads into rows of named cells, with errors that name the file row."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from qaldyq.core.errors import FieldError, Problem
from qaldyq.core.i18n import N_

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024


def rejected(errors: list[FieldError]) -> Problem:
    return Problem(422, "import-rejected", "The file was not imported.", N_("The file has {count} errors; nothing was changed."),
                   errors[:200], count=len(errors))


def file_error(msgid: str, **params) -> Problem:
    return rejected([FieldError(msgid, pointer="/file", params=params, code="bad-file")])


def read(content: bytes, filename: str | None, columns: tuple[str, ...]) -> list[tuple[int, dict[str, object]]]:
    """Rows as (file row number, {column: value}); the header must name every column."""
    if len(content) > MAX_BYTES:
        raise file_error(N_("The file is larger than {mb} MB."), mb=MAX_BYTES // (1024 * 1024))
    name = (filename or "").lower()
    if content[:2] == b"PK" or name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise file_error(N_("The file is not a valid XLSX or CSV file.")) from None
        raw = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise file_error(N_("The file is not a valid XLSX or CSV file.")) from None
        if "\x00" in text:
            raise file_error(N_("The file is not a valid XLSX or CSV file."))
        dialect = csv.excel
        try:
            dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
        except csv.Error:
            pass
        raw = list(csv.reader(io.StringIO(text), dialect))
    raw = [r for r in raw if any(c not in (None, "") for c in r)]
    if not raw:
        raise file_error(N_("The file is empty."))
    header = [str(c or "").strip().lower() for c in raw[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise file_error(N_("Columns missing from the header: {columns}."), columns=", ".join(missing))
    if len(raw) - 1 > MAX_ROWS:
        raise file_error(N_("The file has more than {n} rows."), n=MAX_ROWS)
    idx = {c: header.index(c) for c in columns}
    return [(i + 2, {c: (r[j] if j < len(r) else None) for c, j in idx.items()}) for i, r in enumerate(raw[1:])]
