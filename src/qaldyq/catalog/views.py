"""Pages: the reference tables (browse, export, import), the fee and payout calculator, the
working-day calendar and the EPR fund simulator. All but the import are public."""

from __future__ import annotations

import calendar as cal
import datetime as dt
from decimal import Decimal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from qaldyq.catalog import charts, service, simulator
from qaldyq.catalog.api import run_quote
from qaldyq.catalog.calendar import _info, _overrides
from qaldyq.catalog.schemas import QuoteIn, SimulatorIn
from qaldyq.catalog.tables import CHOICE_LABELS, GROUPS, TABLES, VEHICLE_CATEGORIES
from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import Problem, pydantic_field_errors, render_field_error
from qaldyq.core.i18n import N_, Translator
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)

NAV = [
    NavItem(N_("Reference catalogue"), "/catalog", "public", order=60),
    NavItem(N_("Fee calculator"), "/calculator", "public", order=61),
    NavItem(N_("Working-day calendar"), "/calendar", "public", order=62),
    NavItem(N_("EPR fund simulator"), "/simulator", "public", order=63),
]
CSS = "/static/css/catalog.css"
PAGE = 100


def _loc(request: Request) -> str:
    return getattr(request.state, "locale", "kk")


THIN = "\u202f"


def money(value) -> str:
    """1234567.8 -> "1 234 567.80" (thin spaces group the thousands)."""
    if value is None:
        return "—"
    q = Decimal(value).quantize(Decimal("0.01"))
    whole, _, frac = f"{q:f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{THIN.join(groups) or '0'}.{frac}"


def billions(value) -> str:
    return f"{Decimal(value) / Decimal(1_000_000_000):.2f}"


def num(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


HELPERS = {"money": money, "billions": billions, "num": num, "CHOICE_LABELS": CHOICE_LABELS}


def _render(request: Request, name: str, ctx: dict, status_code: int = 200):
    # HTMX swaps only successful responses: a fragment that shows errors is sent as 200 to it.
    if request.headers.get("hx-request") and name.split("/")[-1].startswith("_"):
        status_code = 200
    return render(request, name, {**HELPERS, "css": CSS, **ctx}, status_code=status_code)


# --- tables ---------------------------------------------------------------------------------

@router.get("/catalog")
def index(request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal)):
    counts = service.table_counts(db)
    groups = [(key, label, [TABLES[s] for s in TABLES if TABLES[s].group == key]) for key, label in GROUPS.items()]
    _, acts = service.list_rows(db, "legal-acts", limit=500)
    return _render(request, "catalog/index.html", {"groups": groups, "counts": counts, "acts": acts, "act_label": service.act_label})


def _status(row, today: dt.date) -> str:
    if getattr(row, "valid_from", None) is None:
        return ""
    if row.valid_from > today:
        return "future"
    if row.valid_to is not None and row.valid_to < today:
        return "superseded" if row.superseded_by_id else "expired"
    return "in_force"


@router.get("/catalog/tables/{slug}")
def table_page(slug: str, request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal),
               on: dt.date | None = None, q: str | None = Query(default=None, max_length=100), page: int = Query(default=1, ge=1, le=10000)):
    s = service.spec(slug)
    total, rows = service.list_rows(db, slug, on_date=on, q=q, limit=PAGE, offset=(page - 1) * PAGE)
    loc = _loc(request)
    columns = [c for c in s.columns if not (c.name.endswith(("_kk", "_ru", "_en")) and not c.name.endswith(f"_{loc}"))]
    today = service.today_almaty()
    return _render(request, "catalog/table.html", {
        "spec": s, "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE)), "on": on, "q": q or "",
        "columns": columns, "status": lambda r: _status(r, today), "values": s.file_values, "act_label": service.act_label, "act_short": service.act_short,
        "can_write": principal is not None and principal.can("catalog.write"),
    })


@router.post("/catalog/tables/{slug}/import")
async def import_page(slug: str, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("catalog.write"))):
    """HTMX: check (and unless `dry_run`) import a file; answers a fragment with the outcome."""
    from qaldyq.catalog.api import read_upload

    s = service.spec(slug)
    form = await request.form()
    upload = form.get("file")
    _ = Translator(_loc(request))
    if upload is None or not getattr(upload, "filename", ""):
        return _render(request, "catalog/_import_result.html", {"spec": s, "error": _("Choose a file to import.")}, status_code=422)
    content = await read_upload(request, upload)
    dry_run = form.get("dry_run") == "1"
    try:
        outcome = service.import_table(db, slug, content, upload.filename, dry_run=dry_run)
    except service.ImportRejected as exc:
        db.rollback()
        errors = [render_field_error(e, _loc(request)) for e in exc.errors]
        return _render(request, "catalog/_import_result.html", {"spec": s, "rejected": exc, "errors": errors}, status_code=422)
    if not dry_run:
        db.commit()
    return _render(request, "catalog/_import_result.html", {"spec": s, "outcome": outcome})


@router.post("/catalog/tables/{slug}/import-errors")
async def import_errors_file(slug: str, request: Request, db: Session = Depends(get_db), principal: Principal = Depends(require("catalog.write"))):
    """A plain form post: the uploaded file back with an error column (nothing is imported)."""
    from qaldyq.catalog.api import read_upload

    s = service.spec(slug)
    form = await request.form()
    upload = form.get("file")
    if upload is None or not getattr(upload, "filename", ""):
        return Response(status_code=303, headers={"Location": f"/catalog/tables/{slug}"})
    content = await read_upload(request, upload)
    try:
        service.import_table(db, slug, content, upload.filename, dry_run=True)
    except service.ImportRejected as exc:
        made = service.error_file(exc, _loc(request))
        if made:
            body, media = made
            ext = "xlsx" if media.startswith("application/vnd") else "csv"
            return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="errors-{slug}.{ext}"'})
        errors = [render_field_error(e, _loc(request)) for e in exc.errors]
        return _render(request, "catalog/import_errors.html", {"spec": s, "errors": errors}, status_code=422)
    finally:
        db.rollback()
    return _render(request, "catalog/import_errors.html", {"spec": s, "errors": []})


# --- calculator -----------------------------------------------------------------------------

QUOTE = TypeAdapter(QuoteIn)  # the form posts the same fields as the API
FIELDS = ("kind", "category", "engine_cc", "gross_mass_t", "power_hp", "electric", "operation", "mass_t", "date")


def _form_quote(form) -> dict:
    body = {}
    for name in FIELDS:
        value = form.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        value = value.strip()
        if name == "engine_cc":
            value = int(value) if value.isdigit() else value
        if name == "electric":
            value = value in ("1", "true", "on")
        body[name] = value
    return body


@router.get("/calculator")
def calculator(request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal)):
    return _render(request, "catalog/calculator.html", {
        "vehicle_categories": VEHICLE_CATEGORIES, "categories": service.categories(db), "today": service.today_almaty(),
    })


@router.post("/calculator")
async def calculate(request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal)):
    """HTMX: a quote with its explanation, or the errors by field."""
    form = await request.form()
    body = _form_quote(form)
    loc = _loc(request)
    try:
        quote = run_quote(db, QUOTE.validate_python(body)).to_dict(loc)
    except ValidationError as exc:
        errors = [render_field_error(e, loc) for e in pydantic_field_errors(exc.errors())]
        return _render(request, "catalog/_quote_result.html", {"errors": errors}, status_code=422)
    except Problem as exc:
        errors = exc.body(loc).get("errors") or [{"detail": exc.body(loc).get("detail")}]
        return _render(request, "catalog/_quote_result.html", {"errors": errors}, status_code=exc.status)
    return _render(request, "catalog/_quote_result.html", {"quote": quote})


# --- calendar -------------------------------------------------------------------------------

@router.get("/calendar")
def calendar_page(request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal),
                  year: int | None = Query(default=None, ge=1991, le=2100), start: dt.date | None = None,
                  days: int | None = Query(default=None, ge=-3660, le=3660)):
    today = service.today_almaty()
    year = year or today.year
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    overrides = _overrides(db, first, last)
    months = []
    for month in range(1, 13):
        weeks = []
        for week in cal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([(d, _info(d, overrides)) if d.month == month else (d, None) for d in week])
        months.append((month, weeks))
    result = None
    if start is not None and days is not None:
        result = service.add_working_days(db, start, days)
    return _render(request, "catalog/calendar.html", {
        "year": year, "months": months, "exceptions": service.year_exceptions(db, year), "today": today,
        "start": start or today, "days": days if days is not None else 20, "result": result,
        "working_count": service.working_days_between(db, first - dt.timedelta(days=1), last),
        "month_names": MONTHS, "weekday_names": WEEKDAYS,
    })


MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"), N_("August"),
          N_("September"), N_("October"), N_("November"), N_("December"))
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


# --- simulator ------------------------------------------------------------------------------

def _sim_context(request: Request, db: Session, scenario: simulator.Scenario) -> dict:
    loc = _loc(request)
    _ = Translator(loc)
    result = simulator.simulate(db, scenario)
    pt = simulator.per_tonne(db, scenario.on_date)
    per_tonne_chart = charts.paired_bars(
        _("Utilization payment and payout per tonne, tenge"),
        [(r["names"][loc], r["fee_kzt_per_t"], r["payout_kzt_per_t"], f"{r['ratio']}×" if r["ratio"] is not None else "") for r in pt],
        _("Utilization payment"), _("Operator payout"), " ₸")
    balance_chart = charts.balance_bars(_("Balance by stream, billion tenge"),
                                        [(_(s["label"]), s["balance_kzt"] / Decimal(1_000_000_000)) for s in result["streams"]])
    notes = [_(msgid, **params) for msgid, params in result["notes"]]
    return {"result": result, "per_tonne": pt, "per_tonne_chart": per_tonne_chart, "balance_chart": balance_chart, "notes": notes,
            "scenario": scenario, "assumptions": simulator.DEFAULT_ASSUMPTIONS}


@router.get("/simulator")
def simulator_page(request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal),
                   date: dt.date = dt.date(2024, 7, 1)):
    scenario = simulator.default_scenario(date)
    ctx = _sim_context(request, db, scenario)
    categories = {c.slug: c for c in service.categories(db, date)}
    vehicle_rows = {r.code: r for c in VEHICLE_CATEGORIES for r in service.vehicle_rates(db, c, date)}
    return _render(request, "catalog/simulator.html", {**ctx, "categories": categories, "vehicle_rows": vehicle_rows, "date": date})


@router.post("/simulator")
async def simulate(request: Request, db: Session = Depends(get_db), principal: Principal | None = Depends(checked_principal)):
    """HTMX: the simulation of the submitted scenario (a fragment)."""
    form = await request.form()
    loc = _loc(request)
    body = {"date": form.get("date"), "products": [], "vehicles": []}
    for i in range(100):
        category = form.get(f"p{i}_category")
        if category is None:
            break
        line = {"category": category}
        for name in ("tonnes", "collected_tonnes", "fee_kzt_per_t", "payout_mrp_per_t"):
            value = (form.get(f"p{i}_{name}") or "").strip().replace(",", ".").replace(" ", "")
            if value:
                line[name] = value
        line.setdefault("tonnes", "0")
        body["products"].append(line)
    for i in range(200):
        row = form.get(f"v{i}_row")
        if row is None:
            break
        line = {"row": row, "units": (form.get(f"v{i}_units") or "0").strip().replace(" ", "")}
        value = (form.get(f"v{i}_coefficient") or "").strip().replace(",", ".")
        if value:
            line["coefficient"] = value
        body["vehicles"].append(line)
    try:
        parsed = SimulatorIn.model_validate(body)
    except ValidationError as exc:
        errors = [render_field_error(e, loc) for e in pydantic_field_errors(exc.errors())]
        return _render(request, "catalog/_sim_result.html", {"errors": errors}, status_code=422)
    from qaldyq.catalog.api import _scenario

    try:
        ctx = _sim_context(request, db, _scenario(parsed))
    except Problem as exc:
        body = exc.body(loc)
        return _render(request, "catalog/_sim_result.html", {"errors": body.get("errors") or [{"detail": body.get("detail")}]}, status_code=exc.status)
    return _render(request, "catalog/_sim_result.html", ctx)
