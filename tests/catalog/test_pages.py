"""The pages, in Kazakh, Russian and English; import through the page for the authorized body."""

from __future__ import annotations

import pytest

from tests.catalog.conftest import count, csv_bytes

HTML = {"accept": "text/html"}
PAGES = ["/catalog", "/catalog/tables/waste-codes", "/catalog/tables/vehicle-rates?on=2025-01-01", "/catalog/tables/legal-acts",
         "/catalog/tables/reference-masses", "/calculator", "/calendar?year=2024&start=2024-03-19&days=5", "/simulator"]


@pytest.mark.parametrize("lang,marker", [("kk", "Анықтамалық"), ("ru", "Справочник"), ("en", "Reference catalogue")])
def test_pages_in_three_languages(client, lang, marker):
    for url in PAGES:
        r = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}", headers=HTML)
        assert r.status_code == 200, (url, r.text[:300])
        assert f'<html lang="{lang}">' in r.text
    index = client.get(f"/catalog?lang={lang}", headers=HTML).text
    assert marker in index


def test_table_page_shows_versions_and_hazard(client):
    page = client.get("/catalog/tables/waste-codes?q=16 06&lang=en", headers=HTML).text
    assert "16 06 01<span class=\"haz\"" in page
    assert "lead batteries" in page
    page = client.get("/catalog/tables/vehicle-rates?lang=ru", headers=HTML).text
    assert "Свыше 3 001 см3" in page and "in force" not in page


def test_calendar_page_computes_a_deadline(client):
    page = client.get("/calendar?year=2024&start=2024-03-19&days=5&lang=en", headers=HTML).text
    assert "29.03.2024" in page
    assert ">249<" in page


def test_calculator_fragment(client):
    r = client.post("/calculator?lang=en", data={"kind": "payout", "category": "packaging-polymer", "operation": "processing", "mass_t": "12.5", "date": "2025-02-01"})
    assert r.status_code == 200
    # 12.5 × 1.79 × 3,932 = 87,978.50
    assert "87\u202f978.50" in r.text
    r = client.post("/calculator?lang=en", data={"kind": "vehicle", "category": "N3", "gross_mass_t": "60", "date": "2025-02-01"}, headers={"HX-Request": "true"})
    assert r.status_code == 200  # an HTMX fragment with errors is still swapped in
    assert "No band of Table 12 covers 60 t for category N3." in r.text
    r = client.post("/calculator?lang=en", data={"kind": "vehicle", "category": "N3", "gross_mass_t": "60", "date": "2025-02-01"})
    assert r.status_code == 422


def test_simulator_fragment(client):
    form = {"date": "2024-07-01", "p0_category": "packaging-paper", "p0_tonnes": "100", "p0_fee_kzt_per_t": "42827.20"}
    r = client.post("/simulator?lang=en", data=form)
    assert r.status_code == 200
    assert "<svg" in r.text and "changed" in r.text
    r = client.post("/simulator?lang=en", data={"date": "2024-07-01", "p0_category": "paper", "p0_tonnes": "1"}, headers={"HX-Request": "true"})
    assert "Unknown waste category paper" in r.text


def test_import_through_the_page(client, db, authority):
    page = client.get("/catalog/tables/mrp?lang=en", headers={**HTML, **authority}).text
    assert "Import a new version" in page
    anonymous = client.get("/catalog/tables/mrp?lang=en", headers=HTML).text
    assert "Import a new version" not in anonymous
    content = csv_bytes(["value_kzt", "act", "valid_from", "valid_to"], [["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31"]])
    r = client.post("/catalog/tables/mrp/import?lang=en", headers=authority, files={"file": ("mrp.csv", content)}, data={"dry_run": "1"})
    assert r.status_code == 200 and "The file is valid; nothing was written" in r.text
    assert count(db, "mrp") == 3
    r = client.post("/catalog/tables/mrp/import?lang=en", headers=authority, files={"file": ("mrp.csv", content)})
    assert "Imported." in r.text and "1 new rows" in r.text
    bad = csv_bytes(["value_kzt", "act", "valid_from"], [["x", "law-2025-239-viii", "2028-01-01"]])
    r = client.post("/catalog/tables/mrp/import?lang=en", headers={**authority, "HX-Request": "true"}, files={"file": ("mrp.csv", bad)})
    assert r.status_code == 200 and "/rows/2/value_kzt" in r.text
    r = client.post("/catalog/tables/mrp/import-errors", headers=authority, files={"file": ("mrp.csv", bad)})
    assert r.headers["content-type"].startswith("text/csv")
    assert "value_kzt: Must be a number." in r.content.decode("utf-8-sig")


def test_page_import_is_refused_to_others(client, as_role):
    headers, _, _ = as_role("operator")
    r = client.post("/catalog/tables/mrp/import", headers=headers, files={"file": ("mrp.csv", b"x")})
    assert r.status_code == 403
    r = client.post("/catalog/tables/mrp/import", files={"file": ("mrp.csv", b"x")}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
