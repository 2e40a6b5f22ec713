"""Fixtures for the EPR operator route: an importer with its user, the operator, the ministry."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qaldyq.epr.vin import with_check_digit
from tests.factories import bearer, make_org, make_user


@dataclass
class World:
    importer: object
    importer_h: dict
    other: object
    other_h: dict
    operator_h: dict
    authority_h: dict
    plain_h: dict  # an organization that is neither producer nor importer


def vin(serial: int, wmi: str = "XTA21099") -> str:
    return with_check_digit(f"{wmi}0K{serial:07d}")


@pytest.fixture
def world(db, client) -> World:
    imp = make_org(db, roles=("importer",), region="750000000", name="ТОО Импорт")
    other = make_org(db, roles=("producer",), region="710000000", name="ТОО Өндіруші")
    plain = make_org(db, roles=("waste_generator",))
    op_org = make_org(db, roles=("epr_operator",) if False else ("waste_generator",), name="АО Жасыл Даму")
    gov = make_org(db, roles=("waste_generator",), name="МЭПР")
    w = World(imp, bearer(db, make_user(db, imp, "org_admin")), other, bearer(db, make_user(db, other, "org_admin")),
              bearer(db, make_user(db, op_org, "operator")), bearer(db, make_user(db, gov, "authority")), bearer(db, make_user(db, plain, "org_admin")))
    for group in ("packaging", "vehicles", "rubber", "eee-small-it"):
        r = client.post("/api/v1/epr/registrations", json={"product_group": group, "year": 2024, "route": "operator"}, headers=w.importer_h)
        assert r.status_code == 201, r.text
    return w
