"""Draft transfer documents from a spreadsheet (XLSX or CSV, one row per document, one carrier
leg per row). The whole file is validated first, every row through `service.create_document`
in its own savepoint; if any row is refused nothing is created and the caller gets the errors by
row and column (problem+json) or the uploaded file with an `error` column. Columns are
documented in docs/transfers.md ("Import of draft documents")."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from qaldyq.catalog import spreadsheets
from qaldyq.catalog.columns import CellError
from qaldyq.catalog.versioning import RowError
from qaldyq.core.auth import Principal
from qaldyq.core.errors import FieldError, Problem, pydantic_field_errors
from qaldyq.core.i18n import N_
from qaldyq.transfers import service
from qaldyq.transfers.schemas import TransferIn

MAX_ROWS = 2_000
# column -> required; the order is the template's order
COLUMNS: dict[str, bool] = {
    "consignor_site_id": True, "receiver_site_id": True, "carrier_org_id": True, "vehicle_id": False,
    "waste_code": True, "description": True, "physical_form": True, "hazard_properties": False,
    "container_type": True, "container_count": True, "declared_mass_kg": True, "mass_basis": True,
    "planned_operation": True, "idempotency_key": False,
}
# a pointer into TransferIn -> the column that holds it ("" is a rule across fields: the sites)
POINTER_COLUMN = {"/legs/0/carrier_org_id": "carrier_org_id", "/legs/0/vehicle_id": "vehicle_id", "/legs": "carrier_org_id",
                  "/containers/0/type": "container_type", "/containers/0/count": "container_count", "/containers": "container_type", "": "receiver_site_id"}


class ImportRejected(Exception):
    def __init__(self, sheet, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.sheet, self.errors = sheet, errors


@dataclass
class ImportOutcome:
    rows: int
    numbers: list[str]
    dry_run: bool


def _cell(value):
    """Spreadsheets give 2000.0 for 2000 and '' for nothing."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def row_to_input(rec: dict) -> dict:
    hp = rec.get("hazard_properties")
    return {
        "consignor_site_id": rec.get("consignor_site_id"), "receiver_site_id": rec.get("receiver_site_id"),
        "legs": [{"carrier_org_id": rec.get("carrier_org_id"), "vehicle_id": rec.get("vehicle_id")}],
        "waste_code": None if rec.get("waste_code") is None else str(rec["waste_code"]), "description": rec.get("description"),
        "physical_form": rec.get("physical_form"),
        "hazard_properties": [p.strip().upper() for p in str(hp).replace(",", ";").split(";") if p.strip()] if hp else [],
        "containers": [{"type": rec.get("container_type"), "count": rec.get("container_count")}],
        "declared_mass_kg": rec.get("declared_mass_kg"), "mass_basis": rec.get("mass_basis"), "planned_operation": rec.get("planned_operation"),
        "idempotency_key": None if rec.get("idempotency_key") is None else str(rec["idempotency_key"]),
    }


def _column(pointer: str | None) -> str | None:
    if pointer is None:
        return None
    if pointer in POINTER_COLUMN:
        return POINTER_COLUMN[pointer]
    head = pointer.split("/")[1] if pointer.count("/") >= 1 else pointer
    return head if head in COLUMNS else POINTER_COLUMN.get("/" + head, head)


def _row_errors(line: int, errors: list[FieldError]) -> list[RowError]:
    return [RowError(line, _column(e.pointer), e.msgid, e.params) for e in errors] or []


def _check_header(sheet) -> list[RowError]:
    names = [h.strip().lower() for h in sheet.header]
    errors = [RowError(1, n, N_("Unknown column {column}; the columns are: {columns}."), {"column": n, "columns": ", ".join(COLUMNS)})
              for n in names if n and n not in COLUMNS and n != spreadsheets.ERROR_COLUMN]
    errors += [RowError(1, c, N_("The required column {column} is missing."), {"column": c}) for c, req in COLUMNS.items() if req and c not in names]
    errors += [RowError(1, n, N_("The column {column} appears twice."), {"column": n}) for i, n in enumerate(names) if n and n in names[:i]]
    return errors


class _Rollback(Exception):
    pass


def import_drafts(db: Session, principal: Principal, content: bytes, filename: str | None, *, dry_run: bool = False) -> ImportOutcome:
    """All rows or none. Never commits."""
    try:
        sheet = spreadsheets.read(content, filename)
    except CellError as exc:
        raise ImportRejected(None, [RowError(None, None, exc.msgid, exc.params)]) from None
    errors = _check_header(sheet)
    if len(sheet.rows) > MAX_ROWS:
        errors.append(RowError(None, None, N_("The file has more than {max} rows."), {"max": MAX_ROWS}))
    if errors:
        raise ImportRejected(sheet, errors)
    numbers: list[str] = []
    keys: dict[str, int] = {}
    try:
        with db.begin_nested():
            for line, raw in sheet.records():
                rec = {k: _cell(v) for k, v in raw.items() if k in COLUMNS}
                key = rec.get("idempotency_key")
                if key is not None and str(key) in keys:
                    errors.append(RowError(line, "idempotency_key", N_("The same idempotency key is on row {line}."), {"line": keys[str(key)]}))
                    continue
                if key is not None:
                    keys[str(key)] = line
                try:
                    data = TransferIn.model_validate(row_to_input(rec))
                except ValidationError as exc:
                    errors += _row_errors(line, pydantic_field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]))
                    continue
                try:
                    with db.begin_nested():
                        numbers.append(service.create_document(db, principal, data).number)
                except Problem as exc:
                    errors += _row_errors(line, exc.errors) or [RowError(line, None, exc.detail or exc.title, exc.params)]
            if errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if errors:
        raise ImportRejected(sheet, errors)
    return ImportOutcome(len(sheet.rows), [] if dry_run else numbers, dry_run)


def problem(exc: ImportRejected) -> Problem:
    """The errors as problem+json: pointers /rows/{line}/{column} (line = row of the file, header = 1)."""
    fields = [FieldError(e.msgid, pointer="/rows" + (f"/{e.line}" if e.line else "") + (f"/{e.column}" if e.column else ""), params=e.params,
                         code="invalid-row") for e in exc.errors]
    first = exc.errors[0]
    return Problem(422, "import-rejected", "The file was not imported; nothing was changed.", first.msgid, fields, **first.params)


def template(fmt: str) -> tuple[bytes, str]:
    """An empty file with the columns in the documented order."""
    if fmt == "csv":
        return ("\ufeff" + ",".join(COLUMNS) + "\n").encode("utf-8"), spreadsheets.CSV_TYPE
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "transfers"
    wb.active.append(list(COLUMNS))
    return spreadsheets._save(wb), spreadsheets.XLSX_TYPE
