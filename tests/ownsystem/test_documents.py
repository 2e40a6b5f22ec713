"""Documents (checklist of point 3 / Appendix 2 with its conditional rules), the review rule set
and cross-checks, and the Appendix 2 report as PDF and XLSX."""

from __future__ import annotations

import io
import json
from datetime import date

from openpyxl import load_workbook

from qaldyq.ownsystem import documents
from qaldyq.ownsystem.checklist import ITEMS, MAX_FILE_BYTES, required
from qaldyq.registry.models import VerificationCertificate, WeighingInstrument
from tests.factories import make_site
from tests.ownsystem.conftest import PDF, body

API = "/api/v1/ownsystem"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _app(client, cast, **over):
    r = client.post(f"{API}/applications", json=body(**over), headers=cast.applicant.headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_conditional_rules(drive):
    producer = drive(docs=False).app
    importer = drive(docs=False, half=1, applicant_kind="importer", collection_on_site=True, standards_apply=False, other_operations=True,
                     section_c=[{"product_name": "Шины", "produced_t": "0", "imported_t": "150.000"}]).app
    need = lambda app: {i.code for i in ITEMS if required(i, app)}  # noqa: E731
    assert {"4", "5c", "6a", "6b", "6c"} <= need(producer) and "7" not in need(producer) and "9" not in need(producer)
    assert not {"4", "5c", "6a", "6b", "6c"} & need(importer)  # transport waived on site; sales only for producers
    assert "7" in need(importer)
    assert documents.missing(producer) == ["1", "2", "3a", "3b", "3c", "3d", "4", "5a", "5b", "5c", "5d", "6a", "6b", "6c"]


def test_upload_checks_type_size_and_metadata(client, cast):
    a = _app(client, cast)
    url = f"{API}/applications/{a['id']}/documents"
    h = {**cast.applicant.headers, "Accept-Language": "kk"}
    r = client.post(url, data={"item": "3a", "meta": json.dumps({"date": "2025-09-01", "number": "АПП-17", "mass_t": "12.5"})},
                    files={"file": ("akt.pdf", PDF, "application/pdf")}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "application/pdf" and r.json()["meta"] == {"date": "2025-09-01", "number": "АПП-17", "mass_t": "12.500"}
    # a program renamed to .pdf: refused by content
    r = client.post(url, data={"item": "1"}, files={"file": ("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/file" and r.json()["errors"][0]["code"] == "wrong-type"
    r = client.post(url, data={"item": "1"}, files={"file": ("big.pdf", PDF + b"0" * MAX_FILE_BYTES, "application/pdf")}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "too-large"
    r = client.post(url, data={"item": "3a", "meta": json.dumps({"mass_t": "-1", "colour": "red"})}, files={"file": ("a.png", PNG, "image/png")}, headers=h)
    assert r.status_code == 422 and {e["pointer"] for e in r.json()["errors"]} == {"/meta/mass_t", "/meta/colour"}
    r = client.post(url, data={"item": "99"}, files={"file": ("a.png", PNG, "image/png")}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/item"
    r = client.post(url, data={"item": "1"}, files={"file": ("a.png", PNG, "image/png")}, headers=cast.other.headers)
    assert r.status_code == 404
    listed = client.get(url, headers=cast.applicant.headers).json()
    row = next(x for x in listed if x["code"] == "3a")
    assert row["present"] and row["required"] and len(row["documents"]) == 1
    assert [x["code"] for x in listed if x["present"]] == ["3a"]


def test_instrument_by_reference_and_certificate_check(client, db, cast):
    site = make_site(db, cast.applicant.org, site_type="recycler")
    scale = WeighingInstrument(site_id=site.id, name="Весы автомобильные", instrument_type="truck_scale", serial_number="ВА-100", year_made=2019)
    db.add(scale)
    db.flush()
    db.add(VerificationCertificate(instrument_id=scale.id, number="KZ-1", issuer="КазИнМетр", valid_from=date(2025, 3, 1), valid_to=date(2025, 11, 30)))
    db.flush()
    a = _app(client, cast)
    r = client.post(f"{API}/applications/{a['id']}/references", json={"item": "3c", "ref": str(scale.id)}, headers=cast.applicant.headers)
    assert r.status_code == 201, r.text
    assert r.json()["ref_kind"] == "instrument" and r.json()["ref_value"] == str(scale.id)
    r = client.post(f"{API}/applications/{a['id']}/references", json={"item": "3c", "ref": "999999"}, headers=cast.applicant.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/ref"
    r = client.post(f"{API}/applications/{a['id']}/references", json={"item": "1", "ref": "1"}, headers=cast.applicant.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "no-reference"
    res = client.get(f"{API}/applications/{a['id']}/review", headers=cast.operator.headers).json()
    by = {x["code"]: x for x in res["results"]}
    # the certificate ends on 30 November: it does not cover the second half-year of 2025
    assert by["certificates_cover_half_year"]["passed"] is False and by["certificates_cover_half_year"]["detail"]["uncovered"] == [scale.id]
    # recycled 144.750 t against 150.000 t placed on the market with the default ratio 1
    assert by["recycled_vs_placed"]["passed"] is False and by["recycled_vs_placed"]["detail"]["required_t"] == "150.000"
    assert by["customs_match"]["passed"] is None and res["suggested_conclusion"] == "not_conforms"
    assert client.get(f"{API}/applications/{a['id']}/review", headers=cast.applicant.headers).status_code == 403
    # the authorized body lowers the share to 0.9: 135 t needed, 144.75 recycled
    assert client.put(f"{API}/rules/recycled_vs_placed", json={"params": {"min_ratio": "0.9"}}, headers=cast.operator.headers).status_code == 403
    r = client.put(f"{API}/rules/recycled_vs_placed", json={"params": {"min_ratio": "0.9"}}, headers=cast.authority.headers)
    assert r.status_code == 200 and r.json()["params"] == {"min_ratio": "0.9"}
    r = client.put(f"{API}/rules/recycled_vs_placed", json={"params": {"min_ratio": "-2"}}, headers=cast.authority.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/params/min_ratio"
    by = {x["code"]: x for x in client.get(f"{API}/applications/{a['id']}/review", headers=cast.operator.headers).json()["results"]}
    assert by["recycled_vs_placed"]["passed"] is True and by["recycled_vs_placed"]["detail"]["required_t"] == "135.000"


def test_customs_cross_check(drive, db):
    from qaldyq.ownsystem import review

    d = drive(applicant_kind="importer", section_c=[{"product_name": "Шины", "produced_t": "0", "imported_t": "150.000"}])
    d.app.srb_items = [{"product_group": "tyres", "item": "", "mass_t": "160.000"}]
    by = {x["code"]: x for x in review.evaluate(db, d.app)}
    # the line names no product group: the totals are compared, within 5 % of the customs mass
    assert by["customs_match"]["passed"] is False and by["customs_match"]["detail"] == {
        "source": "srb", "declared_t": "150.000", "customs_t": "160.000", "tolerance_t": "8.000"}
    d.app.srb_items = [{"product_group": "tyres", "item": "", "mass_t": "155.000"}]
    assert {x["code"]: x for x in review.evaluate(db, d.app)}["customs_match"]["passed"] is True


def test_customs_cross_check_per_product_group(drive, db):
    """With product groups on the lines, each group is compared: the totals agree (150 t) but
    20 t of batteries are declared as tyres."""
    from qaldyq.ownsystem import review

    d = drive(applicant_kind="importer", section_d={"placed_t": "150.000", "recycled_t": "144.750"}, section_c=[
        {"product_name": "Шины", "product_group": "rubber", "produced_t": "0", "imported_t": "120.000"},
        {"product_name": "Аккумуляторы", "product_group": "accumulators", "produced_t": "0", "imported_t": "30.000"}])
    d.app.srb_items = [{"product_group": "rubber", "item": "", "mass_t": "100.000"}, {"product_group": "accumulators", "item": "", "mass_t": "50.000"}]
    got = {x["code"]: x for x in review.evaluate(db, d.app)}["customs_match"]
    assert got["passed"] is False and got["detail"]["declared_t"] == got["detail"]["customs_t"] == "150.000"
    assert got["detail"]["groups"] == [{"product_group": "accumulators", "declared_t": "30.000", "customs_t": "50.000", "passed": False},
                                       {"product_group": "rubber", "declared_t": "120.000", "customs_t": "100.000", "passed": False}]
    d.app.srb_items = [{"product_group": "rubber", "item": "", "mass_t": "118.000"}, {"product_group": "accumulators", "item": "", "mass_t": "31.000"}]
    assert {x["code"]: x for x in review.evaluate(db, d.app)}["customs_match"]["passed"] is True  # 2 t ≤ 5.9 t, 1 t ≤ 1.55 t


def test_appendix2_report_pdf_and_xlsx(client, cast):
    a = _app(client, cast)
    client.post(f"{API}/applications/{a['id']}/documents", data={"item": "1"}, files={"file": ("r.pdf", PDF, "application/pdf")}, headers=cast.applicant.headers)
    r = client.get(f"{API}/applications/{a['id']}/report.pdf", params={"lang": "kk"}, headers=cast.operator.headers)
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
    r = client.get(f"{API}/applications/{a['id']}/report.xlsx", params={"lang": "ru"}, headers=cast.applicant.headers)
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[2][1] == a["org_name"] and values[3][1] == a["org_bin"]
    first = next(v for v in values if v[0] and str(v[0]).startswith("1) "))
    assert first[1] == "Имеется"
    assert next(v for v in values if v[0] and str(v[0]).startswith("2) "))[1] == "Отсутствует"
    assert client.get(f"{API}/applications/{a['id']}/report.pdf", params={"lang": "de"}, headers=cast.operator.headers).status_code == 422
