from __future__ import annotations

from dataclasses import dataclass

import pytest

from qaldyq.signing import service as signing
from tests.factories import bearer, make_org, make_site, make_user
from tests.signing.pki import make_ca, pem, sign_b64


@dataclass
class World:
    gen_org: object
    gen_site: object
    rec_org: object
    rec_site: object
    lf_org: object
    lf_site: object


@pytest.fixture
def world(db) -> World:
    """A generator, a recycler and a landfill, each its own organization (Astana)."""
    g = make_org(db, roles=("waste_generator",), name="ТОО Генератор")
    r = make_org(db, roles=("recycler",), name="ТОО Переработчик")
    lf = make_org(db, roles=("landfill_operator",), name="ГКП Полигон")
    return World(
        g, make_site(db, g, "generator", name="Цех №1"),
        r, make_site(db, r, "recycler", name="Сортировочный комплекс", loss_tolerance_pct=5),
        lf, make_site(db, lf, "landfill", name="Полигон ТБО"),
    )


@dataclass
class Client:
    """An API client of an organization, holding its own key and a registered certificate."""

    http: object
    headers: dict
    user: object
    key: object

    def signed(self, path: str, body: dict, **kw):
        req = self.http.post(f"{path}/signing-request", json=body, headers=self.headers)
        assert req.status_code == 200, req.text
        data = req.json()
        sig = {"sha256": data["sha256"], "signature": sign_b64(self.key, data["payload"].encode())}
        return self.http.post(path, json={**body, "signature": sig}, headers={**self.headers, **kw.get("headers", {})})


@pytest.fixture
def ca(db):
    root = make_ca("Ledger Test CA")
    signing.trust_add(db, root.pem)
    return root


@pytest.fixture
def api_client(client, db, ca):
    def make(org, role="org_user", kind="ec") -> Client:
        user = make_user(db, org, role)
        headers = bearer(db, user)
        cert, key = ca.issue(user.full_name, kind)
        r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
        assert r.status_code == 201, r.text
        return Client(client, headers, user, key)

    return make


@pytest.fixture
def fresh_url(backend, databases, _engines):
    """As the shared fixture, but first closes the pooled connections that earlier tests of this
    worker left open to the template database: PostgreSQL refuses CREATE DATABASE ... TEMPLATE
    while anyone is connected to the template (a core fixture issue, reported)."""
    if backend in _engines:
        _engines[backend].dispose()
    return databases.fresh(backend)
