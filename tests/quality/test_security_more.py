"""Security gates beyond test_security.py: uploads that are not what they claim, the login form's
rate limit, session fixation through the web form, security headers on pages with ids."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from qaldyq.citizens.models import Report, ReportPhoto
from tests.citizens.conftest import image_bytes, submit  # noqa: F401  (fixture)
from tests.factories import PASSWORD, make_org, make_user

HTML = b"<html><script>alert(document.cookie)</script></html>"
PHP = b"<?php system($_GET['c']); ?>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


@pytest.mark.parametrize("name,content,ctype", [
    ("dump.jpg", HTML, "image/jpeg"),                      # HTML claiming to be a JPEG
    ("dump.jpg", PHP, "image/jpeg"),                       # a script claiming to be a JPEG
    ("dump.png", SVG, "image/png"),                        # SVG (scriptable) claiming to be a PNG
    ("dump.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),  # a JPEG header and nothing behind it
    ("dump.gif", b"GIF89a" + b"\x00" * 64, "image/gif"),  # not an accepted format
])
def test_uploads_that_are_not_what_they_claim_are_refused_and_nothing_is_stored(submit, db, name, content, ctype):  # noqa: F811
    reports, photos = db.scalar(select(func.count()).select_from(Report)), db.scalar(select(func.count()).select_from(ReportPhoto))
    r = submit(photos=[(name, content, ctype)], headers={"Accept-Language": "ru"})
    assert r.status_code in (415, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert any(e.get("pointer", "").startswith("/photos") for e in body.get("errors", [])), body
    assert re.search("[а-яА-Я]", body["detail"]), "the message is in the caller's language"
    assert db.scalar(select(func.count()).select_from(Report)) == reports
    assert db.scalar(select(func.count()).select_from(ReportPhoto)) == photos


def test_a_real_image_with_a_lying_name_is_stored_as_what_it_is(submit, db):  # noqa: F811
    r = submit(photos=[("evil.php", image_bytes("PNG"), "application/x-php")])
    assert r.status_code == 201, r.text
    photo = db.scalars(select(ReportPhoto).order_by(ReportPhoto.id.desc())).first()
    stored = {c.key: getattr(photo, c.key) for c in ReportPhoto.__table__.columns}
    text = " ".join(str(v) for v in stored.values() if isinstance(v, str))
    assert ".php" not in text and "x-php" not in text, stored


def test_login_form_rate_limit(client, db):
    org = make_org(db)
    make_user(db, org, username="formlimit")
    db.commit()
    statuses = [client.post("/login", data={"username": "formlimit", "password": "wrong"}, follow_redirects=False).status_code for _ in range(5)]
    assert all(s in (200, 400, 401, 403) for s in statuses), statuses
    r = client.post("/login", data={"username": "formlimit", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 429, r.status_code
    assert "qaldyq_session" not in r.cookies and not any("session" in c.lower() for c in r.headers.get_list("set-cookie"))


def test_session_id_changes_at_login(client, db):
    """Session fixation: whatever session cookie the browser had before, login issues a new one."""
    org = make_org(db)
    make_user(db, org, username="fixation")
    db.commit()
    client.cookies.clear()
    client.get("/login")
    before = dict(client.cookies)
    r = client.post("/login", data={"username": "fixation", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text[:300]
    after = dict(client.cookies)
    new = {k: v for k, v in after.items() if before.get(k) != v}
    assert new, "login set no new cookie"
    planted = {k: "attacker-chosen-value" for k in after}
    client.cookies.clear()
    for k, v in planted.items():
        client.cookies.set(k, v)
    assert client.get("/api/v1/me").status_code == 401, "a planted cookie must not authenticate"


def test_security_headers_on_pages_with_ids(client, db):
    org = make_org(db)
    admin = make_user(db, org, "admin", username="hdradmin")
    db.commit()
    client.post("/login", data={"username": admin.username, "password": PASSWORD})
    pages = [f"/registry/organizations/{org.id}", "/registry/sites", "/ledger", "/telemetry/alerts", "/citizens/reports", "/signing",
             "/registry/organizations/999999", "/citizens/r/not-a-token"]
    for path in pages:
        r = client.get(path, follow_redirects=False)
        h = r.headers
        assert h.get("x-frame-options") == "DENY", (path, r.status_code)
        assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), path
        assert h.get("x-content-type-options") == "nosniff", path
        assert "unsafe-inline" not in h.get("content-security-policy", "").split("script-src")[-1].split(";")[0], path
