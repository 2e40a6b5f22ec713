"""Security gates over the whole API: every operation refuses anonymous callers unless it is
marked public (`openapi_extra={"x-qaldyq-public": True}`), security headers on every response,
no secrets in logs."""

from __future__ import annotations

import logging
import re

import pytest

from tests.factories import PASSWORD, make_org, make_user

PUBLIC_MARK = "x-qaldyq-public"


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_operation_requires_authentication_unless_public(client, backend):
    if backend != "sqlite":
        pytest.skip("the route table does not depend on the database")
    doc = client.get("/api/v1/openapi.json").json()
    leaks = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if op.get(PUBLIC_MARK) or path in ("/api/v1/health", "/api/v1/auth/token"):
                continue
            r = client.request(method.upper(), _fill(path), json={} if method in ("post", "put", "patch") else None)
            if r.status_code != 401:
                leaks.append(f"{method.upper()} {path} -> {r.status_code}")
    assert not leaks, "reachable without credentials: " + ", ".join(leaks)


def test_security_headers_on_every_page(client, backend):
    if backend != "sqlite":
        pytest.skip("headers do not depend on the database")
    from qaldyq.domains import modules

    pages = [r.path for m in modules("views") for r in m.router.routes if "GET" in getattr(r, "methods", ()) and "{" not in r.path]
    pages += ["/api/v1/health", "/api/v1/docs", "/static/css/qaldyq.css", "/no-such-page"]
    assert len(pages) > 6
    for path in pages:
        h = client.get(path, follow_redirects=False).headers
        assert h.get("x-frame-options") == "DENY", path
        assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), path
        assert h.get("x-content-type-options") == "nosniff", path


def test_no_secrets_in_logs(client, db, caplog):
    org = make_org(db)
    make_user(db, org, username="logcheck")
    db.commit()
    with caplog.at_level(logging.DEBUG):
        r = client.post("/api/v1/auth/token", json={"username": "logcheck", "password": PASSWORD})
        token = r.json()["token"]
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        client.post("/login", data={"username": "logcheck", "password": PASSWORD})
    text = caplog.text
    assert PASSWORD not in text and token not in text
