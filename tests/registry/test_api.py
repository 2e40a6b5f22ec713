"""The registry API doing its job: create, read, edit, search, filter, page; and the service
functions other domains call."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from qaldyq.core.models import AuditRecord
from qaldyq.registry import service
from qaldyq.registry.bin import complete_bin
from qaldyq.registry.models import VerificationCertificate
from tests.factories import make_org, make_site, new_bin
from tests.registry.conftest import ASTANA, KARAGANDA


def test_register_an_organization_and_read_it_back(client, db, world):
    h = world.headers("operator")
    bin_ = complete_bin("24014000020")  # the check digit comes from the second weights
    body = {"bin": bin_, "name_kk": "«Жасыл Әлем» ЖШС", "name_ru": "ТОО «Жасыл Алем»", "legal_form": "llp", "region_kato": KARAGANDA,
            "roles": ["recycler", "collector", "recycler"], "address": "г. Караганда, ул. Бухар жырау, 1", "phone": "8 (7212) 41-00-00",
            "email": "Info@Zhasyl.kz", "hazardous_license": "KZ12VCZ00001"}
    r = client.post("/api/v1/organizations", json=body, headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["bin"] == "240140000203"
    assert out["roles"] == ["collector", "recycler"]  # duplicates dropped, sorted
    assert out["phone"] == "+77212410000" and out["email"] == "info@zhasyl.kz" and out["status"] == "active"
    detail = client.get(f"/api/v1/organizations/{out['id']}", headers=h).json()
    assert detail["name_kk"] == "«Жасыл Әлем» ЖШС" and detail["site_count"] == 0 and detail["vehicle_count"] == 0
    audit = db.scalars(select(AuditRecord).where(AuditRecord.entity == "organizations", AuditRecord.entity_id == str(out["id"]))).all()
    assert [a.action for a in audit] == ["create"] and audit[0].after["bin"] == "240140000203"
    assert audit[0].actor_user_id == world.users["operator"].id


def test_edit_roles_and_status(client, world):
    h = world.headers("authority")
    org = world.orgs["visitor"]
    r = client.patch(f"/api/v1/organizations/{org.id}", json={"roles": ["waste_generator"], "status": "suspended", "hazardous_license": None}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["waste_generator"] and r.json()["status"] == "suspended"
    hazardous = client.get("/api/v1/registries/hazardous-waste-generators", headers=h).json()
    assert org.id not in {i["id"] for i in hazardous["items"]}


def test_search_is_case_insensitive_in_kazakh_and_russian(client, world, db):
    make_org(db, roles=("sorter",), name="ТОО «Әділет Сұрыптау»")
    h = world.headers("admin")
    for q in ("әділет", "ӘДІЛЕТ сұрыптау", "сұрып", world.orgs["peer"].bin):
        items = client.get("/api/v1/organizations", params={"q": q}, headers=h).json()["items"]
        assert len(items) == 1, (q, items)
    assert client.get("/api/v1/organizations", params={"q": "сосед"}, headers=h).json()["items"][0]["id"] == world.orgs["peer"].id
    assert client.get("/api/v1/organizations", params={"q": "100%_"}, headers=h).json()["total"] == 0  # LIKE wildcards are literal


def test_filters_and_pagination(client, world, db):
    for i in range(7):
        make_org(db, roles=("importer",), region=KARAGANDA, name=f"ТОО «Импорт {i}»")
    h = world.headers("admin")
    page1 = client.get("/api/v1/organizations", params={"role": "importer", "region": KARAGANDA, "per_page": 3}, headers=h).json()
    assert page1["total"] == 7 and page1["pages"] == 3 and len(page1["items"]) == 3
    page3 = client.get("/api/v1/organizations", params={"role": "importer", "region": KARAGANDA, "per_page": 3, "page": 3}, headers=h).json()
    assert [o["name_ru"] for o in page3["items"]] == ["ТОО «Импорт 6»"]
    both = client.get("/api/v1/organizations", params=[("role", "recycler"), ("role", "landfill_operator")], headers=h).json()
    assert {o["id"] for o in both["items"]} == {world.orgs["peer"].id, world.orgs["far"].id}
    state = client.get("/api/v1/organizations", params={"legal_form": "state_institution"}, headers=h).json()
    assert {o["id"] for o in state["items"]} == {world.orgs[k].id for k in ("ministry", "akimat", "inspectorate")}
    sites = client.get("/api/v1/sites", params={"site_type": "generator", "region": KARAGANDA}, headers=h).json()
    assert [s["id"] for s in sites["items"]] == [world.sites["visitor_home"].id]
    assert sites["items"][0]["organization"]["bin"] == world.orgs["visitor"].bin


def test_site_lifecycle(client, world):
    h = world.headers("org_admin")
    body = {"organization_id": world.orgs["own"].id, "name": "Сортировочная линия", "site_type": "sorting", "region_kato": ASTANA, "settlement": "Астана",
            "address": "ул. Промышленная, 5", "lat": 51.09, "lon": 71.52, "permitted_operations": ["sorting", "storage", "sorting"],
            "permitted_waste_codes": ["150101", "20 01", "16 06 01*"], "design_capacity_t": "45000.5"}
    r = client.post("/api/v1/sites", json=body, headers=h)
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["permitted_operations"] == ["sorting", "storage"]
    assert site["permitted_waste_codes"] == ["15 01 01", "20 01", "16 06 01*"]
    assert site["design_capacity_t"] == "45000.500" and site["geofence_radius_m"] == 150 and site["loss_tolerance_pct"] == "5.00"
    r = client.patch(f"/api/v1/sites/{site['id']}", json={"status": "suspended", "address": None, "lat": 51.1}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "suspended" and r.json()["address"] is None and r.json()["lat"] == 51.1
    ops = client.get("/api/v1/sites", params={"operation": "sorting"}, headers=h).json()
    assert [s["id"] for s in ops["items"]] == [site["id"]]
    assert client.get("/api/v1/sites", params={"q": "промышленная"}, headers=h).json()["total"] == 0  # the address was cleared
    assert client.get("/api/v1/sites", params={"q": "СОРТИРОВОЧНАЯ"}, headers=h).json()["total"] == 1


def test_vehicle_lifecycle(client, world):
    h = world.headers("org_admin")
    body = {"plate": "777 ос 01", "organization_id": world.orgs["own"].id, "vehicle_type": "side_loader", "payload_kg": 9500,
            "tracker_id": "868123456789012", "depot_site_id": world.sites["own"].id, "hazardous_equipped": True}
    r = client.post("/api/v1/vehicles", json=body, headers=h)
    assert r.status_code == 201, r.text
    v = r.json()
    assert v["plate"] == "777OC01" and v["tracker_id"] == "868123456789012" and v["depot_site_id"] == world.sites["own"].id
    assert client.get("/api/v1/vehicles", params={"q": "777 OC"}, headers=h).json()["items"][0]["id"] == v["id"]
    assert client.get("/api/v1/vehicles", params={"q": "777ос"}, headers=h).json()["total"] == 1  # Cyrillic look-alikes
    r = client.patch(f"/api/v1/vehicles/{v['id']}", json={"tracker_id": None, "depot_site_id": None}, headers=h)
    assert r.json()["tracker_id"] is None and r.json()["depot_site_id"] is None
    untracked = client.get("/api/v1/vehicles", params={"tracked": "false"}, headers=h).json()
    assert [x["id"] for x in untracked["items"]] == [v["id"]]


def test_instruments_and_certificates(client, world):
    h = world.headers("org_admin")
    r = client.post("/api/v1/instruments", json={"site_id": world.sites["own"].id, "name": "Весы ВА-60", "instrument_type": "truck_scale",
                                                  "serial_number": "VA-0001", "year_made": 2021, "max_load_kg": 60000}, headers=h)
    assert r.status_code == 201, r.text
    inst = r.json()
    assert inst["verification"] == "none" and inst["certificates"] == [] and inst["organization_id"] == world.orgs["own"].id
    today = date.today()
    old = {"number": "ВС-1", "issuer": "КазИнМетр", "valid_from": (today - timedelta(days=400)).isoformat(), "valid_to": (today - timedelta(days=36)).isoformat()}
    assert client.post(f"/api/v1/instruments/{inst['id']}/certificates", json=old, headers=h).status_code == 201
    got = client.get(f"/api/v1/instruments/{inst['id']}", headers=h).json()
    assert got["verification"] == "expired" and got["verified_until"] is None
    expired = client.get("/api/v1/instruments", params={"verification": "expired"}, headers=h).json()
    assert [i["id"] for i in expired["items"]] == [inst["id"]]
    soon = {"number": "ВС-2", "valid_from": (today - timedelta(days=35)).isoformat(), "valid_to": (today + timedelta(days=10)).isoformat()}
    assert client.post(f"/api/v1/instruments/{inst['id']}/certificates", json=soon, headers=h).status_code == 201
    got = client.get(f"/api/v1/instruments/{inst['id']}", headers=h).json()
    assert got["verification"] == "expiring" and got["verified_until"] == soon["valid_to"]
    nxt = {"number": "ВС-3", "valid_from": (today + timedelta(days=11)).isoformat(), "valid_to": (today + timedelta(days=375)).isoformat()}
    assert client.post(f"/api/v1/instruments/{inst['id']}/certificates", json=nxt, headers=h).status_code == 201
    got = client.get(f"/api/v1/instruments/{inst['id']}", headers=h).json()
    assert got["verification"] == "valid" and got["verified_until"] == nxt["valid_to"]  # the chain has no gap
    assert [c["number"] for c in client.get(f"/api/v1/instruments/{inst['id']}/certificates", headers=h).json()] == ["ВС-1", "ВС-2", "ВС-3"]


def test_service_helpers_for_other_domains(db, world):
    today = date.today()
    inst = world.instruments["own"].id
    cert = service.certificate_valid_on(db, inst, today)
    assert cert is not None and cert.number == "C-own"
    assert service.certificate_valid_on(db, inst, today + timedelta(days=266)) is None
    assert service.certificate_valid_on(db, inst, today - timedelta(days=101)) is None
    # Order 690: valid over a whole half-year
    assert service.certificate_covering(db, inst, today - timedelta(days=90), today + timedelta(days=90)).number == "C-own"
    assert service.certificate_covering(db, inst, today - timedelta(days=120), today + timedelta(days=60)) is None
    db.add(VerificationCertificate(instrument_id=inst, number="C-older", valid_from=today - timedelta(days=500), valid_to=today - timedelta(days=50)))
    db.flush()
    assert service.certificate_valid_on(db, inst, today - timedelta(days=101)).number == "C-older"
    assert service.certificate_valid_on(db, inst, today - timedelta(days=60)).number == "C-own"  # both cover; the later-ending one wins

    assert service.vehicle_by_plate(db, "101 ab 01").id == world.vehicles["own"].id
    assert service.vehicle_by_plate(db, "101 АВ 01").id == world.vehicles["own"].id
    assert service.vehicle_by_plate(db, "999 ZZ 01") is None and service.vehicle_by_plate(db, "nonsense") is None
    assert service.vehicle_by_tracker(db, "TRK-FAR-1").id == world.vehicles["far"].id
    assert service.vehicle_by_tracker(db, "unknown") is None
    assert service.get_vehicle(db, world.vehicles["peer"].id).plate == "202AB01"
    assert service.get_site(db, world.sites["far"].id).site_type == "landfill"

    collectors = service.organizations_with_role(db, "collector")
    assert world.orgs["own"].id in {o.id for o in collectors}
    assert [o.id for o in service.organizations_with_role(db, "landfill_operator", region=KARAGANDA)] == [world.orgs["far"].id]
    assert service.organizations_with_role(db, "landfill_operator", region=ASTANA) == []
    assert service.has_role(world.orgs["own"], "carrier") and not service.has_role(world.orgs["own"], "recycler")
    assert [s.id for s in service.sites_of(db, world.orgs["visitor"].id)] == sorted([world.sites["visitor_here"].id, world.sites["visitor_home"].id])
    assert service.organization_regions(db, world.orgs["visitor"].id) == {ASTANA, KARAGANDA}
    assert service.organization_by_bin(db, world.orgs["far"].bin).id == world.orgs["far"].id


def test_regions(client, world):
    regions = client.get("/api/v1/regions", headers=world.headers("org_user")).json()
    assert len(regions) == 20
    assert {r["kind"] for r in regions} == {"oblast", "city"}
    astana = next(r for r in regions if r["kato"] == ASTANA)
    assert (astana["name_kk"], astana["name_ru"]) == ("Астана қаласы", "город Астана")


def test_a_liquidated_organization_is_not_offered_by_role(db):
    org = make_org(db, roles=("carrier",), region="550000000")
    org.status = "liquidated"
    db.flush()
    assert org.id not in {o.id for o in service.organizations_with_role(db, "carrier", region="550000000")}
    make_site(db, org, "depot", region="550000000", lat=52.28, lon=76.96, settlement="Павлодар")
    assert service.organization_regions(db, org.id) == {"550000000"}
    assert new_bin() != new_bin()
