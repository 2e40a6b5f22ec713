"""The demo registries: valid BINs, every region, points inside Kazakhstan near their region's
centre, vehicles with trackers and depots of their owner, some expired certificates, a login for
every role. Runs on both databases."""

from __future__ import annotations

from datetime import date
from math import hypot

import pytest

from sqlalchemy import func, select

from qaldyq.core.audit import verify
from qaldyq.core.demo import DemoContext
from qaldyq.core.models import User
from qaldyq.core.roles import Role
from qaldyq.registry import demo, service
from qaldyq.registry.bin import is_valid_bin
from qaldyq.registry.geo import inside_kazakhstan
from qaldyq.registry.models import Organization, Site, Vehicle, WeighingInstrument
from qaldyq.registry.regions import REGIONS
from qaldyq.registry.vocab import ORG_ROLES


def test_demo_registries(db):
    ctx = DemoContext()
    demo.seed(db, ctx)
    db.flush()
    orgs = list(db.scalars(select(Organization)))
    assert 250 <= len(orgs) <= 400
    assert all(is_valid_bin(o.bin) for o in orgs)
    assert len({o.bin for o in orgs}) == len(orgs)
    regions = {r[0] for r in REGIONS}
    assert {o.region_kato for o in orgs} == regions
    for role in ORG_ROLES:  # every role is held somewhere; the market roles in every region
        holders = [o for o in orgs if role in o.role_names]
        assert holders, role
        if role not in ("epr_operator", "authorized_body"):
            assert {o.region_kato for o in holders} == regions, role

    centres = {r[0]: r[5] for r in REGIONS}
    sites = list(db.scalars(select(Site)))
    assert {s.region_kato for s in sites} == regions
    for s in sites:
        assert inside_kazakhstan(s.lat, s.lon), (s.name, s.lat, s.lon)
        lat0, lon0 = centres[s.region_kato]
        assert hypot(s.lat - lat0, s.lon - lon0) < 0.3, (s.name, s.region_kato)  # within ~30 km of the centre

    vehicles = list(db.scalars(select(Vehicle)))
    assert len(vehicles) > 100
    assert sum(v.tracker_id is not None for v in vehicles) > 0.8 * len(vehicles)
    for v in vehicles:
        assert service.vehicle_by_plate(db, v.plate) is v
        depot = db.get(Site, v.depot_site_id)
        assert depot is not None and depot.organization_id == v.organization_id

    today = ctx.shared["registry"]["today"]
    states = [service.verification_state(i, today)[0] for i in db.scalars(select(WeighingInstrument))]
    assert states.count("expired") >= 5 and states.count("valid") > len(states) / 2
    assert states.count("expired") + states.count("none") == sum(not i["verified"] for i in ctx.shared["registry"]["instruments"])

    logins = {login["username"]: login["role"] for login in ctx.logins}
    assert set(logins.values()) == {r.value for r in Role}
    for name in ("demo.admin", "demo.akimat.astana", "demo.akimat.almaty-region", "demo.recycler", "demo.recycler.user", "demo.generator"):
        assert name in logins
    assert db.scalar(select(func.count()).select_from(User)) == len(logins)

    shared = ctx.shared["registry"]
    key = shared["key"]
    for k, role in (("collector", "collector"), ("recycler", "recycler"), ("landfill", "landfill_operator"), ("producer", "producer"),
                    ("generator", "hazardous_waste_generator")):
        assert role in db.get(Organization, key[k]).role_names
    assert db.get(Site, shared["key_sites"]["landfill"]).site_type == "landfill"
    assert set(shared["akimat_ids"]) == regions
    assert shared["sites_by_type"]["landfill"] and shared["orgs_by_role"]["collector"]
    assert verify(db).ok


@pytest.mark.parametrize("backend", ["sqlite"])  # the generator does not depend on the database
def test_demo_is_deterministic(db):
    first = DemoContext()
    nested = db.begin_nested()
    demo.seed(db, first)
    bins = [o.bin for o in db.scalars(select(Organization).order_by(Organization.id))]
    plates = [v.plate for v in db.scalars(select(Vehicle).order_by(Vehicle.id))]
    nested.rollback()
    second = DemoContext()
    demo.seed(db, second)
    assert [o.bin for o in db.scalars(select(Organization).order_by(Organization.id))] == bins
    assert [v.plate for v in db.scalars(select(Vehicle).order_by(Vehicle.id))] == plates
    assert first.logins == second.logins and second.shared["registry"]["today"] == date.today()
