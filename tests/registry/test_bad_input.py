"""Bad input: each request is refused with a 4xx problem+json that names the field (a JSON
Pointer into the body, or the path parameter) in the requested language, and nothing is written:
neither the registry tables nor the audit log change."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import new_bin
from tests.registry.conftest import ASTANA, audit_count, row_count

TABLES = ("organizations", "organization_roles", "sites", "vehicles", "weighing_instruments", "verification_certificates")


def snapshot(db) -> tuple:
    return (audit_count(db),) + tuple(row_count(db, t) for t in TABLES)


def refused(client, db, method: str, url: str, body, headers, status: int, where: str, text: str | None = None) -> dict:
    """Send; assert the refusal names `where` (a pointer "/x" or a parameter) and nothing changed."""
    before = snapshot(db)
    r = client.request(method, url, json=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == status and problem["type"].startswith("urn:qaldyq:problem:")
    named = {e.get("pointer") or e.get("parameter"): e["detail"] for e in problem.get("errors", [])}
    assert where in named, problem
    if text is not None:
        assert named[where] == text, named[where]
    assert r.headers["content-language"] == headers.get("Accept-Language", "en")
    assert snapshot(db) == before, "a refused request wrote something"
    return problem


def org_body(**kw):
    body = {"bin": new_bin(), "name_kk": "«Таза» ЖШС", "name_ru": "ТОО «Таза»", "legal_form": "llp", "region_kato": ASTANA, "roles": ["collector"]}
    body.update(kw)
    return body


def site_body(org_id: int, **kw):
    body = {"organization_id": org_id, "name": "Полигон", "site_type": "landfill", "region_kato": ASTANA, "settlement": "Астана", "lat": 51.13, "lon": 71.43}
    body.update(kw)
    return body


# --- the bad inputs named in issue 2 -----------------------------------------------------------

def test_invalid_bin_checksum(client, db, world):
    refused(client, db, "POST", "/api/v1/organizations", org_body(bin="240140000012"), world.headers("authority", "ru"), 422, "/bin",
            "БИН 240140000012 недействителен: контрольная цифра не совпадает.")
    refused(client, db, "POST", "/api/v1/organizations", org_body(bin="240140000012"), world.headers("authority", "kk"), 422, "/bin",
            "240140000012 БСН жарамсыз: бақылау цифры сәйкес келмейді.")
    refused(client, db, "POST", "/api/v1/organizations", org_body(bin="24014000001"), world.headers("authority", "en"), 422, "/bin",
            "A BIN has exactly 12 digits.")


def test_duplicate_bin(client, db, world):
    taken = world.orgs["peer"].bin
    p = refused(client, db, "POST", "/api/v1/organizations", org_body(bin=taken), world.headers("operator", "ru"), 409, "/bin",
                f"Организация с БИН {taken} уже зарегистрирована.")
    assert p["type"] == "urn:qaldyq:problem:duplicate-bin"


@pytest.mark.parametrize("lat,lon", [(55.75, 37.62), (71.43, 51.13), (0, 0), (42.0, 50.5)])
def test_coordinates_outside_kazakhstan(client, db, world, lat, lon):
    p = refused(client, db, "POST", "/api/v1/sites", site_body(world.orgs["own"].id, lat=lat, lon=lon), world.headers("org_admin", "kk"), 422, "/lat")
    assert {e["pointer"] for e in p["errors"]} == {"/lat", "/lon"}
    assert p["errors"][0]["detail"].endswith("нүктесі Қазақстан аумағында емес (ендік пен бойлықтың орны ауысып кетпегенін тексеріңіз).")


def test_patching_one_coordinate_out_of_the_country(client, db, world):
    refused(client, db, "PATCH", f"/api/v1/sites/{world.sites['own'].id}", {"lon": 40.0}, world.headers("org_admin", "ru"), 422, "/lon",
            "Точка 51.15, 40.0 находится за пределами Казахстана (проверьте, не перепутаны ли широта и долгота).")


def test_unknown_region_code(client, db, world):
    refused(client, db, "POST", "/api/v1/organizations", org_body(region_kato="990000000"), world.headers("admin", "ru"), 422, "/region_kato",
            "Неизвестный код региона: 990000000.")
    refused(client, db, "POST", "/api/v1/sites", site_body(world.orgs["own"].id, region_kato="990000000"), world.headers("admin", "kk"), 422,
            "/region_kato", "Белгісіз өңір коды: 990000000.")
    refused(client, db, "PATCH", f"/api/v1/organizations/{world.orgs['own'].id}", {"region_kato": "7100"}, world.headers("admin", "en"), 422,
            "/region_kato", "A KATO code has 9 digits.")
    r = client.get("/api/v1/organizations?region=123456789", headers=world.headers("admin", "ru"))
    assert r.status_code == 422 and r.json()["errors"][0] == {"code": "unknown-region", "detail": "Неизвестный код региона: 123456789.", "parameter": "region"}


def test_certificate_valid_to_before_valid_from(client, db, world):
    inst = world.instruments["own"].id
    refused(client, db, "POST", f"/api/v1/instruments/{inst}/certificates", {"number": "7", "valid_from": "2026-05-01", "valid_to": "2026-04-30"},
            world.headers("org_admin", "ru"), 422, "/valid_to", "Дата окончания действия (2026-04-30) раньше даты начала (2026-05-01).")
    refused(client, db, "POST", f"/api/v1/instruments/{inst}/certificates", {"number": "7", "valid_from": "2020-01-01", "valid_to": "2029-01-01"},
            world.headers("org_admin", "kk"), 422, "/valid_to", "Салыстырып тексеру сертификаты ең көбі 5 жыл жарамды.")


def test_negative_capacity(client, db, world):
    refused(client, db, "POST", "/api/v1/sites", site_body(world.orgs["own"].id, design_capacity_t=-5), world.headers("org_admin", "ru"), 422,
            "/design_capacity_t", "Должно быть не меньше 0.")
    refused(client, db, "PATCH", f"/api/v1/sites/{world.sites['own'].id}", {"design_capacity_t": "-0.001"}, world.headers("org_admin", "kk"), 422,
            "/design_capacity_t")


def test_user_editing_another_organizations_site(client, db, world):
    refused(client, db, "PATCH", f"/api/v1/sites/{world.sites['peer'].id}", {"name": "Захвачено"}, world.headers("org_admin", "ru"), 403, "site_id",
            "Вы можете изменять только площадки своей организации.")
    # ... nor put a site, vehicle or instrument under another organization
    refused(client, db, "POST", "/api/v1/sites", site_body(world.orgs["peer"].id), world.headers("org_admin", "ru"), 403, "/organization_id",
            "Вы можете изменять только данные своей организации.")
    refused(client, db, "PATCH", f"/api/v1/sites/{world.sites['own'].id}", {"organization_id": world.orgs["peer"].id}, world.headers("org_admin", "en"),
            403, "/organization_id")
    refused(client, db, "POST", "/api/v1/instruments", {"site_id": world.sites["far"].id, "name": "Весы", "instrument_type": "truck_scale",
                                                          "serial_number": "Z1", "year_made": 2020}, world.headers("org_admin", "kk"), 403, "/site_id")
    refused(client, db, "POST", f"/api/v1/instruments/{world.instruments['peer'].id}/certificates",
            {"number": "1", "valid_from": "2026-01-01", "valid_to": "2026-12-31"}, world.headers("org_admin", "ru"), 403, "instrument_id")


# --- wrong types, absurd values, unknown codes, duplicates, other organizations' data ------------

@pytest.mark.parametrize("field,value,text", [
    ("lat", "north", "Должно быть число."),
    ("lat", 91, "Должно быть не больше 90.0."),
    ("site_type", "dump", None),
    ("permitted_operations", ["burying"], None),
    ("name", "", "Должно содержать не менее 1 символов."),
    ("geofence_radius_m", 1.5, "Должно быть целое число."),
    ("loss_tolerance_pct", 80, "Должно быть не больше 50."),
    ("unexpected", 1, "Это поле здесь не допускается."),
])
def test_site_field_errors(client, db, world, field, value, text):
    refused(client, db, "POST", "/api/v1/sites", site_body(world.orgs["own"].id, **{field: value}), world.headers("org_admin", "ru"), 422, f"/{field}"
            if field != "permitted_operations" else "/permitted_operations/0", text)


def test_waste_code_errors_point_at_the_item(client, db, world):
    body = site_body(world.orgs["own"].id, permitted_waste_codes=["17 01 01", "16 06 01*", "hazard"])
    refused(client, db, "POST", "/api/v1/sites", body, world.headers("org_admin", "en"), 422, "/permitted_waste_codes/2",
            "Not a waste code or chapter prefix (for example 17 01 01, 16 06 01* or 17 01).")


def test_required_fields_cannot_be_cleared(client, db, world):
    refused(client, db, "PATCH", f"/api/v1/sites/{world.sites['own'].id}", {"name": None}, world.headers("org_admin", "kk"), 422, "/name",
            "Бұл өріс бос болмауы керек.")
    refused(client, db, "PATCH", f"/api/v1/organizations/{world.orgs['own'].id}", {"bin": "240140000011"}, world.headers("admin", "en"), 422, "/bin",
            "This field is not allowed here.")


@pytest.mark.parametrize("field,value,text", [
    ("plate", "ABC", "Not a vehicle plate of Kazakhstan (for example 123 AB 01)."),
    ("payload_kg", 0, "Must be greater than 0."),
    ("payload_kg", -100, "Must be greater than 0."),
    ("payload_kg", 60001, "Must be at most 60000."),
    ("payload_kg", "heavy", "Must be a whole number."),
    ("vehicle_type", "spaceship", None),
    ("tracker_id", "a b", "A tracker id has 4 to 64 Latin letters, digits or - _ . :"),
])
def test_vehicle_field_errors(client, db, world, field, value, text):
    body = {"plate": "555 QQ 01", "organization_id": world.orgs["own"].id, "vehicle_type": "rear_loader", "payload_kg": 9000, field: value}
    refused(client, db, "POST", "/api/v1/vehicles", body, world.headers("org_admin", "en"), 422, f"/{field}", text)


def test_vehicle_duplicates_and_foreign_depot(client, db, world):
    h = world.headers("admin", "ru")
    own = world.orgs["own"].id
    refused(client, db, "POST", "/api/v1/vehicles", {"plate": "202-ав-01", "organization_id": own, "vehicle_type": "rear_loader", "payload_kg": 9000}, h, 409,
            "/plate", "Транспортное средство с номером 202 AB 01 уже зарегистрировано.")
    refused(client, db, "POST", "/api/v1/vehicles", {"plate": "555 QQ 01", "organization_id": own, "vehicle_type": "rear_loader", "payload_kg": 9000,
                                                       "tracker_id": "TRK-FAR-1"}, h, 409, "/tracker_id", "Трекер TRK-FAR-1 уже установлен на другом транспортном средстве.")
    refused(client, db, "POST", "/api/v1/vehicles", {"plate": "555 QQ 01", "organization_id": own, "vehicle_type": "rear_loader", "payload_kg": 9000,
                                                       "depot_site_id": world.sites["peer"].id}, h, 422, "/depot_site_id",
            "База стоянки должна быть площадкой владельца транспортного средства.")
    refused(client, db, "PATCH", f"/api/v1/vehicles/{world.vehicles['own'].id}", {"plate": "303 AB 09"}, h, 409, "/plate")
    refused(client, db, "POST", "/api/v1/vehicles", {"plate": "555 QQ 01", "organization_id": 999999, "vehicle_type": "rear_loader", "payload_kg": 9000},
            h, 422, "/organization_id", "Организация 999999 не существует.")


def test_moving_a_depot_away_from_its_vehicles(client, db, world):
    refused(client, db, "PATCH", f"/api/v1/sites/{world.sites['own'].id}", {"organization_id": world.orgs["peer"].id}, world.headers("admin", "en"), 409,
            "/organization_id", "1 vehicles of the current owner use this site as their depot; reassign them first.")


@pytest.mark.parametrize("field,value,text", [
    ("year_made", date.today().year + 1, f"The year of manufacture cannot be in the future ({date.today().year + 1} is after {date.today().year})."),
    ("year_made", 1800, "The year of manufacture must be 1950 or later."),
    ("year_made", "old", "Must be a whole number."),
    ("max_load_kg", 0, "Must be greater than 0."),
    ("max_load_kg", 5_000_000, "Must be at most 200000."),
    ("instrument_type", "bathroom", None),
    ("serial_number", "", "Must have at least 1 characters."),
])
def test_instrument_field_errors(client, db, world, field, value, text):
    body = {"site_id": world.sites["own"].id, "name": "Весы", "instrument_type": "truck_scale", "serial_number": "NEW-1", "year_made": 2018, field: value}
    refused(client, db, "POST", "/api/v1/instruments", body, world.headers("org_admin", "en"), 422, f"/{field}", text)


def test_instrument_and_certificate_duplicates(client, db, world):
    h = world.headers("org_admin", "kk")
    refused(client, db, "POST", "/api/v1/instruments", {"site_id": world.sites["own"].id, "name": "Весы", "instrument_type": "truck_scale",
                                                          "serial_number": "SN-own", "year_made": 2018}, h, 409, "/serial_number",
            "Бұл алаңда SN-own зауыттық нөмірлі құрал бар.")
    inst = world.instruments["own"].id
    refused(client, db, "POST", f"/api/v1/instruments/{inst}/certificates", {"number": "C-own", "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
            h, 409, "/number", "Бұл құралда C-own нөмірлі сертификат бар.")
    refused(client, db, "POST", f"/api/v1/instruments/{inst}/certificates", {"number": "C-9", "valid_from": "2026-02-30", "valid_to": "2026-12-31"},
            h, 422, "/valid_from", "Күн болуы керек (ЖЖЖЖ-АА-КК).")


@pytest.mark.parametrize("field,value", [
    ("roles", []), ("roles", ["king"]), ("legal_form", "corporation"), ("name_kk", ""), ("email", "not-an-email"), ("phone", "call me"),
    ("status", "dissolved"),
])
def test_organization_field_errors(client, db, world, field, value):
    where = "/roles/0" if value == ["king"] else f"/{field}"
    refused(client, db, "POST", "/api/v1/organizations", org_body(**{field: value}), world.headers("authority", "kk"), 422, where)


def test_unknown_records(client, db, world):
    h = world.headers("admin", "ru")
    for path, parameter in (("/api/v1/sites/999999", "site_id"), ("/api/v1/vehicles/999999", "vehicle_id"), ("/api/v1/instruments/999999", "instrument_id"),
                            ("/api/v1/organizations/999999", "org_id")):
        refused(client, db, "PATCH", path, {"status": "active"}, h, 404, parameter)
        r = client.get(path, headers=h)
        assert r.status_code == 404 and r.json()["errors"][0]["parameter"] == parameter
    r = client.get("/api/v1/sites/0", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "site_id"


def test_bad_list_parameters(client, world):
    h = world.headers("admin", "en")
    for query, parameter in (("role=king", "role.0"), ("per_page=1000", "per_page"), ("page=0", "page"), ("status=gone", "status")):
        r = client.get(f"/api/v1/organizations?{query}", headers=h)
        assert r.status_code == 422, query
        assert r.json()["errors"][0]["parameter"] in (parameter, parameter.split(".")[0]), r.json()
    r = client.get("/api/v1/instruments?verification=maybe", headers=h)
    assert r.status_code == 422
    r = client.get("/api/v1/registries/hazardous-waste-generators/export?format=pdf", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "format"
