"""Open data files validate against the format shipped in the package; no commercial detail."""

from __future__ import annotations

import csv
import io
import json
import re

import jsonschema_rs
from openpyxl import load_workbook

from qaldyq.cadastre import publish
from tests.cadastre.conftest import ASTANA
from tests.factories import make_org, make_site
from qaldyq.ledger import service as L
from tests.cadastre.conftest import at

API = "/api/v1/cadastre/open"


def check_table(schema: dict, header: list[str], rows: list[list[str]]) -> None:
    """A small Table Schema validator: names and order, types, required, enum, pattern, bounds, primary key."""
    fields = schema["fields"]
    assert header == [f["name"] for f in fields]
    keys = set()
    for row in rows:
        assert len(row) == len(fields)
        values = {}
        for f, cell in zip(fields, row):
            c = f.get("constraints", {})
            if cell in schema.get("missingValues", [""]):
                assert not c.get("required"), f["name"]
                continue
            if f["type"] == "integer":
                assert re.fullmatch(r"-?\d+", cell), (f["name"], cell)
                v = int(cell)
            elif f["type"] == "number":
                v = float(cell)
            elif f["type"] == "boolean":
                assert cell in f["trueValues"] + f["falseValues"]
                v = cell
            else:
                v = cell
            if "enum" in c:
                assert v in c["enum"], (f["name"], v)
            if "pattern" in c:
                assert re.fullmatch(c["pattern"], v), (f["name"], v)
            if "minimum" in c:
                assert v >= c["minimum"], (f["name"], v)
            if "maximum" in c:
                assert v <= c["maximum"], (f["name"], v)
            values[f["name"]] = v
        key = tuple(values.get(k) for k in schema["primaryKey"])
        assert key not in keys
        keys.add(key)


def test_files_validate_against_the_format(client, db, world):
    # three more organizations in Astana generating 20 03 01: that cell is published, others suppressed
    for i in range(3):
        org = make_org(db, name=f"ТОО Ещё {i}", region=ASTANA)
        s = make_site(db, org, "generator")
        L.record_generation(db, key=f"od{i}", site_id=s.id, waste_code="20 03 01", mass_kg=1_000, effective_at=at(2026, 2, 1))
    envelope = jsonschema_rs.validator_for(client.get(f"{API}/schema/envelope.json-schema.json").json())
    for dataset in publish.DATASETS:
        schema = client.get(f"{API}/schema/{dataset}.schema.json").json()
        assert schema == publish.schema(dataset)
        r = client.get(f"{API}/{dataset}.csv?year=2026")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(r.text)))
        check_table(schema, table[0], table[1:])
        assert len(table) > 1
        doc = client.get(f"{API}/{dataset}.json?year=2026").json()
        envelope.validate(doc)
        assert [list(r) for r in doc["rows"]][0] == [f["name"] for f in schema["fields"]]
        wb = load_workbook(io.BytesIO(client.get(f"{API}/{dataset}.xlsx?year=2026").content))
        xrows = [["" if v is None else (str(v) if not isinstance(v, float) or not v.is_integer() else str(int(v))) for v in row]
                 for row in wb.active.iter_rows(values_only=True)]
        check_table(schema, xrows[0], xrows[1:])
        assert len(xrows) == len(table)
    flows = {(r["region_kato"], r["waste_code"]): r for r in client.get(f"{API}/flows.json?year=2026").json()["rows"]}
    astana = flows[(ASTANA, "20 03 01")]
    assert astana["suppressed"] is False and astana["generated_kg"] == 100_000 + 3_000
    assert flows[(ASTANA, "01 01 01")]["suppressed"] is True and flows[(ASTANA, "01 01 01")]["generated_kg"] is None
    text = json.dumps(client.get(f"{API}/flows.json?year=2026").json(), ensure_ascii=False)
    assert "ТОО" not in text and "site" not in text  # no names, no sites
    ind = {(r["region_kato"], r["indicator"]): r for r in client.get(f"{API}/indicators.json?year=2026").json()["rows"]}
    assert ind[("000000000", "students")]["fact_pct"] is None and ind[("000000000", "students")]["status"] == "no-data"
    assert ind[(ASTANA, "landfill_reduction")]["fact_pct"] == 33.33


def test_bad_requests_and_no_data_year(client, world):
    assert client.get(f"{API}/flows.pdf?year=2026").status_code == 404
    assert client.get(f"{API}/people.csv?year=2026").status_code == 404
    assert client.get(f"{API}/flows.csv?year=1800").status_code == 422
    assert client.get(f"{API}/schema/x.json").status_code == 404
    r = client.get(f"{API}/flows.csv?year=2010")
    assert r.status_code == 200 and r.text.strip().count("\n") == 0  # header only: no rows, not zeros
    rows = client.get(f"{API}/indicators.json?year=2010").json()["rows"]
    assert all(r["fact_pct"] is None for r in rows)
