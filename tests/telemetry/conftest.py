"""A small fleet in Astana: a carrier with two trucks, another carrier with one, a depot, a
generator, a landfill; and users of every role that the telemetry endpoints care about."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qaldyq.registry.models import Site, Vehicle
from tests.factories import bearer, make_org, make_site, make_user

DEPOT = (51.100, 71.300)
GEN = (51.150, 71.450)
LANDFILL = (51.050, 71.600)
STEPPE = (51.120, 71.520)


@dataclass
class Fleet:
    carrier: object
    other: object
    depot: Site
    gen: Site
    landfill: Site
    truck: Vehicle
    truck2: Vehicle
    foreign: Vehicle


def make_vehicle(db, org, plate, tracker=None, depot=None) -> Vehicle:
    v = Vehicle(plate=plate, organization_id=org.id, vehicle_type="garbage_truck", payload_kg=8000, tracker_id=tracker,
                depot_site_id=depot.id if depot else None)
    db.add(v)
    db.flush()
    return v


@pytest.fixture
def fleet(db) -> Fleet:
    carrier = make_org(db, roles=("carrier",), region="710000000", name="ТОО Таза Жол")
    other = make_org(db, roles=("carrier",), region="750000000", name="ТОО Алматы Тазалық")
    owner = make_org(db, roles=("landfill_operator",), region="710000000", name="ГКП Полигон")
    depot = make_site(db, carrier, "depot", lat=DEPOT[0], lon=DEPOT[1], geofence_radius_m=150, name="Автобаза")
    gen = make_site(db, owner, "generator", lat=GEN[0], lon=GEN[1], geofence_radius_m=100, name="Рынок")
    landfill = make_site(db, owner, "landfill", lat=LANDFILL[0], lon=LANDFILL[1], geofence_radius_m=400, name="Полигон ТБО")
    truck = make_vehicle(db, carrier, "001ABC01", "TRK-0001", depot)
    truck2 = make_vehicle(db, carrier, "002 ABC 01", "TRK-0002", depot)
    foreign = make_vehicle(db, other, "777XYZ02", "TRK-0777")
    return Fleet(carrier, other, depot, gen, landfill, truck, truck2, foreign)


@pytest.fixture
def carrier_headers(db, fleet):
    return bearer(db, make_user(db, fleet.carrier, "org_user"))


@pytest.fixture
def region_headers(db, fleet):
    """An inspector and an akimat user of Astana (where the fleet drives), and an inspector of
    Almaty (elsewhere)."""
    astana = make_org(db, roles=("inspection",), region="710000000", name="ДЭ г. Астана")
    almaty = make_org(db, roles=("inspection",), region="750000000", name="ДЭ г. Алматы")
    akimat = make_org(db, roles=("akimat",), region="710000000", name="Акимат г. Астана")
    return {
        "inspector": bearer(db, make_user(db, astana, "inspector")),
        "akimat": bearer(db, make_user(db, akimat, "akimat")),
        "inspector_elsewhere": bearer(db, make_user(db, almaty, "inspector")),
    }
