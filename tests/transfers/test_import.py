"""Import of draft documents from CSV and XLSX: all rows or none, errors by row and column."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from qaldyq.transfers.imports import COLUMNS
from qaldyq.transfers.models import TransferDocument
from tests.factories import bearer, make_org, make_site, make_user

URL = "/api/v1/transfers/import"


def row(world, **over) -> dict:
    r = {"consignor_site_id": world.gen_site.id, "receiver_site_id": world.rec_site.id, "carrier_org_id": world.carrier.org.id, "vehicle_id": "",
         "waste_code": "15 01 02", "description": "ПЭТ-бутылки", "physical_form": "solid", "hazard_properties": "", "container_type": "big_bag",
         "container_count": 4, "declared_mass_kg": 2000, "mass_basis": "estimated", "planned_operation": "R3", "idempotency_key": ""}
    r.update(over)
    return r


def as_csv(rows: list[dict], delimiter=";") -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def as_xlsx(rows: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(rows[0]))
    for r in rows:
        ws.append([None if v == "" else v for v in r.values()])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(world, content: bytes, name: str, party=None, lang="en", **params):
    headers = {**(party or world.consignor).headers, "Accept-Language": lang}
    return world.http.post(URL, files={"file": (name, content)}, params=params, headers=headers)


def documents(db) -> int:
    return db.scalar(select(func.count()).select_from(TransferDocument))


def test_csv_rows_become_drafts_with_their_data(world, db):
    rows = [row(world), row(world, declared_mass_kg=750, description="Плёнка стретч", container_type="bag", container_count=30, vehicle_id=world.truck.id),
            row(world, waste_code="20 01 39", planned_operation="R5", idempotency_key="import-key-0001")]
    r = upload(world, as_csv(rows), "drafts.csv")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == 3 and body["created"] == 3 and not body["dry_run"]
    docs = [world.get(n) for n in body["numbers"]]
    assert [d["declared_mass_kg"] for d in docs] == [2000, 750, 2000]
    assert docs[1]["containers"] == [{"type": "bag", "count": 30}] and docs[1]["legs"][0]["vehicle_id"] == world.truck.id
    assert docs[2]["waste_code"] == "20 01 39" and docs[2]["planned_operation"] == "R5" and all(d["state"] == "draft" for d in docs)
    assert documents(db) == 3


def test_xlsx_import_and_dry_run(world, db):
    content = as_xlsx([row(world), row(world, hazard_properties="")])
    r = upload(world, content, "drafts.xlsx", dry_run="true")
    assert r.status_code == 200 and r.json() == {"rows": 2, "created": 0, "numbers": [], "dry_run": True}
    assert documents(db) == 0
    r = upload(world, content, "drafts.xlsx")
    assert r.json()["created"] == 2 and documents(db) == 2


def test_one_bad_row_refuses_the_whole_file_with_every_error_named(world, db):
    other = make_org(db, roles=("waste_generator",), name="ТОО Чужой")
    foreign_site = make_site(db, other, "generator", name="Чужая площадка")
    rows = [row(world),                                                    # line 2: fine
            row(world, declared_mass_kg="много"),                          # 3: not a number
            row(world, waste_code="99 99 99"),                             # 4: unknown code
            row(world, receiver_site_id=world.gen_site.id),                # 5: same site twice
            row(world, container_count=-1, idempotency_key="dup-key-0001"),  # 6: negative count
            row(world, idempotency_key="dup-key-0001"),                    # 7: duplicate key in the file
            row(world, consignor_site_id=foreign_site.id),                 # 8: another organization's site
            row(world, declared_mass_kg=900_000)]                          # 9: absurd mass
    r = upload(world, as_csv(rows), "drafts.csv")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert pointers == ["/rows/3/declared_mass_kg", "/rows/4/waste_code", "/rows/5/receiver_site_id", "/rows/6/container_count",
                        "/rows/7/idempotency_key", "/rows/8", "/rows/9/declared_mass_kg"]
    assert documents(db) == 0  # line 2 was valid but nothing is kept
    # the same file back with an error column, in Russian
    r = upload(world, as_csv(rows), "drafts.csv", lang="ru", error_file="true")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/csv")
    back = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert len(back) == 8 and back[0]["error"] == "" and back[1]["declared_mass_kg"] == "много"
    assert back[1]["error"].startswith("declared_mass_kg: ") and "цел" in back[1]["error"]
    assert back[5]["error"] == "idempotency_key: Тот же ключ идемпотентности указан в строке 6."
    # and as XLSX for an XLSX upload
    r = upload(world, as_xlsx(rows), "drafts.xlsx", error_file="true")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    assert header[-1] == "error" and ws.cell(4, len(header)).value.startswith("waste_code: ")


def test_header_is_checked_before_any_row(world, db):
    rows = [{**{k: v for k, v in row(world).items() if k != "waste_code"}, "colour": "red"}]
    r = upload(world, as_csv(rows, ","), "drafts.csv")
    assert r.status_code == 422
    assert [e["pointer"] for e in r.json()["errors"]] == ["/rows/1/colour", "/rows/1/waste_code"]
    assert upload(world, b"", "empty.csv").status_code == 422
    assert upload(world, b"PK\x03\x04broken", "broken.xlsx").json()["errors"][0]["pointer"] == "/rows"


def test_template_and_roles(world, db, client):
    r = client.get(URL + "/template", params={"format": "csv"}, headers=world.consignor.headers)
    assert r.status_code == 200 and r.content.decode("utf-8-sig").strip().split(",") == list(COLUMNS)
    r = client.get(URL + "/template", headers=world.consignor.headers)
    assert [c.value for c in load_workbook(io.BytesIO(r.content)).active[1]] == list(COLUMNS)
    ministry = make_user(db, make_org(db, roles=("authority",), name="Министерство"), "authority")
    r = client.post(URL, files={"file": ("d.csv", as_csv([row(world)]))}, headers=bearer(db, ministry))
    assert r.status_code == 403 and documents(db) == 0
