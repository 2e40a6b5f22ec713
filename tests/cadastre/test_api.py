"""Cadastre API: role matrix, indicator inputs (validation, import), inventory reports with
reconciliation, data quality, calendar, reports."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from tests.cadastre.conftest import ALMATY, ASTANA
from tests.factories import bearer, make_user

API = "/api/v1/cadastre"


def test_role_matrix(client, db, world, as_role):
    auth, *_ = as_role("authority")
    op, *_ = as_role("operator")
    ak, *_ = as_role("akimat", roles=("akimat",), region=ALMATY)
    org_user = bearer(db, make_user(db, world.gen.organization, "org_user"))
    for h in (auth, op):
        r = client.get(f"{API}/flows?year=2026&by=region", headers=h)
        assert r.status_code == 200 and {x["region"] for x in r.json()} == {ASTANA, ALMATY}
    r = client.get(f"{API}/flows?year=2026&by=region", headers=ak)
    assert [x["region"] for x in r.json()] == [ALMATY]  # held to its region
    r = client.get(f"{API}/flows?year=2026&region={ASTANA}", headers=ak)
    assert r.status_code == 403
    r = client.get(f"{API}/flows?year=2026&by=site", headers=org_user)
    assert [x["site"] for x in r.json()] == [world.gen.id]  # its own sites only
    assert client.get(f"{API}/quality?year=2026", headers=org_user).status_code == 403
    assert client.get(f"{API}/flows?year=2026").status_code == 401
    # inputs: authority everywhere, akimat its region, operator not at all
    body = {"indicator": "students", "year": 2026, "region_kato": ASTANA, "numerator": 30, "denominator": 100, "source": "letter"}
    assert client.post(f"{API}/inputs", json=body, headers=op).status_code == 403
    r = client.post(f"{API}/inputs", json=body, headers=ak)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/region_kato"
    r = client.post(f"{API}/inputs", json={**body, "region_kato": ALMATY}, headers=ak)
    assert r.status_code == 201 and r.json()["value_pct"] == "30.00"
    r = client.post(f"{API}/inputs", json={**body, "region_kato": ALMATY, "numerator": 40}, headers=ak)
    assert r.status_code == 200 and r.json()["value_pct"] == "40.00"  # replaced


@pytest.mark.parametrize("change, pointer", [
    ({"value_pct": 101}, "/value_pct"),
    ({"value_pct": -1}, "/value_pct"),
    ({"value_pct": "abc"}, "/value_pct"),
    ({"numerator": 120}, ""),
    ({"denominator": 0}, "/denominator"),
    ({"indicator": "gdp"}, "/indicator"),
    ({"region_kato": "999999999"}, "/region_kato"),
    ({"year": 1990}, "/year"),
    ({"extra": 1}, "/extra"),
])
def test_input_refusals(client, world, as_role, change, pointer):
    auth, *_ = as_role("authority")
    body = {"indicator": "students", "year": 2026, "region_kato": ASTANA, "numerator": 30, "denominator": 100, "source": "letter", **change}
    r = client.post(f"{API}/inputs", json=body, headers={**auth, "Accept-Language": "ru"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["pointer"].startswith(pointer)
    assert client.get(f"{API}/inputs", headers=auth).json() == []  # nothing stored


def test_input_share_disagrees_and_top50_national(client, world, as_role):
    auth, *_ = as_role("authority")
    r = client.post(f"{API}/inputs", json={"indicator": "students", "year": 2026, "region_kato": ASTANA, "value_pct": "50", "numerator": 30,
                                            "denominator": 100, "source": "x1"}, headers={**auth, "Accept-Language": "kk"})
    assert r.status_code == 422 and "сәйкес келмейді" in r.json()["errors"][0]["detail"]
    r = client.post(f"{API}/inputs", json={"indicator": "top50_reports", "year": 2026, "region_kato": ASTANA, "value_pct": 20, "source": "x1"}, headers=auth)
    assert r.status_code == 422
    r = client.post(f"{API}/inputs", json={"indicator": "top50_reports", "year": 2026, "region_kato": "000000000", "numerator": 11, "denominator": 50,
                                            "source": "register"}, headers=auth)
    assert r.status_code == 201
    card = {x["indicator"]: x for x in client.get(f"{API}/indicators?year=2026", headers=auth).json()}
    assert card["top50_reports"]["fact_pct"] == "22.00" and card["top50_reports"]["target"]["value_pct"] == "20.00"
    assert card["top50_reports"]["status"] == "met"
    assert card["students"]["fact_pct"] is None and card["students"]["status"] == "no-data"


def test_input_import_csv_and_row_errors(client, world, as_role):
    auth, *_ = as_role("authority")
    good = "indicator,year,region_kato,value_pct,numerator,denominator,source\nstudents,2026,710000000,,300,1000,letter\nstudents,2026,750000000,20,,,letter\n"
    r = client.post(f"{API}/inputs/import", files={"file": ("in.csv", good.encode(), "text/csv")}, headers=auth)
    assert r.status_code == 200 and r.json() == {"rows": 2, "created": 2, "replaced": 0}
    card = {x["indicator"]: x for x in client.get(f"{API}/indicators?year=2026", headers=auth).json()}
    assert card["students"]["fact_pct"] is None  # Almaty gave a share without counts: no national sum
    bad = ("indicator,year,region_kato,value_pct,numerator,denominator,source\nstudents,2026,710000000,140,,,letter\n"
           "students,2026,710000000,10,,,letter\nstudents,2026,123,10,,,letter\n")
    r = client.post(f"{API}/inputs/import", files={"file": ("in.csv", bad.encode(), "text/csv")}, headers=auth)
    assert r.status_code == 422
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert pointers == ["/rows/2/value_pct", "/rows/4/region_kato"]
    r = client.post(f"{API}/inputs/import", files={"file": ("in.xlsx", b"PK\x03\x04garbage", "application/octet-stream")}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/file"
    r = client.post(f"{API}/inputs/import", files={"file": ("in.csv", b"a,b\n1,2\n", "text/csv")}, headers=auth)
    assert r.status_code == 422 and "indicator" in r.json()["errors"][0]["detail"]


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_inventory_submit_import_reconcile(client, db, world, as_role):
    gen_user = bearer(db, make_user(db, world.gen.organization, "org_admin"))
    other = bearer(db, make_user(db, world.gen2.organization, "org_admin"))
    auth, *_ = as_role("authority")
    line = {"site_id": world.gen.id, "year": 2025, "waste_code": "20 03 01", "generated_kg": 100_000, "transferred_kg": 90_000,
            "treated_on_site_kg": 0, "stock_end_kg": 10_000}
    r = client.post(f"{API}/inventory", json={"lines": [line]}, headers=other)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/lines/0/site_id"
    for change, pointer in (({"waste_code": "99 99 99"}, "/lines/0/waste_code"), ({"year": 2099}, "/lines/0/year"),
                            ({"generated_kg": -5}, "/lines/0/generated_kg"), ({"site_id": 10**8}, "/lines/0/site_id")):
        r = client.post(f"{API}/inventory", json={"lines": [{**line, **change}]}, headers=gen_user)
        assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == pointer, r.text
    r = client.post(f"{API}/inventory", json={"lines": [line, line]}, headers=gen_user)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "duplicate"
    r = client.post(f"{API}/inventory", json={"lines": [line]}, headers=gen_user)
    assert r.json() == {"rows": 1, "created": 1, "replaced": 0}
    content = _xlsx([["site_id", "year", "waste_code", "generated_kg", "transferred_kg", "treated_on_site_kg", "stock_end_kg"],
                     [world.gen.id, 2025, "15 01 02", 2_000, 0, 0, 2_000]])
    r = client.post(f"{API}/inventory/import", files={"file": ("inv.xlsx", content, "application/octet-stream")}, headers=gen_user)
    assert r.status_code == 200 and r.json()["created"] == 1
    rows = {x["waste_code"]: x for x in client.get(f"{API}/inventory?year=2025", headers=auth).json()}
    assert rows["20 03 01"]["status"] == "matches" and rows["20 03 01"]["ledger_stock_kg"] == 10_000
    assert rows["15 01 02"]["status"] == "differs" and rows["15 01 02"]["ledger_generated_kg"] == 1_000
    bad = _xlsx([["site_id", "year", "waste_code", "generated_kg", "transferred_kg", "treated_on_site_kg", "stock_end_kg"],
                 [world.gen.id, 2025, "20 03 01", "lots", 0, 0, 0]])
    r = client.post(f"{API}/inventory/import", files={"file": ("inv.xlsx", bad, "application/octet-stream")}, headers=gen_user)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/rows/2/generated_kg"
    quality = {q["region_kato"]: q for q in client.get(f"{API}/quality?year=2025", headers=auth).json()}
    assert quality[ASTANA]["generating_sites"] == 1 and quality[ASTANA]["reported_sites"] == 1 and quality[ASTANA]["differing_lines"] == 1
    assert quality[ALMATY]["missing_reports"] == 2 and quality[ALMATY]["reported_sites"] == 0
    # indicator 1 for 2025 in Astana: its only generating site reported
    ind = {x["indicator"]: x for x in client.get(f"{API}/indicators?year=2025&region={ASTANA}", headers=auth).json()}
    assert ind["inventory"]["fact_pct"] == "100.00"


def test_indicators_series_targets_and_calendar(client, world, as_role):
    auth, *_ = as_role("authority")
    rows = client.get(f"{API}/indicators/msw_recycling/series?year_from=2023&year_to=2029", headers=auth).json()
    assert [r["target"]["value_pct"] for r in rows] == ["24.00", "25.00", "26.00", "29.00", "32.00", "35.00", "38.00"]
    assert rows[0]["target"]["is_fact"] is True and rows[0]["fact_pct"] is None
    assert client.get(f"{API}/indicators/nope/series", headers=auth).status_code == 404
    targets = client.get(f"{API}/targets?lang=ru").json()
    assert {y: t["value_pct"] for y, t in targets["inventory"].items()} == {"2026": "0.00", "2027": "50.00", "2028": "100.00"}
    assert [targets["landfill_reduction"][str(y)]["value_pct"] for y in range(2026, 2031)] == ["2.00", "4.00", "6.00", "8.00", "10.00"]
    assert [targets["students"][str(y)]["value_pct"] for y in range(2026, 2031)] == ["25.00", "30.00", "35.00", "40.00", "45.00"]
    assert [targets["top50_reports"][str(y)]["value_pct"] for y in range(2026, 2031)] == ["20.00", "40.00", "60.00", "80.00", "100.00"]
    assert "1201" in targets["students"]["2026"]["act_title"] and "910" in targets["msw_recycling"]["2029"]["act_title"]
    cal = client.get(f"{API}/calendar").json()
    steps = {(c["reporting_year"], c["step"]): c["due"] for c in cal}
    assert steps[(2025, "implementers")] == "2026-04-01" and steps[(2025, "ministry")] == "2026-05-01" and steps[(2025, "government")] == "2026-06-15"


def test_annual_report_pdf_xlsx(client, world, as_role):
    auth, *_ = as_role("authority")
    r = client.get(f"{API}/report.pdf?year=2026&lang=kk", headers=auth)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.get(f"{API}/report.xlsx?year=2026&region={ASTANA}&lang=ru", headers=auth)
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "Годовой отчёт об управлении отходами за 2026 год" and ws["A2"].value == "город Астана"
    values = {row[0]: row[2] for row in ws.iter_rows(min_row=5, values_only=True)}
    assert values["2. Сокращение отходов, направляемых на полигоны ТБО, по сравнению с 2025 годом"] == pytest.approx(33.33)
    assert values["4. Доля обучающихся, вовлечённых в экологические мероприятия"] == "нет данных"
    assert client.get(f"{API}/report.pdf?year=2026&lang=en", headers=auth).status_code == 422
