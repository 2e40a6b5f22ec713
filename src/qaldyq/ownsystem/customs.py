"""The state revenue bodies' answer (types and mass of imported EPR products), recorded by the
authorized body in the `srb_answer` step: from a file, or from the customs feed that the `epr`
domain keeps (`epr_customs_lines`, loaded by the operator from the state revenue bodies).

File format: CSV (UTF-8, comma-separated) or XLSX (first sheet), header
`product_group,item,mass_t,units`; `mass_t` tonnes with at most 3 decimals or empty (the answer
gives no mass: point 6.5), `units` a whole number or empty. At most 1,000 rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ValidationError
from sqlalchemy.orm import Session

from qaldyq.core.errors import FieldError, Problem, invalid
from qaldyq.core.i18n import N_
from qaldyq.ownsystem.deadlines import half_bounds
from qaldyq.ownsystem.models import OwnApplication
from qaldyq.ownsystem.schemas import SrbItem

COLUMNS = ("product_group", "item", "mass_t", "units")
MAX_ROWS = 1000


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return (v.date().isoformat() if isinstance(v, datetime) else str(v)).strip()


def _xlsx_rows(data: bytes) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:
        raise invalid("/file", N_("The file is not a readable XLSX workbook."), code="bad-file") from None
    it = ws.iter_rows(values_only=True)
    header = tuple(_cell(h) for h in next(it, ()))
    while header and not header[-1]:
        header = header[:-1]
    rows = [{h: _cell(v) for h, v in zip(header, values)} for values in it if values and any(v is not None for v in values)]
    return header, rows


def parse(data: bytes, filename: str | None = None) -> list[SrbItem]:
    """The items of an answer file (CSV, or XLSX when the name says so or the content is a ZIP)."""
    if (filename or "").lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        header, rows = _xlsx_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise invalid("/file", N_("The file must be UTF-8 text."), code="encoding") from None
        reader = csv.DictReader(io.StringIO(text))
        header, rows = tuple(reader.fieldnames or ()), list(reader)
    if header != COLUMNS:
        raise invalid("/file", N_("The header must be: {columns}."), code="header", columns=",".join(COLUMNS))
    items, errors = [], []
    for n, row in enumerate(rows, start=2):
        if n > MAX_ROWS + 1:
            raise invalid("/file", N_("At most {n} rows."), code="too-long", n=MAX_ROWS)
        try:
            items.append(SrbItem(product_group=row["product_group"] or "", item=row["item"] or "",
                                 mass_t=row["mass_t"] or None, units=row["units"] or None))
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else "row"
                errors.append(FieldError(N_("Row {row}: invalid {field}."), pointer=f"/file/{n}/{field}", params={"row": n, "field": field},
                                         code="invalid"))
    if errors:
        raise Problem(422, "invalid", "The request is not valid.", errors[0].msgid, errors, **errors[0].params)
    if not items:
        raise invalid("/file", N_("The file has no rows."), code="empty")
    return items


def from_feed(db: Session, app: OwnApplication) -> list[SrbItem]:
    """The answer as the customs feed in Qaldyq gives it: the EPR imports of the applicant in
    the half-year per product group, with their mass (declarations always state it)."""
    from qaldyq.epr import service as epr

    start, end = half_bounds(app.year, app.half)
    found = epr.imports_by_group(db, app.organization_id, start, end)
    if not found:
        raise invalid("/source", N_("The customs data in Qaldyq show no EPR imports of this organization in the half-year; record the answer from a file."),
                      code="no-customs-data")
    return [SrbItem(product_group=g[:32], mass_t=(kg / 1000).quantize(Decimal("0.001"), ROUND_HALF_UP)) for g, kg in sorted(found.items())]
