"""Open data: aggregates only, as CSV, XLSX and JSON, in the format described by the Table
Schema files shipped in `opendata/` (the JSON envelope by `opendata/envelope.json-schema.json`).

Only region-level sums are published. A region x waste-code cell behind which fewer than
MIN_ORGANIZATIONS organizations stand would disclose one company's figures: its numbers are left
empty and `suppressed` is true (the national and regional totals still include them).
"""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

from openpyxl import Workbook
from sqlalchemy.orm import Session

from qaldyq.cadastre.flows import flows
from qaldyq.cadastre.indicators import Calculator, scorecard
from qaldyq.cadastre.models import NATIONAL
from qaldyq.core.i18n import N_
from qaldyq.registry.regions import REGIONS

MIN_ORGANIZATIONS = 3
# the titles of the Table Schema files, for translation on the open-data page
TITLES = (N_("State Cadastre of Waste: waste flows by year, region, waste code and hazard"),
          N_("National target indicators: plan against fact by year and region"))
DATASETS = ("flows", "indicators")
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def schema(name: str) -> dict:
    return json.loads(resources.files("qaldyq.cadastre.opendata").joinpath(f"{name}.schema.json").read_text("utf-8"))


def envelope_schema() -> dict:
    return json.loads(resources.files("qaldyq.cadastre.opendata").joinpath("envelope.json-schema.json").read_text("utf-8"))


def flow_rows(db: Session, year: int) -> list[dict]:
    out = []
    for r in flows(db, year, by=("region", "waste_code", "hazard")):
        hidden = len(r.organizations) < MIN_ORGANIZATIONS
        row = {"year": year, "region_kato": r.keys["region"], "waste_code": r.keys["waste_code"], "hazard": r.keys["hazard"]}
        for f in ("generated", "collected", "processed", "disposed", "exported", "stock"):
            row[f + "_kg"] = None if hidden else max(getattr(r, f), 0)
        row["suppressed"] = hidden
        out.append(row)
    return out


def indicator_rows(db: Session, year: int) -> list[dict]:
    calc = Calculator(db)
    out = []
    for region in (NATIONAL, *[r[0] for r in REGIONS]):
        for row in scorecard(db, year, region, calc):
            out.append({"year": year, "region_kato": region, "indicator": row.indicator.code,
                        "target_pct": float(row.target.value) if row.target else None,
                        "fact_pct": float(row.fact.value) if row.fact.value is not None else None,
                        "status": row.status, "provisional": row.provisional,
                        "act": f"No. {row.target.act_number} of {row.target.act_date.isoformat()}" if row.target else None})
    return out


def rows(db: Session, dataset: str, year: int) -> list[dict]:
    return flow_rows(db, year) if dataset == "flows" else indicator_rows(db, year)


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def render(dataset: str, year: int, data: list[dict], fmt: str) -> bytes:
    fields = [f["name"] for f in schema(dataset)["fields"]]
    if fmt == "json":
        body = {"dataset": schema(dataset)["name"], "version": schema(dataset)["version"], "year": year, "schema": f"{dataset}.schema.json",
                "rows": data}
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(fields)
        for r in data:
            w.writerow([_cell(r[f]) for f in fields])
        return buf.getvalue().encode("utf-8")
    wb = Workbook()
    ws = wb.active
    ws.title = dataset
    ws.append(fields)
    for r in data:
        ws.append([_cell(r[f]) if isinstance(r[f], bool) else r[f] for f in fields])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
