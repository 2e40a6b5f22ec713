"""Health, migrations against models, auth, tokens, CSRF, audit chain."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from qaldyq.core import audit
from qaldyq.core.database import Base
from qaldyq.core.migrate import head_revisions
from qaldyq.domains import import_all_models
from tests.factories import PASSWORD, make_org, make_user


def test_health_reports_database_and_revision(client, backend):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == backend
    # Domain branches start from 0001_foundation, so the heads are theirs once they exist.
    assert body["revisions"] and set(body["revisions"]) <= set(head_revisions(client.app.state.db.url))
    assert body["migrations_current"] is True


def test_migrations_match_models(database):
    import_all_models()
    ctx = MigrationContext.configure(database.connection, opts={"compare_type": True})
    diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_token_login_and_me(client, db):
    org = make_org(db, roles=("recycler",))
    make_user(db, org, "org_admin", username="alice")
    db.commit()
    r = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("qdq_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "alice" and me["organization_id"] == org.id and me["role"] == "org_admin"
    assert me["permissions"]["users.manage"] == "own"


def test_wrong_password_is_problem_json_in_requested_language(client, db):
    org = make_org(db)
    make_user(db, org, username="bob")
    db.commit()
    r = client.post("/api/v1/auth/token", json={"username": "bob", "password": "nope"}, headers={"Accept-Language": "ru"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "Неверное имя пользователя или пароль."


def test_login_rate_limit(client, db):
    org = make_org(db)
    make_user(db, org, username="carol")
    db.commit()
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "carol", "password": "bad"}).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "carol", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["type"] == "urn:qaldyq:problem:rate-limited"


def test_revoked_and_read_only_tokens(client, db):
    org = make_org(db)
    user = make_user(db, org, "org_admin", username="dave")
    db.commit()
    tok = client.post("/api/v1/auth/token", json={"username": "dave", "password": PASSWORD, "scopes": ["read"]}).json()
    h = {"Authorization": f"Bearer {tok['token']}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    r = client.post("/api/v1/me/tokens", headers=h, json={"name": "x", "scopes": ["read"]})
    assert r.status_code == 403 and r.json()["detail"] == "This API token may only read."
    full = client.post("/api/v1/auth/token", json={"username": "dave", "password": PASSWORD}).json()
    hf = {"Authorization": f"Bearer {full['token']}"}
    assert client.delete(f"/api/v1/me/tokens/{tok['id']}", headers=hf).json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert user.id


def test_validation_error_names_field_with_pointer(client):
    r = client.post("/api/v1/auth/token", json={"username": "x", "password": "y", "scopes": ["admin"]}, headers={"Accept-Language": "kk"})
    assert r.status_code == 422
    errs = r.json()["errors"]
    assert errs[0]["pointer"] == "/scopes/0"
    assert r.headers["content-language"] == "kk"


def test_web_login_sets_new_session_and_csrf_is_enforced(client, db):
    org = make_org(db)
    make_user(db, org, "org_admin", username="erin")
    db.commit()
    client.cookies.set("qaldyq_session", "attacker-chosen")
    r = client.post("/login", data={"username": "erin", "password": PASSWORD, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    sid = r.cookies.get("qaldyq_session")
    assert sid and sid != "attacker-chosen"
    assert "httponly" in r.headers["set-cookie"].lower()
    # A state-changing request without the CSRF token is refused.
    r = client.post("/logout", data={}, follow_redirects=False, headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["type"] == "urn:qaldyq:problem:csrf"
    page = client.get("/")
    assert page.status_code == 200 and "erin" in page.text.lower() or "User erin" in page.text


def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/api/v1/health"):
        h = client.get(path).headers
        assert "default-src 'self'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"


def test_audit_chain_records_and_detects_tampering(db, database):
    org = make_org(db, name="ТОО Аудит")
    org.phone = "+7 700 000 00 00"
    db.flush()
    db.delete(org.roles[0])
    db.flush()
    result = audit.verify(db)
    assert result.ok and result.checked >= 3
    rows = db.execute(text("select seq, action, entity from audit_log order by seq")).all()
    assert [r.action for r in rows[-2:]] == ["update", "delete"]
    # Alter one record's content: verification names it.
    target = rows[-2].seq
    db.execute(text("update audit_log set after = :a where seq = :s"), {"a": '{"phone": "forged"}', "s": target})
    broken = audit.verify(db)
    assert not broken.ok and broken.broken_seq == target


def test_audit_detects_removed_record(db):
    make_org(db)
    make_org(db)
    first = db.execute(text("select min(seq) from audit_log")).scalar()
    db.execute(text("delete from audit_log where seq = :s"), {"s": first + 1})
    r = audit.verify(db)
    assert not r.ok and r.broken_seq == first + 1


def test_audit_detects_truncated_tail(db):
    make_org(db)
    last = db.execute(text("select max(seq) from audit_log")).scalar()
    db.execute(text("delete from audit_log where seq = :s"), {"s": last})
    r = audit.verify(db)
    assert not r.ok


def test_passwords_and_token_secrets_are_not_in_the_audit_log(db):
    org = make_org(db)
    make_user(db, org, username="frank")
    rows = db.execute(text("select after from audit_log where entity = 'users'")).scalars().all()
    assert rows and all("argon2" not in str(r) for r in rows)


def test_a_database_integrity_race_is_a_409_problem_not_a_500(app, client, db):
    """Two clients racing for a unique value: the database refuses the second, and the caller
    gets problem+json 409 in its language."""
    from fastapi import APIRouter
    from sqlalchemy.exc import IntegrityError

    router = APIRouter()

    @router.get("/api/v1/_race")
    def race():
        raise IntegrityError("insert", {}, Exception("duplicate key"))

    app.include_router(router)
    r = client.get("/api/v1/_race", headers={"Accept-Language": "ru"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"].startswith("В тот же момент")


def test_a_deadlock_is_a_503_to_retry_and_other_database_errors_stay_500(app, db):
    """PostgreSQL ended one of two transactions that met (deadlock, serialization failure): the
    same request succeeds when sent again, so the caller is told to retry."""
    import psycopg.errors
    from fastapi import APIRouter
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError

    router = APIRouter()
    errors = {"deadlock": psycopg.errors.DeadlockDetected("deadlock detected"),
              "serialization": psycopg.errors.SerializationFailure("could not serialize access"),
              "disk": psycopg.errors.DiskFull("could not extend file")}

    @router.get("/api/v1/_db/{kind}")
    def fail(kind: str):
        raise OperationalError("update", {}, errors[kind])

    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    for kind in ("deadlock", "serialization"):
        r = client.get(f"/api/v1/_db/{kind}", headers={"Accept-Language": "kk"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["type"].endswith("overloaded")
    assert client.get("/api/v1/_db/disk").status_code == 500
