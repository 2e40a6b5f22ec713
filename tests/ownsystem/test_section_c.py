"""Section C (production and import of products) from Qaldyq's data: the customs feed of the epr
domain prefills the imports per product group, groups on the operator route are left out and
refused, the reviewer sees every difference from the customs feed and the state revenue bodies'
answer, and the answer can be taken from the feed or uploaded as XLSX."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.ownsystem.conftest import RUBBER, body

API = "/api/v1/ownsystem"


def importer(**over) -> dict:
    return body(**{"applicant_kind": "importer", "section_c": [], "section_d": {"placed_t": "0", "recycled_t": "144.750"}, **over})


def test_prefill_from_customs_per_product_group(client, cast, imports):
    r = client.get(f"{API}/prefill", params={"year": 2025, "half": 2}, headers=cast.applicant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["section_c"] == [{"product_name": RUBBER, "produced_t": "0.000", "imported_t": "30.000", "product_group": "rubber"}]
    sources = {s["product_group"]: s for s in r.json()["section_c_sources"]}
    assert sources["rubber"] == {"product_group": "rubber", "name": RUBBER, "route": "own_system", "customs_t": "30.000", "declared_t": "0.000",
                                 "prefilled": True}
    assert sources["packaging"]["route"] == "operator" and sources["packaging"]["customs_t"] == "4.000"
    assert sources["packaging"]["declared_t"] == "4.000" and sources["packaging"]["prefilled"] is False
    # another organization's data is not reachable
    assert client.get(f"{API}/prefill", params={"year": 2025, "half": 2, "organization_id": cast.applicant.org.id},
                      headers=cast.other.headers).status_code == 403
    assert client.get(f"{API}/prefill", params={"year": 2025, "half": 2}, headers=cast.other.headers).json()["section_c"] == []

    r = client.post(f"{API}/applications", json=importer(prefill=True), headers=cast.applicant.headers)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["section_c"] == [{"product_name": RUBBER, "produced_t": "0.000", "imported_t": "30.000", "product_group": "rubber"}]
    assert a["section_d"]["placed_t"] == "30.000"  # an importer's Section D is its imports
    assert client.get(f"{API}/applications/{a['id']}", headers=cast.operator.headers).json()["section_c_differences"] == []


def test_corrections_are_shown_to_the_reviewer(client, cast, imports):
    a = client.post(f"{API}/applications", json=importer(prefill=True), headers=cast.applicant.headers).json()
    line = {**a["section_c"][0], "imported_t": "28.000"}
    r = client.put(f"{API}/applications/{a['id']}", json=importer(section_c=[line], section_d={"placed_t": "28.000", "recycled_t": "144.750"}),
                   headers=cast.applicant.headers)
    assert r.status_code == 200, r.text
    assert "section_c_differences" not in r.json() or r.json()["section_c_differences"] is None  # not the applicant's view
    seen = client.get(f"{API}/applications/{a['id']}", headers=cast.operator.headers).json()
    assert seen["section_c_differences"] == [{"product_group": "rubber", "name": RUBBER, "source": "customs", "column": "imported_t",
                                              "declared_t": "28.000", "source_t": "30.000", "difference_t": "-2.000"}]
    # the review compares with the customs feed until the state revenue bodies answer: 2 t > 5 % of 30 t
    res = {x["code"]: x for x in client.get(f"{API}/applications/{a['id']}/review", headers=cast.operator.headers).json()["results"]}
    assert res["customs_match"]["passed"] is False and res["customs_match"]["detail"]["source"] == "customs"
    assert res["customs_match"]["detail"]["groups"] == [{"product_group": "rubber", "declared_t": "28.000", "customs_t": "30.000", "passed": False}]


def test_section_c_groups_are_checked(client, cast, imports):
    lines = [{"product_name": "Шины", "product_group": "rubber", "produced_t": "0", "imported_t": "30"},
             {"product_name": "Упаковка", "product_group": "packaging", "produced_t": "0", "imported_t": "4"},
             {"product_name": "Виджеты", "product_group": "widgets", "produced_t": "0", "imported_t": "1"}]
    r = client.post(f"{API}/applications", json=importer(section_c=lines, section_d={"placed_t": "35", "recycled_t": "144.750"}),
                    headers={**cast.applicant.headers, "Accept-Language": "ru"})
    assert r.status_code == 422, r.text
    errs = {e["pointer"]: e for e in r.json()["errors"]}
    assert errs["/section_c/1/product_group"]["code"] == "operator-route" and "оператора" in errs["/section_c/1/product_group"]["detail"]
    assert errs["/section_c/2/product_group"]["code"] == "unknown-product-group"
    assert client.get(f"{API}/applications", headers=cast.applicant.headers).json() == []


def _to_srb(client, cast, a):
    url = f"{API}/applications/{a['id']}/events"
    for who, ev in ((cast.applicant, {"event": "submit", "day": "2026-01-15"}), (cast.authority, {"event": "register", "day": "2026-01-16",
                                                                                                  "incoming_number": f"ЖТ-{a['id']}"}),
                    (cast.authority, {"event": "request_srb", "day": "2026-01-19"})):
        assert client.post(url, json=ev, headers=who.headers).status_code == 200


def test_srb_answer_from_the_customs_feed(client, cast, imports):
    a = client.post(f"{API}/applications", json=importer(prefill=True), headers=cast.applicant.headers).json()
    _to_srb(client, cast, a)
    assert client.post(f"{API}/applications/{a['id']}/customs/feed", json={"day": "2026-02-10"}, headers=cast.operator.headers).status_code == 403
    r = client.post(f"{API}/applications/{a['id']}/customs/feed", json={"day": "2026-02-10"}, headers=cast.authority.headers)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["history"][-1]["event"] == "srb_answer" and got["history"][-1]["day"] == "2026-02-10"
    assert got["srb_items"] == [{"product_group": "packaging", "item": "", "mass_t": "4.000", "units": None},
                                {"product_group": "rubber", "item": "", "mass_t": "30.000", "units": None}]
    assert got["mass_method"] == "srb" and got["section_c_differences"] == []  # packaging is on the operator route: not compared
    res = {x["code"]: x for x in client.get(f"{API}/applications/{a['id']}/review", headers=cast.operator.headers).json()["results"]}
    assert res["customs_match"]["passed"] is True and res["customs_match"]["detail"]["source"] == "srb"
    # recorded once
    r = client.post(f"{API}/applications/{a['id']}/customs/feed", json={}, headers=cast.authority.headers)
    assert r.status_code == 409


def test_srb_answer_from_the_feed_needs_data(client, cast):
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    _to_srb(client, cast, a)
    r = client.post(f"{API}/applications/{a['id']}/customs/feed", json={"day": "2026-02-10"}, headers=cast.authority.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "no-customs-data"


def test_srb_answer_as_xlsx_with_a_difference(client, cast, imports):
    a = client.post(f"{API}/applications", json=importer(prefill=True), headers=cast.applicant.headers).json()
    _to_srb(client, cast, a)
    wb = Workbook()
    ws = wb.active
    ws.append(["product_group", "item", "mass_t", "units"])
    ws.append(["rubber", "", 31.5, None])
    ws.append(["accumulators", "", None, 120])
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(f"{API}/applications/{a['id']}/customs", files={"file": ("answer.xlsx", buf.getvalue(), "application/octet-stream")},
                    data={"day": "2026-02-12"}, headers=cast.authority.headers)
    assert r.status_code == 200, r.text
    assert r.json()["srb_items"] == [{"product_group": "rubber", "item": "", "mass_t": "31.500", "units": None},
                                     {"product_group": "accumulators", "item": "", "mass_t": None, "units": 120}]
    diffs = r.json()["section_c_differences"]
    assert {"product_group": "rubber", "name": RUBBER, "source": "srb", "column": "imported_t", "declared_t": "30.000", "source_t": "31.500",
            "difference_t": "-1.500"} in diffs
    assert {"product_group": "accumulators", "name": "Аккумуляторы электрические, включая сепараторы для них", "source": "srb", "column": "imported_t",
            "declared_t": "0.000", "source_t": None, "difference_t": None} in diffs
    res = {x["code"]: x for x in client.get(f"{API}/applications/{a['id']}/review", headers=cast.operator.headers).json()["results"]}
    assert res["customs_match"]["passed"] is None  # a mass the answer does not give: import documents or the reference book first
    bad = io.BytesIO()
    wb2 = Workbook()
    wb2.active.append(["group", "mass"])
    wb2.save(bad)
    r = client.post(f"{API}/applications/{a['id']}/customs", files={"file": ("x.xlsx", bad.getvalue(), "application/octet-stream")},
                    headers=cast.authority.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "header"
