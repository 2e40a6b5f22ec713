"""Import and export of every table as XLSX and CSV; the error file; who may import."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from qaldyq.catalog.tables import LOAD_ORDER, TABLES
from tests.catalog.conftest import count, csv_bytes, read_csv

MRP_HEADER = ["value_kzt", "act", "valid_from", "valid_to", "source"]


@pytest.mark.parametrize("slug", LOAD_ORDER)
def test_export_then_import_changes_nothing(client, db, authority, slug):
    for fmt in ("csv", "xlsx"):
        r = client.get(f"/api/v1/catalog/tables/{slug}/export", params={"format": fmt})
        assert r.status_code == 200
        assert f"qaldyq-{slug}-" in r.headers["content-disposition"]
        before = count(db, slug)
        up = client.post(f"/api/v1/catalog/tables/{slug}/import", headers=authority, files={"file": (f"{slug}.{fmt}", r.content)})
        assert up.status_code == 200, up.text
        body = up.json()
        assert body == {"table": slug, "rows": before, "created": 0, "superseded": 0, "closed": 0, "unchanged": before, "dry_run": False}


def test_csv_export_has_the_import_columns(client):
    rows = read_csv(client.get("/api/v1/catalog/tables/payout-rates/export?format=csv").content)
    assert list(rows[0]) == [c.name for c in TABLES["payout-rates"].all_columns]
    glass = next(r for r in rows if r["category"] == "packaging-glass" and r["operation"] == "collection")
    assert glass == {"category": "packaging-glass", "operation": "collection", "rate_mrp": "7.66", "act": "gov-res-2023-1250",
                     "valid_from": "2024-01-01", "valid_to": "", "source": "Table 10: «Стеклянная упаковка», сбор"}


def test_xlsx_export_has_a_sheet_explaining_the_columns(client):
    r = client.get("/api/v1/catalog/tables/waste-codes/export?format=xlsx&lang=ru")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["waste-codes", "columns"]
    header = [c.value for c in wb["waste-codes"][1]]
    assert header[:5] == ["code", "name_kk", "name_ru", "name_en", "radioactive"]
    codes = [row[0] for row in wb["waste-codes"].iter_rows(min_row=2, values_only=True)]
    assert "16 06 01*" in codes and "15 01 01" in codes
    doc = list(wb["columns"].iter_rows(values_only=True))
    assert doc[0][0] == "Столбец"


def test_import_a_new_mrp_as_authority(client, db, authority):
    content = csv_bytes(MRP_HEADER, [["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", "illustration"]])
    r = client.post("/api/v1/catalog/tables/mrp/import", headers=authority, files={"file": ("mrp.csv", content)})
    assert r.status_code == 200
    assert r.json()["created"] == 1
    assert client.get("/api/v1/catalog/mrp/2027").json() == {"year": 2027, "value_kzt": "4600.00"}


def test_dry_run_writes_nothing(client, db, authority):
    content = csv_bytes(MRP_HEADER, [["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", ""]])
    r = client.post("/api/v1/catalog/tables/mrp/import?dry_run=true", headers=authority, files={"file": ("mrp.csv", content)})
    assert r.json()["created"] == 1 and r.json()["dry_run"] is True
    assert count(db, "mrp") == 3


def test_semicolon_csv_in_windows_1251_as_excel_saves_it(client, db, authority):
    text = "day;kind;name_kk;name_ru;name_en;act;valid_from\n2027-01-08;day_off;Демалыс;Выходной день;Day off;order-2024-109-labour;2026-12-01\n"
    r = client.post("/api/v1/catalog/tables/calendar-days/import", headers=authority, files={"file": ("days.csv", text.encode("cp1251"))})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/calendar/days/2027-01-08?lang=ru").json()["name"] == "Выходной день"


def test_xlsx_import_with_dates_and_numbers_as_excel_types(client, db, authority):
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    ws.append(MRP_HEADER)
    ws.append([4600, "law-2025-239-viii", datetime(2027, 1, 1), datetime(2027, 12, 31), None])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/api/v1/catalog/tables/mrp/import", headers=authority, files={"file": ("mrp.xlsx", buf.getvalue())})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1


def test_refused_file_names_rows_and_changes_nothing(client, db, authority):
    content = csv_bytes(MRP_HEADER, [
        ["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", ""],
        ["abc", "law-2025-239-viii", "2028-01-01", "2028-12-31", ""],
        ["4700", "no-such-act", "2029-01-01", "", ""],
        ["4800", "law-2025-239-viii", "2026-06-01", "2026-09-30", ""],
    ])
    r = client.post("/api/v1/catalog/tables/mrp/import", headers={**authority, "Accept-Language": "ru"}, files={"file": ("mrp.csv", content)})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "urn:qaldyq:problem:import-rejected"
    assert [e["pointer"] for e in body["errors"]] == ["/rows/3/value_kzt", "/rows/4/act", "/rows/5/valid_from"]
    assert body["errors"][0]["detail"] == "Должно быть число."
    assert count(db, "mrp") == 3


def test_error_file_back_as_csv_and_xlsx(client, db, authority):
    content = csv_bytes(MRP_HEADER, [["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", ""], ["-5", "law-2025-239-viii", "2028-01-01", "", ""]])
    r = client.post("/api/v1/catalog/tables/mrp/import?error_file=true", headers=authority, files={"file": ("mrp.csv", content)})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/csv")
    rows = read_csv(r.content)
    assert [row["error"] for row in rows] == ["", "value_kzt: Must be at least 1."]
    # an error file can be corrected and sent again: its error column is ignored
    fixed = r.content.decode("utf-8-sig").replace("-5,", "4700,").encode()
    ok = client.post("/api/v1/catalog/tables/mrp/import", headers=authority, files={"file": ("mrp.csv", fixed)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["created"] == 2

    wb = Workbook()
    ws = wb.active
    ws.append(["code", "kind", "issuer_kk", "issuer_ru", "issuer_en", "number", "act_date", "title_kk", "title_ru", "title_en"])
    ws.append(["new act", "order", "x", "x", "x", "1", "2026-01-01", "x", "x", "x"])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/api/v1/catalog/tables/legal-acts/import?error_file=true", headers={**authority, "Accept-Language": "kk"}, files={"file": ("acts.xlsx", buf.getvalue())})
    assert r.status_code == 422
    out = load_workbook(io.BytesIO(r.content))
    rows = list(out.active.iter_rows(values_only=True))
    assert rows[0][-1] == "error"
    assert rows[1][-1].startswith("code: ")
    assert out.active.cell(2, 1).fill.fgColor.rgb.endswith("F8D7D4")


@pytest.mark.parametrize("content,name,message", [
    (b"", "x.csv", "The file is empty."),
    (b"PK\x03\x04garbage", "x.xlsx", "The file is not a readable XLSX workbook."),
    (b"value_kzt,act,valid_from,colour\n1,a,2020-01-01,red\n", "x.csv", "Unknown column colour"),
    (b"value_kzt,valid_from\n1,2020-01-01\n", "x.csv", "The required column act is missing."),
])
def test_unreadable_files(client, authority, content, name, message):
    r = client.post("/api/v1/catalog/tables/mrp/import", headers=authority, files={"file": (name, content)})
    assert r.status_code == 422
    assert message in r.json()["detail"] or any(message in e["detail"] for e in r.json()["errors"])


def test_unknown_table(client, authority):
    assert client.get("/api/v1/catalog/tables/rates").status_code == 404
    r = client.post("/api/v1/catalog/tables/rates/import", headers=authority, files={"file": ("x.csv", b"a\n1\n")})
    assert r.status_code == 404


@pytest.mark.parametrize("role,status", [("admin", 200), ("authority", 200), ("operator", 403), ("akimat", 403),
                                         ("inspector", 403), ("org_admin", 403), ("org_user", 403)])
def test_who_may_import(client, db, as_role, role, status):
    headers, _, _ = as_role(role)
    content = csv_bytes(MRP_HEADER, [["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", ""]])
    r = client.post("/api/v1/catalog/tables/mrp/import?dry_run=true", headers=headers, files={"file": ("mrp.csv", content)})
    assert r.status_code == status
    if status == 403:
        assert r.json()["type"] == "urn:qaldyq:problem:forbidden"


def test_anonymous_may_read_but_not_import(client):
    assert client.get("/api/v1/catalog/tables").status_code == 200
    assert client.get("/api/v1/catalog/tables/mrp").json()["total"] == 3
    r = client.post("/api/v1/catalog/tables/mrp/import", files={"file": ("mrp.csv", b"x")})
    assert r.status_code == 401


def test_read_only_token_may_not_import(client, db, as_role):
    from tests.factories import bearer, make_org, make_user

    org = make_org(db)
    user = make_user(db, org, "authority")
    headers = bearer(db, user, scopes=("read",))
    r = client.post("/api/v1/catalog/tables/mrp/import", headers=headers, files={"file": ("mrp.csv", b"x")})
    assert r.status_code == 403


def test_browse_rows_in_force(client):
    body = client.get("/api/v1/catalog/tables/fee-rates", params={"on": "2025-01-01"}).json()
    assert body == {"table": "fee-rates", "total": 0, "rows": []}
    body = client.get("/api/v1/catalog/tables/fee-rates", params={"on": "2024-03-01", "q": "lamps"}).json()
    assert body["total"] == 1
    assert body["rows"][0]["rate"] == "174299.3" and body["rows"][0]["unit"] == "KZT"
    tables = {t["slug"]: t for t in client.get("/api/v1/catalog/tables?lang=kk").json()}
    assert tables["waste-codes"]["rows"] == 207
    assert tables["mrp"]["title"] != "Monthly calculation index (MRP)"


def test_upload_size_limit(client, authority):
    r = client.post("/api/v1/catalog/tables/mrp/import", headers=authority, files={"file": ("big.csv", b"x" * (10 * 1024 * 1024 + 10))})
    assert r.status_code == 413
