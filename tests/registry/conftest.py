"""A small world for the registry tests: two regions, organizations with sites, vehicles and an
instrument, and a user of every role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from qaldyq.core.models import AuditRecord
from qaldyq.registry.models import Vehicle, VerificationCertificate, WeighingInstrument
from tests.factories import bearer, make_org, make_site, make_user

ASTANA, KARAGANDA, ALMATY = "710000000", "350000000", "750000000"


@dataclass
class World:
    orgs: dict[str, object] = field(default_factory=dict)
    sites: dict[str, object] = field(default_factory=dict)
    vehicles: dict[str, object] = field(default_factory=dict)
    instruments: dict[str, object] = field(default_factory=dict)
    db: object = None
    users: dict[str, object] = field(default_factory=dict)
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    # The organization each user role belongs to (users are made on first use: hashing a
    # password takes a while and most tests need one or two roles).
    USER_ORG = {"admin": "operator", "authority": "ministry", "operator": "operator", "akimat": "akimat",
                "inspector": "inspectorate", "org_admin": "own", "org_user": "own"}

    def headers(self, role: str, locale: str | None = None) -> dict[str, str]:
        if role not in self._headers:
            user = make_user(self.db, self.orgs[self.USER_ORG[role]], role)
            self.users[role] = user
            self._headers[role] = bearer(self.db, user)
        h = dict(self._headers[role])
        if locale:
            h["Accept-Language"] = locale
        return h


@pytest.fixture
def world(db) -> World:
    """
    own      collector in Astana (the org of org_admin / org_user), site + vehicle + instrument
    peer     recycler in Astana, site + vehicle + instrument
    far      landfill operator in Karaganda, site + vehicle + instrument
    visitor  hazardous waste generator registered in Karaganda with one site in Astana
             and one in Karaganda
    state    the ministry (authority, admin), the operator, the Astana akimat and inspectorate
    """
    w = World(db=db)
    w.orgs["own"] = make_org(db, roles=("collector", "carrier"), region=ASTANA, name="ТОО «Собственный»")
    w.orgs["peer"] = make_org(db, roles=("recycler",), region=ASTANA, name="ТОО «Сосед»")
    w.orgs["far"] = make_org(db, roles=("landfill_operator",), region=KARAGANDA, name="ТОО «Дальний»")
    w.orgs["visitor"] = make_org(db, roles=("hazardous_waste_generator", "waste_generator"), region=KARAGANDA, name="АО «Гость»")
    w.orgs["ministry"] = make_org(db, roles=("authorized_body",), region=ASTANA, name="Министерство", legal_form="state_institution")
    w.orgs["operator"] = make_org(db, roles=("epr_operator",), region=ASTANA, name="Оператор", legal_form="ncjsc")
    w.orgs["akimat"] = make_org(db, roles=("akimat",), region=ASTANA, name="Акимат Астаны", legal_form="state_institution")
    w.orgs["inspectorate"] = make_org(db, roles=("authorized_body",), region=ASTANA, name="Департамент экологии", legal_form="state_institution")

    w.sites["own"] = make_site(db, w.orgs["own"], "depot", lat=51.15, lon=71.40)
    w.sites["peer"] = make_site(db, w.orgs["peer"], "recycling", lat=51.10, lon=71.50)
    w.sites["far"] = make_site(db, w.orgs["far"], "landfill", region=KARAGANDA, lat=49.80, lon=73.10, settlement="Қарағанды")
    w.sites["visitor_here"] = make_site(db, w.orgs["visitor"], "generator", region=ASTANA, lat=51.20, lon=71.45)
    w.sites["visitor_home"] = make_site(db, w.orgs["visitor"], "generator", region=KARAGANDA, lat=49.85, lon=73.05, settlement="Қарағанды")

    for key, plate, tracker in (("own", "101AB01", "TRK-OWN-1"), ("peer", "202AB01", "TRK-PEER-1"), ("far", "303AB09", "TRK-FAR-1")):
        v = Vehicle(plate=plate, organization_id=w.orgs[key].id, vehicle_type="rear_loader", payload_kg=8000, tracker_id=tracker,
                    depot_site_id=w.sites[key].id)
        db.add(v)
        w.vehicles[key] = v
    today = date.today()
    for key in ("own", "peer", "far"):
        inst = WeighingInstrument(site_id=w.sites[key].id, name="Весы автомобильные", instrument_type="truck_scale", serial_number=f"SN-{key}",
                                  year_made=2019, max_load_kg=60000)
        db.add(inst)
        db.flush()
        db.add(VerificationCertificate(instrument_id=inst.id, number=f"C-{key}", issuer="КазСтандарт", valid_from=today - timedelta(days=100),
                                       valid_to=today + timedelta(days=265)))
        w.instruments[key] = inst
    db.flush()

    return w


def audit_count(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditRecord)) or 0


def row_count(db, table: str) -> int:
    return db.execute(text(f"select count(*) from {table}")).scalar_one()


def lang(locale: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Accept-Language": locale}
