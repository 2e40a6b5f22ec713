"""HTTP API of the cadastre. Reading needs `cadastre.read` (akimats and inspectors: their region;
organizations: their own sites); inputs and inventory reports their own permissions. Open data
and its format descriptions are public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session

from qaldyq.cadastre import flows as F
from qaldyq.cadastre import indicators as I
from qaldyq.cadastre import publish, report, service
from qaldyq.cadastre.indicators_def import BY_CODE
from qaldyq.cadastre.models import NATIONAL
from qaldyq.cadastre.schemas import (
    FlowOut, IndicatorInputIn, IndicatorInputOut, IndicatorOut, InventoryIn, InventoryOutcome, QualityOut, ReconRow, TargetOut,
)
from qaldyq.core.auth import Principal, checked_principal, get_db, require
from qaldyq.core.errors import invalid_param, not_found, request_locale
from qaldyq.core.i18n import N_, translate

PUBLIC = {"x-qaldyq-public": True}
router = APIRouter(prefix="/cadastre", tags=["cadastre"])
Year = Annotated[int, Query(ge=2000, le=2100, description="Reporting year")]
Region = Annotated[str | None, Query(pattern="^[0-9]{9}$", description="KATO code of a region")]
MAX_UPLOAD = 5 * 1024 * 1024


def public(principal: Principal | None = Depends(checked_principal)) -> Principal | None:
    return principal


def _by(by: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in by.split(",") if p.strip())
    bad = [p for p in parts if p not in F.DIMENSIONS]
    if bad or not parts:
        raise invalid_param("by", N_("Group by one or more of {allowed}."), allowed=", ".join(F.DIMENSIONS))
    return parts


def indicator_out(row: I.Row, locale: str) -> IndicatorOut:
    t = row.target
    return IndicatorOut(
        indicator=row.indicator.code, number=row.indicator.number, name=translate(locale, row.indicator.name), year=row.year,
        region_kato=row.region,
        target=TargetOut(value_pct=t.value, version=t.version, is_fact=t.is_fact, act_number=t.act_number, act_date=t.act_date,
                         act_title=t.act_title.get(locale, t.act_title["en"])) if t else None,
        fact_pct=row.fact.value, numerator=row.fact.numerator, denominator=row.fact.denominator, status=row.status, provisional=row.provisional)


async def _upload(file: UploadFile) -> bytes:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        from qaldyq.cadastre.tabular import file_error

        raise file_error(N_("The file is larger than {mb} MB."), mb=MAX_UPLOAD // (1024 * 1024))
    return content


@router.get("/flows", response_model=list[FlowOut], summary="Waste flows of a year from the ledger")
def get_flows(year: Year, by: str = Query(default="region", description="Comma-separated: region, waste_code, hazard, generator_type"),
              region: Region = None, principal: Principal = Depends(require("cadastre.read")), db: Session = Depends(get_db)):
    region = service.region_scope(principal, "cadastre.read", region)
    rows = F.flows(db, year, _by(by), region=region, organization_id=service.org_scope(principal, "cadastre.read"))
    return [r.as_dict() for r in rows]


@router.get("/indicators", response_model=list[IndicatorOut], summary="Plan against fact of every indicator for a year")
def get_indicators(request: Request, year: Year, region: Region = None, principal: Principal = Depends(require("cadastre.read")),
                   db: Session = Depends(get_db)):
    region = service.region_scope(principal, "cadastre.read", region) or NATIONAL
    return [indicator_out(r, request_locale(request)) for r in I.scorecard(db, year, region)]


@router.get("/indicators/{code}/series", response_model=list[IndicatorOut], summary="One indicator over the years")
def get_series(code: str, request: Request, year_from: Year = 2025, year_to: Year = 2030, region: Region = None,
               principal: Principal = Depends(require("cadastre.read")), db: Session = Depends(get_db)):
    if code not in BY_CODE:
        raise not_found(N_("Unknown indicator {indicator}."), indicator=code)
    if year_to < year_from or year_to - year_from > 30:
        raise invalid_param("year_to", N_("The last year must follow the first, at most 30 years later."))
    region = service.region_scope(principal, "cadastre.read", region) or NATIONAL
    return [indicator_out(r, request_locale(request)) for r in I.series(db, code, range(year_from, year_to + 1), region)]


@router.get("/targets", summary="Targets of every indicator with their acts", openapi_extra=PUBLIC)
def get_targets(request: Request, viewer: Principal | None = Depends(public), db: Session = Depends(get_db)):
    locale = request_locale(request)
    return {code: {str(y): TargetOut(value_pct=t.value, version=t.version, is_fact=t.is_fact, act_number=t.act_number, act_date=t.act_date,
                                     act_title=t.act_title.get(locale, t.act_title["en"])).model_dump(mode="json")
                   for y, t in I.targets(db, code).items()} for code in BY_CODE}


@router.get("/inputs", response_model=list[IndicatorInputOut], summary="Entered indicator figures")
def get_inputs(indicator: str | None = None, year: Annotated[int | None, Query(ge=2000, le=2100)] = None, region: Region = None,
               principal: Principal = Depends(require("cadastre.read")), db: Session = Depends(get_db)):
    region = service.region_scope(principal, "cadastre.read", region)
    return service.list_inputs(db, indicator, year, region)


@router.post("/inputs", response_model=IndicatorInputOut, status_code=201, summary="Enter a figure (students, TOP-50 reports)")
def post_input(body: IndicatorInputIn, response: Response, principal: Principal = Depends(require("cadastre.inputs")), db: Session = Depends(get_db)):
    row, created = service.save_input(db, principal, body)
    db.commit()
    response.status_code = 201 if created else 200
    return row


@router.post("/inputs/import", summary="Import figures from CSV or XLSX (all rows or none)")
async def import_inputs(file: UploadFile = File(...), principal: Principal = Depends(require("cadastre.inputs")), db: Session = Depends(get_db)):
    outcome = service.import_inputs(db, principal, await _upload(file), file.filename)
    db.commit()
    return outcome


@router.post("/inventory", response_model=InventoryOutcome, summary="Submit inventory report lines")
def post_inventory(body: InventoryIn, principal: Principal = Depends(require("cadastre.inventory")), db: Session = Depends(get_db)):
    outcome = service.submit_inventory(db, principal, body.lines, body.source)
    db.commit()
    return outcome


@router.post("/inventory/import", response_model=InventoryOutcome, summary="Import inventory report lines from CSV or XLSX")
async def import_inventory(file: UploadFile = File(...), principal: Principal = Depends(require("cadastre.inventory")), db: Session = Depends(get_db)):
    outcome = service.import_inventory(db, principal, await _upload(file), file.filename)
    db.commit()
    return outcome


@router.get("/inventory", response_model=list[ReconRow], summary="Inventory reports of a year reconciled with the ledger")
def get_inventory(year: Year, region: Region = None, principal: Principal = Depends(require("cadastre.read")), db: Session = Depends(get_db)):
    region = service.region_scope(principal, "cadastre.read", region)
    return service.reconcile(db, year, region, service.org_scope(principal, "cadastre.read"))


@router.get("/quality", response_model=list[QualityOut], summary="What is missing or inconsistent, per region")
def get_quality(year: Year, region: Region = None, principal: Principal = Depends(require("cadastre.read")), db: Session = Depends(get_db)):
    if service.org_scope(principal, "cadastre.read") is not None:
        from qaldyq.core.errors import forbidden

        raise forbidden()
    return service.quality(db, year, service.region_scope(principal, "cadastre.read", region))


@router.get("/calendar", summary="The yearly reporting chain and what is due", openapi_extra=PUBLIC)
def get_calendar(request: Request, viewer: Principal | None = Depends(public)):
    locale = request_locale(request)
    return [{**s, "name": translate(locale, s["name"]), "due": s["due"].isoformat()} for s in service.calendar()]


@router.get("/open/{dataset}.{fmt}", summary="Open data: aggregates of a year (CSV, XLSX, JSON)", openapi_extra=PUBLIC)
def open_data(dataset: str, fmt: str, year: Year, viewer: Principal | None = Depends(public), db: Session = Depends(get_db)):
    if dataset not in publish.DATASETS or fmt not in publish.FORMATS:
        raise not_found(N_("Unknown dataset or format."))
    body = publish.render(dataset, year, publish.rows(db, dataset, year), fmt)
    return Response(body, media_type=publish.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="qaldyq-{dataset}-{year}.{fmt}"', "Cache-Control": "public, max-age=600"})


@router.get("/open/schema/{name}", summary="Format description of an open dataset", openapi_extra=PUBLIC)
def open_schema(name: str, viewer: Principal | None = Depends(public)):
    if name == "envelope.json-schema.json":
        return publish.envelope_schema()
    dataset = name.removesuffix(".schema.json")
    if dataset not in publish.DATASETS or not name.endswith(".schema.json"):
        raise not_found(N_("Unknown dataset or format."))
    return publish.schema(dataset)


@router.get("/report.{fmt}", summary="Annual report of the country or a region (PDF or XLSX, kk or ru)")
def annual_report(fmt: str, year: Year, region: Region = None, lang: str = Query(default="ru", pattern="^(kk|ru)$"),
                  principal: Principal = Depends(require("cadastre.read")), db: Session = Depends(get_db)):
    if fmt not in ("pdf", "xlsx"):
        raise not_found(N_("Unknown dataset or format."))
    if service.org_scope(principal, "cadastre.read") is not None:
        from qaldyq.core.errors import forbidden

        raise forbidden()
    region = service.region_scope(principal, "cadastre.read", region) or NATIONAL
    data = report.collect(db, year, region)
    body = report.pdf(data, lang) if fmt == "pdf" else report.xlsx(data, lang)
    media = "application/pdf" if fmt == "pdf" else publish.FORMATS["xlsx"]
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="qaldyq-report-{region}-{year}-{lang}.{fmt}"'})
