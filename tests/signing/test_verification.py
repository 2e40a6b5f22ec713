"""verify(): a client's signature over canonical JSON; refusals; stored signatures and tampering."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import text

from qaldyq.core.errors import Problem
from qaldyq.signing import crypto, service
from qaldyq.signing.models import HeldKey, StoredSignature
from tests.factories import make_org, make_user
from tests.signing.pki import make_ca, now, pem, sha256, sign_b64

DOC = {"number": "TD-2026-000001", "waste_code": "20 03 01", "mass_kg": 1250, "version": 3, "note": "Қоқыс / мусор"}


@pytest.fixture
def user(db):
    return make_user(db, make_org(db))


def _register(db, user, ca, kind="ec"):
    cert, key = ca.issue(kind=kind)
    service.register_certificate(db, user.id, pem(cert))
    return key


def test_payload_is_rfc8785_canonical_json():
    payload = service.signing_payload("transfer", "TD-2026-000001", "consignor.sign", {"b": 1.0, "a": "Ә", "c": [3, 2]})
    assert payload == '{"action":"consignor.sign","document":{"a":"Ә","b":1,"c":[3,2]},"document_id":"TD-2026-000001","document_type":"transfer"}'.encode()
    req = service.signing_request("transfer", "TD-2026-000001", "consignor.sign", {"b": 1.0, "a": "Ә", "c": [3, 2]})
    assert req.sha256 == sha256(payload) and req.payload.encode() == payload


@pytest.mark.parametrize("kind,pss", [("ec", False), ("rsa", False), ("rsa", True), ("ed25519", False)])
def test_signature_verifies_and_is_stored(db, user, root_ca, kind, pss):
    key = _register(db, user, root_ca, kind)
    payload = service.signing_payload("transfer", "TD-2026-000001", "consignor.sign", DOC)
    v = service.verify(db, user, payload, sha256(payload), sign_b64(key, payload, rsa_pss=pss))
    assert v.user_id == user.id and v.sha256 == sha256(payload) and v.algorithm.startswith(kind[:2]) and not v.held_key
    stored = service.store_signature(db, v, payload)
    assert (stored.document_type, stored.document_id, stored.action) == ("transfer", "TD-2026-000001", "consignor.sign")
    check = service.check_stored(db, stored.id)
    assert check.ok and check.chain_trusted and check.problems == []
    assert [s.id for s in service.signatures_for(db, "transfer", "TD-2026-000001")] == [stored.id]


def test_ecdsa_raw_r_s_from_webcrypto_is_accepted(db, user, root_ca):
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = _register(db, user, root_ca)
    payload = service.signing_payload("transfer", "1", "a", DOC)
    r, s = decode_dss_signature(base64.b64decode(sign_b64(key, payload)))
    raw = base64.urlsafe_b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode().rstrip("=")
    assert service.verify(db, user.id, payload, sha256(payload), raw).certificate_fingerprint


def _refusal(fn) -> Problem:
    with pytest.raises(Problem) as info:
        fn()
    return info.value


def test_wrong_key_is_refused(db, user, root_ca):
    _register(db, user, root_ca)
    other_cert, other_key = root_ca.issue("Someone else")
    payload = service.signing_payload("transfer", "1", "a", DOC)
    p = _refusal(lambda: service.verify(db, user, payload, sha256(payload), sign_b64(other_key, payload)))
    assert p.code == "bad-signature" and p.errors[0].pointer == "/signature"


def test_tampered_payload_is_refused(db, user, root_ca):
    key = _register(db, user, root_ca)
    payload = service.signing_payload("transfer", "1", "a", DOC)
    sig = sign_b64(key, payload)
    tampered = service.signing_payload("transfer", "1", "a", {**DOC, "mass_kg": 125})
    p = _refusal(lambda: service.verify(db, user, tampered, sha256(payload), sig))
    assert p.code == "hash-mismatch" and p.status == 409 and p.errors[0].pointer == "/sha256"
    p = _refusal(lambda: service.verify(db, user, tampered, sha256(tampered), sig))
    assert p.code == "bad-signature"


def test_signature_not_base64_or_empty(db, user, root_ca):
    _register(db, user, root_ca)
    payload = b"{}"
    assert _refusal(lambda: service.verify(db, user, payload, sha256(payload), "***")).code == "bad-signature"
    assert _refusal(lambda: service.verify(db, user, payload, sha256(payload), "")).code == "bad-signature"


def test_no_certificate_and_revoked_certificate(db, user, root_ca):
    payload = b"{}"
    assert _refusal(lambda: service.verify(db, user, payload, sha256(payload), "AAAA")).code == "no-certificate"
    key = _register(db, user, root_ca)
    cert_row = service.list_certificates(db, user.id)[0]
    service.revoke_certificate(db, user.id, cert_row.id)
    assert _refusal(lambda: service.verify(db, user, payload, sha256(payload), sign_b64(key, payload))).code == "no-certificate"


def test_certificate_expired_since_registration_is_refused(db, user, root_ca):
    key = _register(db, user, root_ca)
    payload = service.signing_payload("transfer", "1", "a", DOC)
    later = now() + timedelta(days=400)
    p = _refusal(lambda: service.verify(db, user, payload, sha256(payload), sign_b64(key, payload), at=later))
    assert p.code == "certificate-expired"


def test_untrusted_after_the_ca_is_removed(db, user, root_ca):
    key = _register(db, user, root_ca)
    service.trust_remove(db, crypto.fingerprint(root_ca.cert))
    payload = service.signing_payload("transfer", "1", "a", DOC)
    p = _refusal(lambda: service.verify(db, user, payload, sha256(payload), sign_b64(key, payload)))
    assert p.code == "untrusted-certificate"


def test_signer_is_the_user_whose_certificate_it_is(db, user, root_ca):
    key = _register(db, user, root_ca)
    other = make_user(db, user.organization)
    _register(db, other, root_ca)
    payload = service.signing_payload("transfer", "1", "a", DOC)
    assert _refusal(lambda: service.verify(db, other, payload, sha256(payload), sign_b64(key, payload))).code == "bad-signature"


# ------------------------------------------------------------------ held keys


def test_held_key_signs_for_the_web_user_and_is_encrypted_at_rest(db, user):
    service.create_issuing_ca(db, "Test issuing CA", "Test")
    payload = service.signing_payload("transfer", "TD-1", "receiver.accept", DOC)
    v = service.sign_and_verify_as_user(db, user.id, payload)
    assert v.held_key and v.user_id == user.id
    stored = service.store_signature(db, v, payload)
    assert service.check_stored(db, stored).ok
    held = db.query(HeldKey).filter_by(user_id=user.id).one()
    cert_row = service.held_certificate(db, user.id)
    assert cert_row.held and cert_row.id == held.certificate_id
    secret = service._secret()
    aad = f"user:{user.id}:cert:{cert_row.fingerprint}".encode()
    key = crypto.decrypt_private_key(secret, held.key_enc, aad)
    from cryptography.hazmat.primitives import serialization

    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert der not in held.key_enc
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):  # bound to its owner: copied to another user it does not open
        crypto.decrypt_private_key(secret, held.key_enc, f"user:{user.id + 1}:cert:{cert_row.fingerprint}".encode())
    with pytest.raises(InvalidTag):
        crypto.decrypt_private_key("another instance secret", held.key_enc, aad)
    # The same held key is reused; the issuing CA's key is stored encrypted too.
    assert service.ensure_held_key(db, user.id).id == cert_row.id


def test_held_key_needs_an_issuing_ca(db, user):
    p = _refusal(lambda: service.sign_as_user(db, user.id, b"{}"))
    assert p.code == "no-issuing-ca"


def test_audit_log_never_holds_private_keys(db, user):
    service.create_issuing_ca(db, "Test issuing CA", "Test")
    service.ensure_held_key(db, user.id)
    rows = db.execute(text("select entity, after from audit_log where entity in ('signing_held_keys', 'signing_trusted_cas')")).all()
    assert {r.entity for r in rows} == {"signing_held_keys", "signing_trusted_cas"}
    for r in rows:
        after = r.after if isinstance(r.after, dict) else __import__("json").loads(r.after)
        assert after.get("key_enc", "***") == "***" and after.get("private_key_enc", "***") == "***"


# ------------------------------------------------------------------ tampering


@pytest.fixture
def stored(db, user, root_ca):
    key = _register(db, user, root_ca, "ed25519")
    payload = service.signing_payload("transfer", "TD-2026-000009", "carrier.sign", DOC)
    v = service.verify(db, user, payload, sha256(payload), sign_b64(key, payload))
    return service.store_signature(db, v, payload)


def test_stored_signatures_are_immutable_in_the_database(db, stored):
    for sql in ("update signing_signatures set action = 'x' where id = :id", "delete from signing_signatures where id = :id"):
        with pytest.raises(Exception, match="immutable"):
            with db.begin_nested():
                db.execute(text(sql), {"id": stored.id})


def _drop_guard(db):
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("drop trigger signing_signatures_immutable on signing_signatures"))
    else:
        db.execute(text("drop trigger signing_signatures_no_update"))


TAMPERINGS = {
    "document_id": "'TD-2026-000010'",
    "action": "'receiver.accept'",
    "version_hash": "'" + "0" * 64 + "'",
    "certificate_fingerprint": "'" + "1" * 64 + "'",
    "algorithm": "'rsa-sha256'",
    "held_key": "true",
    "seal": "'" + "2" * 64 + "'",
}


@pytest.mark.parametrize("column", [*TAMPERINGS, "payload", "signature", "signed_at", "signer_user_id"])
def test_changing_any_stored_value_is_detected(db, user, stored, column):
    assert service.check_stored(db, stored.id).ok
    _drop_guard(db)
    pg = db.get_bind().dialect.name == "postgresql"
    if column in TAMPERINGS:
        db.execute(text(f"update signing_signatures set {column} = {TAMPERINGS[column]} where id = :id"), {"id": stored.id})
    elif column == "payload":
        db.execute(text("update signing_signatures set payload = :p where id = :id"), {"p": stored.payload.replace(b"1250", b"1205"), "id": stored.id})
    elif column == "signature":
        sig = bytearray(stored.signature)
        sig[5] ^= 1
        db.execute(text("update signing_signatures set signature = :s where id = :id"), {"s": bytes(sig), "id": stored.id})
    elif column == "signed_at":
        db.execute(text("update signing_signatures set signed_at = :t where id = :id"), {"t": (stored.signed_at - timedelta(hours=2)) if pg else (stored.signed_at - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S.%f"), "id": stored.id})
    else:
        other = make_user(db, user.organization)
        db.execute(text("update signing_signatures set signer_user_id = :u where id = :id"), {"u": other.id, "id": stored.id})
    db.expire_all()
    check = service.check_stored(db, stored.id)
    assert not check.ok and check.problems
    checked, bad = service.check_all_stored(db)
    assert checked >= 1 and stored.id in [i for i, _ in bad]


def test_store_refuses_a_payload_that_is_not_the_envelope(db, user, root_ca):
    key = _register(db, user, root_ca)
    payload = b'{"free":"form"}'
    v = service.verify(db, user, payload, sha256(payload), sign_b64(key, payload))
    with pytest.raises(ValueError):
        service.store_signature(db, v, payload)
