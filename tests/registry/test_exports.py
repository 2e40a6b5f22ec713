"""The two registries of the Concept and their XLSX/CSV exports."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.factories import make_org


def test_waste_management_registry_xlsx_in_russian(client, world):
    r = client.get("/api/v1/registries/waste-management-organizations/export?format=xlsx", headers=world.headers("authority", "ru"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["content-disposition"].startswith('attachment; filename="waste-management-organizations-')
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Реестр организаций, осуществляющих операции по управлению отходами"
    assert rows[1][0].startswith("Сформировано в Qaldyq") and rows[1][0].endswith("Записей: 3.")
    header = rows[2]
    assert header[:6] == ("№", "БИН", "Наименование на казахском языке", "Наименование на русском языке", "Организационно-правовая форма", "Регион")
    body = {row[1]: dict(zip(header, row)) for row in rows[3:]}
    assert set(body) == {world.orgs[k].bin for k in ("own", "peer", "far")}
    own = body[world.orgs["own"].bin]
    assert own["Виды деятельности"] == "Перевозчик отходов, Сборщик отходов"
    assert (own["Площадки"], own["Транспортные средства"], own["Весы"]) == (1, 1, 1)
    assert own["Регион"] == "город Астана" and own["Статус"] == "Действует"


def test_hazardous_generators_csv_in_kazakh_scoped_to_the_akimat(client, world, db):
    make_org(db, roles=("hazardous_waste_generator",), region="630000000", name="ТОО «Шығыс Металл»")
    r = client.get("/api/v1/registries/hazardous-waste-generators/export?format=csv", headers=world.headers("akimat", "kk"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff№;БСН;")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2  # the header and the visitor (registered in Karaganda with a site in Astana); not East Kazakhstan's
    assert rows[1][1] == world.orgs["visitor"].bin and rows[1][5] == "Қарағанды облысы"


def test_filters_apply_to_the_export_and_formulas_stay_text(client, world, db):
    make_org(db, roles=("carrier",), region="710000000", name='=HYPERLINK("http://evil","x")', phone="+77010000000")
    h = world.headers("admin", "en")
    r = client.get("/api/v1/registries/waste-management-organizations/export", params={"format": "csv", "role": "carrier", "region": "710000000"}, headers=h)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8").lstrip("\ufeff")), delimiter=";"))
    names = [row[3] for row in rows[1:]]
    assert names == ["'=HYPERLINK(\"http://evil\",\"x\")", "ТОО «Собственный»"]
    assert rows[1][rows[0].index("Phone")] == "+77010000000"  # phone numbers are not mangled
    r = client.get("/api/v1/registries/waste-management-organizations/export", params={"format": "xlsx", "role": "carrier"}, headers=h)
    ws = load_workbook(io.BytesIO(r.content)).active
    cell = ws.cell(row=4, column=4)
    assert cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s"


def test_registry_list_endpoint(client, world):
    r = client.get("/api/v1/registries/waste-management-organizations", params={"role": "landfill_operator"}, headers=world.headers("operator"))
    items = r.json()["items"]
    assert [i["id"] for i in items] == [world.orgs["far"].id]
    assert (items[0]["site_count"], items[0]["vehicle_count"], items[0]["instrument_count"]) == (1, 1, 1)
    # a role outside the registry does not widen it
    r = client.get("/api/v1/registries/waste-management-organizations", params={"role": "producer"}, headers=world.headers("operator"))
    assert r.json()["total"] == 3
