"""Registering certificates through the API, as a third-party client would."""

from __future__ import annotations

import pytest

from qaldyq.signing import service
from tests.signing.pki import make_ca, pem


@pytest.mark.parametrize("kind,algorithm", [("ec", "ecdsa-p256-sha256"), ("rsa", "rsa-sha256"), ("ed25519", "ed25519")])
def test_register_certificate_of_each_key_type(client, db, as_role, root_ca, kind, algorithm):
    headers, user, _ = as_role("org_user")
    cert, _key = root_ca.issue("Айгүл Серікова", kind)
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["algorithm"] == algorithm
    assert body["subject"] == "CN=Айгүл Серікова,C=KZ"
    assert body["issuer"] == "CN=Test Root CA,C=KZ"
    assert body["held"] is False and body["revoked_at"] is None
    assert len(body["fingerprint"]) == 64
    listed = client.get("/api/v1/me/certificates", headers=headers).json()
    assert [c["fingerprint"] for c in listed] == [body["fingerprint"]]


def test_untrusted_ca_is_refused_and_nothing_stored(client, db, as_role, root_ca):
    headers, user, _ = as_role("org_user")
    stranger = make_ca("Somebody Else CA")
    cert, _ = stranger.issue()
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers={**headers, "Accept-Language": "ru"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "urn:qaldyq:problem:untrusted-certificate"
    assert body["errors"][0]["pointer"] == "/certificate"
    assert body["detail"] == "Сертификат не восходит к доверенному удостоверяющему центру."
    assert client.get("/api/v1/me/certificates", headers=headers).json() == []


def test_expired_and_not_yet_valid_certificates_are_refused(client, as_role, root_ca):
    headers, _, _ = as_role("org_user")
    expired, _ = root_ca.issue(days=-1, start_days_ago=30)
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(expired)}, headers=headers)
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:certificate-expired"
    future, _ = root_ca.issue(start_days_ago=-3)
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(future)}, headers=headers)
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:certificate-not-yet-valid"


@pytest.mark.parametrize("kind,code", [("rsa1024", "unsupported-key"), ("p384", "unsupported-key")])
def test_weak_or_unsupported_keys_are_refused(client, as_role, root_ca, kind, code):
    headers, _, _ = as_role("org_user")
    cert, _ = root_ca.issue(kind=kind)
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
    assert r.status_code == 422 and r.json()["type"] == f"urn:qaldyq:problem:{code}"


def test_certificate_not_for_signatures_and_ca_certificate_are_refused(client, as_role, root_ca):
    headers, _, _ = as_role("org_user")
    cert, _ = root_ca.issue(key_usage="encipher")
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:bad-certificate"
    r = client.post("/api/v1/me/certificates", json={"certificate": root_ca.pem}, headers=headers)
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:bad-certificate"


@pytest.mark.parametrize("value", ["not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_garbage_pem_is_refused_naming_the_field(client, as_role, root_ca, value):
    headers, _, _ = as_role("org_user")
    r = client.post("/api/v1/me/certificates", json={"certificate": value}, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/certificate"


@pytest.mark.parametrize("body,pointer", [({}, "/certificate"), ({"certificate": 5}, "/certificate"), ({"certificate": "x", "extra": 1}, "/extra")])
def test_wrong_shapes_are_refused(client, as_role, body, pointer):
    headers, _, _ = as_role("org_user")
    r = client.post("/api/v1/me/certificates", json=body, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == pointer


def test_duplicate_and_another_users_certificate_conflict(client, db, as_role, root_ca):
    h1, _, org = as_role("org_user")
    h2, _, _ = as_role("org_user")
    cert, _ = root_ca.issue()
    assert client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=h1).status_code == 201
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=h1)
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:certificate-duplicate"
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=h2)
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:certificate-taken"


def test_revoke_own_certificate_only(client, as_role, root_ca):
    h1, _, _ = as_role("org_user")
    h2, _, _ = as_role("org_user")
    cert, _ = root_ca.issue()
    cid = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=h1).json()["id"]
    assert client.delete(f"/api/v1/me/certificates/{cid}", headers=h2).status_code == 404
    r = client.delete(f"/api/v1/me/certificates/{cid}", headers=h1)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=h1)
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:certificate-revoked"


def test_chain_through_intermediate_sent_with_the_certificate(client, as_role, root_ca):
    headers, _, _ = as_role("org_user")
    inter = root_ca.intermediate()
    cert, _ = inter.issue()
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
    assert r.status_code == 422, "without the intermediate the path cannot be built"
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert, inter.cert)}, headers=headers)
    assert r.status_code == 201, r.text


def test_national_ca_style_root_and_intermediate_both_trusted(client, db, as_role):
    """How an NCA RK chain plugs in: trust the root and the intermediate (one PEM file)."""
    root = make_ca("ҰКО (RSA) test root", kind="rsa")
    inter = root.intermediate("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)")
    rows = service.trust_add(db, pem(root.cert, inter.cert), "NCA RK test")
    assert [r.self_signed for r in rows] == [True, False]
    headers, _, _ = as_role("org_user")
    cert, _ = inter.issue(kind="rsa")
    r = client.post("/api/v1/me/certificates", json={"certificate": pem(cert)}, headers=headers)
    assert r.status_code == 201, r.text


def test_trust_store_role_matrix(client, db, as_role, root_ca):
    user_h, _, _ = as_role("org_user")
    admin_h, _, _ = as_role("admin")
    listed = client.get("/api/v1/pki/trusted-cas", headers=user_h)
    assert listed.status_code == 200 and [c["subject"] for c in listed.json()] == ["CN=Test Root CA,C=KZ"]
    other = make_ca("Another CA")
    for role in ("org_user", "org_admin", "authority", "operator", "akimat", "inspector"):
        h, _, _ = as_role(role)
        assert client.post("/api/v1/pki/trusted-cas", json={"certificate": other.pem}, headers=h).status_code == 403
    assert client.get("/api/v1/pki/trusted-cas").status_code == 401
    r = client.post("/api/v1/pki/trusted-cas", json={"certificate": other.pem, "label": "other"}, headers=admin_h)
    assert r.status_code == 201 and r.json()[0]["label"] == "other"
    leaf, _ = other.issue()
    r = client.post("/api/v1/pki/trusted-cas", json={"certificate": pem(leaf)}, headers=admin_h)
    assert r.status_code == 422 and r.json()["type"] == "urn:qaldyq:problem:not-a-ca"
    fp = r = client.get("/api/v1/pki/trusted-cas", headers=admin_h).json()[-1]["fingerprint"]
    assert client.delete(f"/api/v1/pki/trusted-cas/{fp}", headers=user_h).status_code == 403
    r = client.delete(f"/api/v1/pki/trusted-cas/{fp}", headers=admin_h)
    assert r.status_code == 200 and r.json()["removed_at"] is not None
    assert len(client.get("/api/v1/pki/trusted-cas", headers=admin_h).json()) == 1
