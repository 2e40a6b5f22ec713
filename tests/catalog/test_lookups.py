"""The functions other domains import: waste codes, categories, HS codes, reference masses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qaldyq.catalog import service
from qaldyq.core.errors import Problem
from tests.catalog.conftest import csv_bytes

REQUIRED = ["01", "13 02", "15 01", "16 01 03", "16 02", "16 06", "17", "18", "20", "20 01 21", "20 01 35", "20 01 36"]


@pytest.mark.parametrize("code", REQUIRED)
def test_the_chapters_the_streams_need_are_there(db, code):
    info = service.get_waste_code(db, code)
    assert info.names["kk"] and info.names["ru"] and info.names["en"]


def test_get_waste_code(db):
    info = service.get_waste_code(db, "160601*")
    assert (info.code, info.display, info.level, info.chapter, info.subchapter, info.hazardous) == ("16 06 01", "16 06 01*", "code", "16", "16 06", True)
    assert info.names == {"kk": "қорғасын аккумуляторлары", "ru": "свинцовые аккумуляторы", "en": "lead batteries"}
    assert info.act["code"] == "order-2021-314"
    assert service.get_waste_code(db, "15 01 01").hazardous is False
    assert service.get_waste_code(db, "15").level == "chapter"


@pytest.mark.parametrize("code,problem", [("99 99 99", "unknown-waste-code"), ("15 01 01*", "invalid-waste-code"), ("15-01-01", "invalid-waste-code"),
                                          ("1501*", "invalid-waste-code"), ("", "invalid-waste-code")])
def test_bad_waste_codes(db, code, problem):
    with pytest.raises(Problem) as exc:
        service.get_waste_code(db, code, pointer="/lines/0/waste_code")
    assert exc.value.code == problem
    assert exc.value.errors[0].pointer == "/lines/0/waste_code"


def test_radioactive_waste_is_refused(db):
    service.import_table(db, "waste-codes", csv_bytes(
        ["code", "name_kk", "name_ru", "name_en", "radioactive", "act", "valid_from"],
        [["19 99", "радиоактивті қалдықтар", "радиоактивные отходы", "radioactive waste", "true", "order-2021-314", "2021-08-06"]]), "ra.csv")
    with pytest.raises(Problem) as exc:
        service.get_waste_code(db, "19 99")
    assert exc.value.code == "radioactive-waste"
    assert exc.value.status == 422


def test_radioactive_is_refused_by_the_api(client, db):
    service.import_table(db, "waste-codes", csv_bytes(
        ["code", "name_kk", "name_ru", "name_en", "radioactive", "act", "valid_from"],
        [["19 99", "радиоактивті қалдықтар", "радиоактивные отходы", "radioactive waste", "yes", "order-2021-314", "2021-08-06"]]), "ra.csv")
    r = client.get("/api/v1/catalog/waste-codes/19 99")
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:radioactive-waste"
    assert all(c["code"] != "19 99" for c in client.get("/api/v1/catalog/waste-codes?chapter=19").json())


@pytest.mark.parametrize("code,category", [
    ("15 01 01", "packaging-paper"), ("15 01 02", "packaging-polymer"), ("15 01 04", "packaging-metal"), ("15 01 05", "packaging-combined"),
    ("15 01 07", "packaging-glass"), ("15 01 06", None), ("16 01 03", "tyres"), ("13 02 05*", "oils"), ("13 01 10*", "oils"),
    ("16 06 01*", "batteries"), ("16 06 04", None), ("16 02 11*", "eee-heat-transfer"), ("20 01 21*", "lamps"), ("20 01 36", None),
    ("20 03 01", None),
])
def test_category_for_waste_code(db, code, category):
    assert service.category_for_waste_code(db, code) == category


@pytest.mark.parametrize("hs,group,category", [
    ("8471 30 000 0", "eee-screens", "eee-screens"), ("8471 50 000 0", "eee-small-it", "eee-small-it"), ("4011 10 000 3", "rubber", "tyres"),
    ("4016 99", "rubber", None), ("8539 31 900 0", "lamps", "lamps"), ("3923 30 100 0", "packaging", "packaging-polymer"), ("2710 19 820 0", "petroleum-oils", "oils"),
])
def test_product_group_for_hs(db, hs, group, category):
    match = service.product_group_for_hs(db, hs, date(2025, 1, 1))
    assert (match.product_group, match.waste_category) == (group, category)
    assert match.act["code"] == "eec-council-2021-80"


def test_hs_not_under_epr_and_bad_codes(db, client):
    assert service.product_group_for_hs(db, "0101 21 000 0") is None
    with pytest.raises(Problem) as exc:
        service.product_group_for_hs(db, "87A3")
    assert exc.value.errors[0].pointer == "/hs_code"
    assert client.get("/api/v1/catalog/hs/0101210000").json() == {"hs_code": "0101210000", "under_epr": False, "prefix": None, "product_group": None,
                                                                  "names": None, "waste_category": None, "act": None}
    body = client.get("/api/v1/catalog/hs/8418 10 200 1?on=2025-01-01").json()
    assert body["under_epr"] and body["product_group"] == "eee-heat-transfer" and body["prefix"] == "8418"


def test_no_reference_mass_is_a_problem_not_a_guess(db, client):
    with pytest.raises(Problem) as exc:
        service.reference_mass(db, "eee-small", "kettle")
    assert exc.value.code == "no-reference-mass"
    r = client.get("/api/v1/catalog/reference-mass", params={"product_group": "eee-small", "item": "kettle"})
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:no-reference-mass"
    service.import_table(db, "reference-masses", csv_bytes(
        ["product_group", "item", "unit", "unit_mass_kg", "packaging_mass_kg", "act", "valid_from", "source"],
        [["eee-small", "kettle", "piece", "1.2", "0.3", "order-2021-448", "2024-01-01", "test figure"]]), "m.csv")
    info = service.reference_mass(db, "eee-small", "kettle", date(2025, 1, 1))
    assert (info.unit_mass_kg, info.packaging_mass_kg, info.source) == (Decimal("1.2"), Decimal("0.3"), "test figure")
    assert client.get("/api/v1/catalog/reference-mass", params={"product_group": "eee-small", "item": "kettle"}).json()["unit_mass_kg"] == "1.2000"


def test_reference_mass_needs_a_figure(db):
    with pytest.raises(Problem) as exc:
        service.add_version(db, "reference-masses", {"product_group": "eee-small", "item": "iron", "act": "order-2021-448", "valid_from": "2024-01-01"})
    assert exc.value.errors[0].pointer == "/unit_mass_kg"


def test_waste_codes_api(client):
    codes = client.get("/api/v1/catalog/waste-codes", params={"chapter": "16 06"}).json()
    assert [c["display"] for c in codes] == ["16 06", "16 06 01*", "16 06 02*", "16 06 03*", "16 06 04", "16 06 05", "16 06 06*"]
    assert codes[1]["epr_category"] == "batteries"
    one = client.get("/api/v1/catalog/waste-codes/200121").json()
    assert one["display"] == "20 01 21*" and one["epr_category"] == "lamps" and one["names"]["ru"].startswith("люминесцентные")
    assert client.get("/api/v1/catalog/waste-codes/99 99 99").status_code == 404
    found = client.get("/api/v1/catalog/waste-codes", params={"q": "шиналар"}).json()
    assert [c["code"] for c in found] == ["16 01 03"]
