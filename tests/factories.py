"""Builders shared by every domain's tests. They go through the services, as the API does."""

from __future__ import annotations

import itertools

import pytest

from qaldyq.core import service as core_service
from qaldyq.registry.bin import complete_bin
from qaldyq.registry.models import Organization, OrganizationRole, Site

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def new_bin() -> str:
    while True:
        n = next(_seq)
        value = complete_bin(f"2401400{n:04d}")  # registered Jan 2024, resident legal entity
        if value:
            return value


def make_org(db, roles=("waste_generator",), region="710000000", name="ТОО Тест", **kw) -> Organization:
    org = Organization(bin=kw.pop("bin", None) or new_bin(), name_kk=name, name_ru=name, legal_form=kw.pop("legal_form", "llp"), region_kato=region, **kw)
    org.roles = [OrganizationRole(role=r) for r in roles]
    db.add(org)
    db.flush()
    return org


def make_site(db, org, site_type="generator", region=None, lat=51.13, lon=71.43, **kw) -> Site:
    site = Site(organization_id=org.id, name=kw.pop("name", f"Площадка {org.id}"), site_type=site_type, region_kato=region or org.region_kato,
                settlement=kw.pop("settlement", "Астана"), lat=lat, lon=lon, permitted_operations=kw.pop("permitted_operations", []),
                permitted_waste_codes=kw.pop("permitted_waste_codes", []), **kw)
    db.add(site)
    db.flush()
    return site


def make_user(db, org, role="org_user", username=None):
    username = username or f"u{next(_seq)}"
    return core_service.create_user(db, username=username, password=PASSWORD, full_name=f"User {username}", organization_id=org.id, role=role)


def bearer(db, user, scopes=("read", "write")) -> dict[str, str]:
    _, secret = core_service.create_token(db, user, "test", list(scopes), 1)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def as_role(db):
    """as_role("operator") -> (headers, user, org): a fresh organization and user with that role."""

    def make(role: str, roles=("waste_generator",), region="710000000", org=None):
        org = org or make_org(db, roles=roles, region=region)
        user = make_user(db, org, role)
        return bearer(db, user), user, org

    return make
