"""Every user role against every registry endpoint: reads of its own organization, of another
organization in its region and of one in another region; writes likewise.

The expected outcomes are written out here by hand from docs/registry.md ("Permissions"), not
computed from permissions.py, so a change in the table must be a deliberate change in both.
The world (tests/registry/conftest.py): the user's organization "own" (a collector in Astana),
"peer" (Astana), "far" (Karaganda), "visitor" (registered in Karaganda, one site in Astana). The
akimat and the inspector are in Astana.
"""

from __future__ import annotations

import itertools

import pytest

from tests.factories import new_bin

ROLES = ("admin", "authority", "operator", "akimat", "inspector", "org_admin", "org_user")
ALL = ("admin", "authority", "operator")
REGION = ("akimat", "inspector")
OWN = ("org_admin", "org_user")

# What each role reads: 200, or 404 for what its scope does not reach.
READ_TARGETS = {
    # target: roles that see it
    "own": ROLES,
    "peer": ALL + REGION,
    "far": ALL,
    "visitor": ALL + REGION,  # registered elsewhere, but has a site in Astana
}
SITE_TARGETS = {
    "own": ROLES,
    "peer": ALL + REGION,
    "far": ALL,
    "visitor_here": ALL + REGION,  # located in Astana
    "visitor_home": ALL,  # the Karaganda site of a Karaganda organization
}
# Who changes what: the administrator and the authorized body anything, the organization's
# administrator its own organization's records, nobody else anything.
WRITERS = {"own": ("admin", "authority", "org_admin"), "peer": ("admin", "authority"), "far": ("admin", "authority")}
REGISTERS = ALL
_n = itertools.count(100)


def _status(role: str, allowed: tuple[str, ...], ok: int, refused: int) -> int:
    return ok if role in allowed else refused


def _check(results: list[str], label: str, response, expected: int) -> None:
    if response.status_code != expected:
        results.append(f"{label}: expected {expected}, got {response.status_code} {response.text[:200]}")
    elif expected >= 400:
        body = response.json()
        if not response.headers["content-type"].startswith("application/problem+json") or body.get("status") != expected:
            results.append(f"{label}: not a problem+json {expected}: {body}")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, client, world):
    w = world
    h = w.headers(role)
    bad: list[str] = []

    # Reads of single records.
    for target, who in READ_TARGETS.items():
        _check(bad, f"GET organization {target}", client.get(f"/api/v1/organizations/{w.orgs[target].id}", headers=h), _status(role, who, 200, 404))
    for target, who in SITE_TARGETS.items():
        _check(bad, f"GET site {target}", client.get(f"/api/v1/sites/{w.sites[target].id}", headers=h), _status(role, who, 200, 404))
    for target in ("own", "peer", "far"):
        who = READ_TARGETS[target]
        _check(bad, f"GET vehicle {target}", client.get(f"/api/v1/vehicles/{w.vehicles[target].id}", headers=h), _status(role, who, 200, 404))
        inst = w.instruments[target].id
        _check(bad, f"GET instrument {target}", client.get(f"/api/v1/instruments/{inst}", headers=h), _status(role, who, 200, 404))
        _check(bad, f"GET certificates {target}", client.get(f"/api/v1/instruments/{inst}/certificates", headers=h), _status(role, who, 200, 404))

    # Lists show exactly what the scope reaches.
    ids = {i["id"] for i in client.get("/api/v1/organizations?per_page=200", headers=h).json()["items"]}
    for target, who in READ_TARGETS.items():
        if (w.orgs[target].id in ids) != (role in who):
            bad.append(f"organization list: {target} {'missing' if role in who else 'shown'}")
    site_ids = {i["id"] for i in client.get("/api/v1/sites?per_page=200", headers=h).json()["items"]}
    for target, who in SITE_TARGETS.items():
        if (w.sites[target].id in site_ids) != (role in who):
            bad.append(f"site list: {target} {'missing' if role in who else 'shown'}")
    for path, records in (("/api/v1/vehicles", w.vehicles), ("/api/v1/instruments", w.instruments)):
        listed = {i["id"] for i in client.get(path + "?per_page=200", headers=h).json()["items"]}
        for target in ("own", "peer", "far"):
            if (records[target].id in listed) != (role in READ_TARGETS[target]):
                bad.append(f"{path}: {target} {'missing' if role in READ_TARGETS[target] else 'shown'}")
    for path in ("/api/v1/regions", "/api/v1/registries/hazardous-waste-generators", "/api/v1/registries/waste-management-organizations",
                 "/api/v1/registries/waste-management-organizations/export?format=csv"):
        _check(bad, f"GET {path}", client.get(path, headers=h), 200)
    hazardous = {i["id"] for i in client.get("/api/v1/registries/hazardous-waste-generators", headers=h).json()["items"]}
    if (w.orgs["visitor"].id in hazardous) != (role in READ_TARGETS["visitor"]):
        bad.append("hazardous registry: visitor wrongly shown or hidden")
    wm = {i["id"] for i in client.get("/api/v1/registries/waste-management-organizations", headers=h).json()["items"]}
    expected_wm = {w.orgs[t].id for t in ("own", "peer", "far") if role in READ_TARGETS[t]}
    if wm != expected_wm:
        bad.append(f"waste management registry: {wm} != {expected_wm}")

    # Registering an organization.
    body = {"bin": new_bin(), "name_kk": "«Жаңа» ЖШС", "name_ru": "ТОО «Новое»", "legal_form": "llp", "region_kato": "710000000", "roles": ["sorter"]}
    _check(bad, "POST organization", client.post("/api/v1/organizations", json=body, headers=h), _status(role, REGISTERS, 201, 403))

    # Writes to records of the own organization, of a peer in the region and of one elsewhere.
    for target, who in WRITERS.items():
        org, site = w.orgs[target], w.sites[target]
        expect = lambda ok: _status(role, who, ok, 403)  # noqa: E731
        _check(bad, f"PATCH organization {target} contacts", client.patch(f"/api/v1/organizations/{org.id}", json={"phone": "+7 717 200 00 00"}, headers=h), expect(200))
        _check(bad, f"PATCH site {target}", client.patch(f"/api/v1/sites/{site.id}", json={"design_capacity_t": "1200.5"}, headers=h), expect(200))
        new_site = {"organization_id": org.id, "name": "Новая площадка", "site_type": "storage", "region_kato": org.region_kato, "settlement": "Астана",
                    "lat": 51.1, "lon": 71.4}
        _check(bad, f"POST site for {target}", client.post("/api/v1/sites", json=new_site, headers=h), expect(201))
        n = next(_n)
        vehicle = {"plate": f"{n:03d} KZ 01", "organization_id": org.id, "vehicle_type": "hooklift", "payload_kg": 12000}
        _check(bad, f"POST vehicle for {target}", client.post("/api/v1/vehicles", json=vehicle, headers=h), expect(201))
        _check(bad, f"PATCH vehicle {target}", client.patch(f"/api/v1/vehicles/{w.vehicles[target].id}", json={"status": "repair"}, headers=h), expect(200))
        instrument = {"site_id": site.id, "name": "Весы", "instrument_type": "platform_scale", "serial_number": f"X-{n}", "year_made": 2020}
        _check(bad, f"POST instrument at {target}", client.post("/api/v1/instruments", json=instrument, headers=h), expect(201))
        inst = w.instruments[target].id
        _check(bad, f"PATCH instrument {target}", client.patch(f"/api/v1/instruments/{inst}", json={"max_load_kg": 50000}, headers=h), expect(200))
        cert = {"number": f"N-{n}", "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
        _check(bad, f"POST certificate {target}", client.post(f"/api/v1/instruments/{inst}/certificates", json=cert, headers=h), expect(201))

    assert not bad, f"{role}:\n" + "\n".join(bad)


def test_refusals_name_the_record_and_say_why(client, world):
    """A user editing another organization's site is told which parameter and why, in their language."""
    r = client.patch(f"/api/v1/sites/{world.sites['peer'].id}", json={"name": "Чужая"}, headers=world.headers("org_admin", "kk"))
    assert r.status_code == 403
    body = r.json()
    assert body["errors"] == [{"code": "forbidden", "detail": "Сіз тек өз ұйымыңыздың алаңдарын өзгерте аласыз.", "parameter": "site_id"}]
    r = client.patch(f"/api/v1/sites/{world.sites['peer'].id}", json={"name": "Чужая"}, headers=world.headers("akimat", "ru"))
    assert r.status_code == 403
    assert (r.json()["title"], r.json()["detail"]) == ("Доступ запрещён.", "У вас нет прав на это действие.")


def test_org_admin_may_change_only_contact_fields_of_its_organization(client, world):
    h = world.headers("org_admin", "ru")
    own = world.orgs["own"].id
    r = client.patch(f"/api/v1/organizations/{own}", json={"phone": "8 (7172) 55-44-33", "email": "Office@Own.KZ", "address": "г. Астана, ул. Кенесары, 1"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "+77172554433" and r.json()["email"] == "office@own.kz"
    r = client.patch(f"/api/v1/organizations/{own}", json={"name_ru": "ТОО «Переименованное»", "roles": ["recycler"], "phone": "+77170000000"}, headers=h)
    assert r.status_code == 403
    pointers = sorted(e["pointer"] for e in r.json()["errors"])
    assert pointers == ["/name_ru", "/roles"]
    assert r.json()["errors"][0]["detail"].startswith("Это поле может изменить только уполномоченный орган")
    assert client.get(f"/api/v1/organizations/{own}", headers=h).json()["phone"] == "+77172554433"  # the refused request changed nothing


def test_only_the_administrator_and_the_authority_grant_state_roles(client, world):
    body = {"bin": new_bin(), "name_kk": "Әкімдік", "name_ru": "Акимат", "legal_form": "state_institution", "region_kato": "350000000", "roles": ["akimat"]}
    r = client.post("/api/v1/organizations", json=body, headers=world.headers("operator", "en"))
    assert r.status_code == 403
    assert r.json()["errors"] == [{"code": "forbidden", "detail": "Only the administrator or the authorized body may assign the role akimat.", "pointer": "/roles"}]
    assert client.post("/api/v1/organizations", json=body, headers=world.headers("authority")).status_code == 201


def test_read_only_token_cannot_write(client, world, db):
    from tests.factories import bearer, make_user

    user = make_user(db, world.orgs["ministry"], "authority")
    h = bearer(db, user, scopes=("read",))
    assert client.get(f"/api/v1/sites/{world.sites['far'].id}", headers=h).status_code == 200
    assert client.patch(f"/api/v1/sites/{world.sites['far'].id}", json={"name": "x"}, headers=h).status_code == 403


def test_anonymous_is_refused_everywhere(client, world):
    for path in ("/api/v1/organizations", f"/api/v1/sites/{world.sites['own'].id}", "/api/v1/vehicles", "/api/v1/instruments", "/api/v1/regions",
                 "/api/v1/registries/hazardous-waste-generators/export"):
        r = client.get(path)
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json"), path
