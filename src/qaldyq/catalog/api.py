"""The catalogue API: quotes, the working-day calendar and the fund simulator are public; the
tables can be read and exported by anyone and imported by the authorized body."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from qaldyq.catalog import service, simulator
from qaldyq.catalog.columns import format_decimal
from qaldyq.catalog.schemas import (
    DateOut,
    DayOut,
    HsOut,
    ImportOut,
    QuoteIn,
    QuoteOut,
    RowsOut,
    SimulatorIn,
    KIND_FIELDS,
    TableOut,
    WasteCodeOut,
)
from qaldyq.catalog.tables import TABLES
from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import Problem, invalid, not_found
from qaldyq.core.i18n import N_, translate

router = APIRouter()


def public(principal: Principal | None = Depends(checked_principal)) -> Principal | None:
    """Anyone, with or without an account."""
    return principal


def locale(request: Request) -> str:
    return getattr(request.state, "locale", "en")


def plain(value: Any) -> Any:
    """Decimals as strings (money is never a float), recursively."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    return value


# --- quotes ---------------------------------------------------------------------------------

def run_quote(db: Session, body: QuoteIn) -> service.Quote:
    allowed, needed = KIND_FIELDS[body.kind]
    for name in sorted(body.model_fields_set - allowed):
        raise invalid(f"/{name}", N_("{field} is not used for a {kind} quote."), code="extra_forbidden", field=name, kind=body.kind)
    for name in sorted(needed - body.model_fields_set):
        raise invalid(f"/{name}", N_("This field is required."), code="missing")
    if body.kind == "vehicle":
        return service.quote_vehicle(db, category=body.category, on_date=body.date, engine_cc=body.engine_cc, gross_mass_t=body.gross_mass_t,
                                     power_hp=body.power_hp, electric=bool(body.electric))
    if body.kind == "product":
        return service.quote_product(db, category=body.category, mass_t=body.mass_t, on_date=body.date)
    return service.quote_payout(db, category=body.category, operation=body.operation, mass_t=body.mass_t, on_date=body.date)


@router.post("/epr/quotes", response_model=QuoteOut, tags=["epr"])
def quote(body: QuoteIn, request: Request, db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """The utilization payment of a vehicle or of a tonnage of products, or the operator's payout
    for a tonnage of waste, with the act, the row, the MRP and the arithmetic. Public."""
    return run_quote(db, body).to_dict(locale(request))


# --- calendar -------------------------------------------------------------------------------

@router.get("/calendar/add-working-days", response_model=DateOut, tags=["calendar"])
def add_working_days(start: dt.date, days: int = Query(ge=-3660, le=3660), db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """The `days`-th working day after `start` (Kazakhstan, five-day week). Public."""
    return {"date": service.add_working_days(db, start, days)}


@router.get("/calendar/add-calendar-days", response_model=DateOut, tags=["calendar"])
def add_calendar_days(start: dt.date, days: int = Query(ge=-3660, le=3660), roll_to_working_day: bool = True,
                      db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """`start` + `days` calendar days; a term ending on a non-working day ends on the next working day."""
    return {"date": service.add_calendar_days(start, days, db if roll_to_working_day else None)}


def _day_out(info, loc: str) -> dict:
    return {"date": info.day, "working": info.working, "reason": info.reason, "name": info.label(loc)}


@router.get("/calendar/days/{day}", response_model=DayOut, tags=["calendar"])
def day(day: dt.date, request: Request, db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    return _day_out(service.day_info(db, day), locale(request))


@router.get("/calendar/years/{year}", response_model=list[DayOut], tags=["calendar"])
def year(request: Request, year: int, db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """Holidays, days off moved by decree and worked weekend days of a year."""
    if not 1991 <= year <= 2100:
        from qaldyq.core.errors import invalid_param

        raise invalid_param("year", N_("Must be between {ge} and {le}."), ge=1991, le=2100)
    return [_day_out(i, locale(request)) for i in service.year_exceptions(db, year)]


# --- tables ---------------------------------------------------------------------------------

def table_info(slug: str, count: int, loc: str) -> dict:
    s = TABLES[slug]
    return {
        "slug": slug, "title": translate(loc, s.title), "description": translate(loc, s.description), "key": list(s.key),
        "versioned": s.versioned, "rows": count,
        "columns": [{"name": c.name, "label": translate(loc, c.label), "kind": c.kind, "required": c.required, "choices": list(c.choices)} for c in s.all_columns],
    }


@router.get("/catalog/tables", response_model=list[TableOut], tags=["catalog"])
def tables(request: Request, db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    counts = service.table_counts(db)
    return [table_info(slug, counts[slug], locale(request)) for slug in TABLES]


@router.get("/catalog/tables/{slug}", response_model=RowsOut, tags=["catalog"])
def table_rows(slug: str, db: Session = Depends(get_db), _: Principal | None = Depends(public),
               on: dt.date | None = Query(default=None, description="Only the rows in force on this date"),
               q: str | None = Query(default=None, max_length=100), limit: int = Query(default=200, ge=1, le=5000), offset: int = Query(default=0, ge=0)):
    s = service.spec(slug)
    total, rows = service.list_rows(db, slug, on_date=on, q=q, limit=limit, offset=offset)
    out = []
    for r in rows:
        values = {k: format_decimal(v) if isinstance(v, Decimal) else plain(v) for k, v in s.file_values(r).items()}
        values["id"] = r.id
        if s.versioned:
            values["superseded_by_id"] = r.superseded_by_id
        out.append(values)
    return {"table": slug, "total": total, "rows": out}


@router.get("/catalog/tables/{slug}/export", tags=["catalog"], response_class=Response)
def export(slug: str, request: Request, format: Literal["xlsx", "csv"] = "xlsx", db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """The whole table (every version) in the import format."""
    content, media, name = service.export_table(db, slug, format, locale(request))
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/catalog/tables/{slug}/import", response_model=ImportOut, tags=["catalog"],
             responses={422: {"description": "problem+json naming /rows/{line}/{column}, or with error_file=true the file with an error column"}})
async def import_table(slug: str, request: Request, file: UploadFile = File(...), dry_run: bool = False, error_file: bool = False,
                       db: Session = Depends(get_db), principal: Principal = Depends(require("catalog.write"))):
    """Validate the whole file, then add its rows as new versions; any error changes nothing."""
    service.spec(slug)
    content = await read_upload(request, file)
    try:
        outcome = service.import_table(db, slug, content, file.filename, dry_run=dry_run)
    except service.ImportRejected as exc:
        db.rollback()
        made = service.error_file(exc, locale(request)) if error_file else None
        if made is None:
            raise
        body, media = made
        ext = "xlsx" if media.startswith("application/vnd") else "csv"
        return Response(body, status_code=422, media_type=media, headers={"Content-Disposition": f'attachment; filename="errors-{slug}.{ext}"'})
    if not dry_run:
        db.commit()
    return outcome.as_dict()


async def read_upload(request: Request, file: UploadFile) -> bytes:
    limit = request.app.state.settings.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise Problem(413, "too-large", "The request could not be processed.", N_("The file is larger than {limit} bytes."), limit=limit)
    return content


# --- look-ups -------------------------------------------------------------------------------

def _waste_out(db: Session, info: service.WasteCodeInfo, on: dt.date | None) -> dict:
    category = service.category_for_waste_code(db, info.code, on) if info.level == "code" else None
    return {**info.__dict__, "epr_category": category}


@router.get("/catalog/waste-codes", response_model=list[WasteCodeOut], tags=["catalog"])
def waste_codes(db: Session = Depends(get_db), _: Principal | None = Depends(public), on: dt.date | None = None,
                q: str | None = Query(default=None, max_length=100), chapter: str | None = Query(default=None, pattern=r"^\d{2}( \d{2})?$")):
    rows = service.waste_codes(db, on, q, chapter)
    return [_waste_out(db, service.get_waste_code(db, r.code, on), on) for r in rows if not r.radioactive]


@router.get("/catalog/waste-codes/{code}", response_model=WasteCodeOut, tags=["catalog"])
def waste_code(code: str, db: Session = Depends(get_db), _: Principal | None = Depends(public), on: dt.date | None = None):
    """A classifier entry; 404 when unknown, 422 when radioactive (outside this system)."""
    try:
        info = service.get_waste_code(db, code, on, pointer="/code")
    except Problem as exc:
        if exc.code == "unknown-waste-code":
            raise not_found("Waste code {waste_code} is not in the classifier in force on {date}.", **exc.params) from None
        raise
    return _waste_out(db, info, on)


@router.get("/catalog/hs/{hs_code}", response_model=HsOut, tags=["catalog"])
def hs(hs_code: str, db: Session = Depends(get_db), _: Principal | None = Depends(public), on: dt.date | None = None):
    """The EPR product group of an HS (ТН ВЭД) code, if it is under EPR."""
    match = service.product_group_for_hs(db, hs_code, on, pointer="/hs_code")
    if match is None:
        from qaldyq.catalog.columns import normalize_hs

        return {"hs_code": normalize_hs(hs_code), "under_epr": False}
    return {**match.__dict__, "under_epr": True}


@router.get("/catalog/mrp/{year}", tags=["catalog"])
def mrp(year: int, db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    return {"year": year, "value_kzt": format(service.mrp(db, year), "f")}


@router.get("/catalog/reference-mass", tags=["catalog"])
def reference_mass(product_group: str = Query(max_length=40), item: str = Query(default="", max_length=120), on: dt.date | None = None,
                   db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """The average unit and packaging mass (Order No. 448); 422 `no-reference-mass` when the
    reference book gives none."""
    return plain(service.reference_mass(db, product_group, item, on).__dict__)


# --- simulator ------------------------------------------------------------------------------

def _scenario(body: SimulatorIn) -> simulator.Scenario:
    return simulator.Scenario(
        body.date,
        [simulator.ProductLine(**p.model_dump()) for p in body.products],
        [simulator.VehicleLine(**v.model_dump()) for v in body.vehicles],
    )


def simulation_out(result: dict, loc: str) -> dict:
    out = plain(result)
    out["notes"] = [translate(loc, msgid, **params) for msgid, params in result["notes"]]
    for s in out["streams"]:
        s["label"] = translate(loc, s["label"])
    return out


@router.get("/epr/simulator/defaults", tags=["epr"])
def simulator_defaults(request: Request, date: dt.date = dt.date(2024, 7, 1), db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """The default scenario (2023 volumes, the rates in force on `date`) and its assumptions."""
    sc = simulator.default_scenario(date)
    return plain({
        "scenario": {"date": sc.on_date, "products": [p.__dict__ for p in sc.products], "vehicles": [v.__dict__ for v in sc.vehicles]},
        "assumptions": [translate(locale(request), a) for a in simulator.DEFAULT_ASSUMPTIONS],
        "per_tonne": simulator.per_tonne(db, date),
    })


@router.post("/epr/simulator", tags=["epr"])
def simulate(body: SimulatorIn, request: Request, db: Session = Depends(get_db), _: Principal | None = Depends(public)):
    """Fee income against payout obligations per stream, the cross-subsidy, and the change from
    the rates in force when a line overrides a rate."""
    return simulation_out(simulator.simulate(db, _scenario(body)), locale(request))
