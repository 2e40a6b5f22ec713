"""Signatures over canonical JSON: the trust store, users' certificates, verification of a
signature sent by a client, keys held for web users, and stored signatures with their tamper check.

The contract other domains use (see docs/signing.md):

    payload = signing_payload(document_type, document_id, action, document)   # bytes to sign
    verified = verify(db, user, payload, sha256_hex, signature_b64)           # or a Problem
    stored = store_signature(db, verified, payload)                           # evidence row
    check_stored(db, stored)                                                  # tamper check
    sign_as_user(db, user_id, payload)                                        # web UI, held key
"""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.config import get_settings
from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem, conflict, invalid, not_found
from qaldyq.core.models import User
from qaldyq.signing import crypto
from qaldyq.signing.crypto import CertificateError
from qaldyq.signing.models import HeldKey, StoredSignature, TrustedCA, UserCertificate

HELD_CERT_DAYS = 365


def _secret() -> str:
    return get_settings().resolved_secret()


@lru_cache(maxsize=4096)
def _parsed(pem: str) -> x509.Certificate:
    """Certificates are immutable, so their parsed form is cached by content."""
    return x509.load_pem_x509_certificate(pem.encode())


def _cert_problem(exc: CertificateError, pointer: str = "/certificate") -> Problem:
    return invalid(pointer, exc.msgid, code=exc.code, **exc.params)


# ---------------------------------------------------------------- trust store


def trusted_cas(db: Session, include_removed: bool = False) -> list[TrustedCA]:
    q = select(TrustedCA).order_by(TrustedCA.id)
    if not include_removed:
        q = q.where(TrustedCA.removed_at.is_(None))
    return list(db.scalars(q))


# Within batch(): what verification reads is read once per batch, and stored signatures are
# flushed with the batch instead of one by one.
_BATCH: ContextVar[dict | None] = ContextVar("signing_batch", default=None)


@contextmanager
def batch():
    token = _BATCH.set({})
    try:
        yield
    finally:
        _BATCH.reset(token)


def _memo(key, load):
    memo = _BATCH.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def _anchors(db: Session) -> list[x509.Certificate]:
    return _memo("anchors", lambda: [_parsed(pem) for pem in db.scalars(select(TrustedCA.pem).where(TrustedCA.removed_at.is_(None)).order_by(TrustedCA.id))])


def trust_add(db: Session, pem: str, label: str | None = None, *, private_key_enc: bytes | None = None) -> list[TrustedCA]:
    """Trust every CA certificate in a PEM bundle (a root and its intermediates). A certificate
    already trusted is kept; one removed earlier is trusted again."""
    try:
        certs = crypto.load_pem_bundle(pem)
    except CertificateError as exc:
        raise _cert_problem(exc) from exc
    out = []
    for i, cert in enumerate(certs):
        if not crypto.is_ca(cert):
            raise invalid(f"/certificate/{i}", "{subject} is not a certification authority (basic constraints).", code="not-a-ca", subject=crypto.subject_text(cert))
        fp = crypto.fingerprint(cert)
        row = db.scalar(select(TrustedCA).where(TrustedCA.fingerprint == fp))
        if row is None:
            row = TrustedCA(
                fingerprint=fp, subject=crypto.subject_text(cert)[:500], issuer=crypto.issuer_text(cert)[:500],
                not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, self_signed=crypto.is_self_signed(cert),
                pem=crypto.to_pem(cert), label=label, private_key_enc=private_key_enc if i == 0 else None,
            )
            db.add(row)
        elif row.removed_at is not None:
            row.removed_at = None
        out.append(row)
    db.flush()
    return out


def trust_remove(db: Session, fingerprint: str) -> TrustedCA:
    row = db.scalar(select(TrustedCA).where(TrustedCA.fingerprint == fingerprint.lower().replace(":", "")))
    if row is None or row.removed_at is not None:
        raise not_found("No trusted certification authority has the fingerprint {fingerprint}.", fingerprint=fingerprint)
    row.removed_at = utcnow()
    db.flush()
    return row


def create_issuing_ca(db: Session, common_name: str, organization: str, years: int = 10) -> TrustedCA:
    """A CA whose key the instance keeps (encrypted), to issue certificates for held keys."""
    issued = crypto.make_ca(common_name, organization, utcnow(), years)
    fp = crypto.fingerprint(issued.certificate)
    enc = crypto.encrypt_private_key(_secret(), issued.private_key, b"ca:" + fp.encode())
    return trust_add(db, crypto.to_pem(issued.certificate), label=common_name, private_key_enc=enc)[0]


def _issuing_ca(db: Session) -> TrustedCA | None:
    now = utcnow()
    return db.scalar(
        select(TrustedCA).where(TrustedCA.private_key_enc.is_not(None), TrustedCA.removed_at.is_(None), TrustedCA.not_after > now)
        .order_by(TrustedCA.id.desc()).limit(1)
    )


# ---------------------------------------------------------------- chains


@dataclass(frozen=True)
class _ChainWindow:
    valid_from: datetime
    valid_to: datetime


_chain_cache: dict[tuple[str, tuple[str, ...]], _ChainWindow] = {}


def _check_chain(db: Session, leaf: x509.Certificate, extra: list[x509.Certificate], at: datetime) -> list[x509.Certificate]:
    anchors = _anchors(db)
    key = (crypto.fingerprint(leaf), tuple(sorted(crypto.fingerprint(a) for a in anchors)))
    window = _chain_cache.get(key)
    if window is not None and window.valid_from <= at <= window.valid_to:
        return []
    chain = crypto.verify_chain(leaf, anchors, extra, at)
    if len(_chain_cache) > 20000:
        _chain_cache.clear()
    _chain_cache[key] = _ChainWindow(max(c.not_valid_before_utc for c in chain), min(c.not_valid_after_utc for c in chain))
    return chain


def _intermediates(row: UserCertificate) -> list[x509.Certificate]:
    return crypto.load_pem_bundle(row.chain_pem) if row.chain_pem else []


# ---------------------------------------------------------------- users' certificates


def register_certificate(db: Session, user_id: int, pem: str, *, held: bool = False) -> UserCertificate:
    """Register a signing certificate for a user. The PEM holds the certificate, optionally
    followed by intermediate CA certificates. It must chain to a trusted CA and be valid now."""
    try:
        certs = crypto.load_pem_bundle(pem)
        leaf, extra = certs[0], certs[1:]
        if crypto.is_ca(leaf):
            raise CertificateError("bad-certificate", "A certification authority's certificate cannot be registered as a user's signing certificate.")
        algorithm = crypto.key_algorithm(leaf.public_key())
        _check_chain(db, leaf, extra, utcnow())
    except CertificateError as exc:
        raise _cert_problem(exc) from exc
    fp = crypto.fingerprint(leaf)
    existing = db.scalar(select(UserCertificate).where(UserCertificate.fingerprint == fp))
    if existing is not None:
        if existing.user_id != user_id:
            raise conflict("/certificate", "This certificate is registered to another user.", code="certificate-taken")
        if existing.revoked_at is not None:
            raise conflict("/certificate", "This certificate was revoked and cannot be registered again.", code="certificate-revoked")
        raise conflict("/certificate", "This certificate is already registered.", code="certificate-duplicate")
    row = UserCertificate(
        user_id=user_id, fingerprint=fp, subject=crypto.subject_text(leaf)[:500], issuer=crypto.issuer_text(leaf)[:500],
        serial=format(leaf.serial_number, "x")[:64], algorithm=algorithm, not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc, pem=crypto.to_pem(leaf), chain_pem="".join(crypto.to_pem(c) for c in extra) or None, held=held,
    )
    db.add(row)
    db.flush()
    return row


def list_certificates(db: Session, user_id: int) -> list[UserCertificate]:
    return list(db.scalars(select(UserCertificate).where(UserCertificate.user_id == user_id).order_by(UserCertificate.id)))


def revoke_certificate(db: Session, user_id: int, certificate_id: int) -> UserCertificate:
    row = db.get(UserCertificate, certificate_id)
    if row is None or row.user_id != user_id:
        raise not_found("Certificate {id} does not exist.", id=certificate_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.flush()
    return row


def certificate_by_fingerprint(db: Session, fingerprint: str) -> UserCertificate | None:
    return db.scalar(select(UserCertificate).where(UserCertificate.fingerprint == fingerprint))


# ---------------------------------------------------------------- payloads


@dataclass(frozen=True)
class SigningRequest:
    payload: str  # canonical JSON text; its UTF-8 bytes are what is signed
    sha256: str


def signing_payload(document_type: str, document_id: str, action: str, document: dict) -> bytes:
    """The bytes a signer signs: RFC 8785 canonical JSON of the document version and the action."""
    return crypto.canonical({"action": action, "document": document, "document_id": str(document_id), "document_type": document_type})


def signing_request(document_type: str, document_id: str, action: str, document: dict) -> SigningRequest:
    payload = signing_payload(document_type, document_id, action, document)
    return SigningRequest(payload.decode(), crypto.sha256_hex(payload))


def _envelope(payload: bytes) -> dict:
    try:
        env = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("payload is not JSON") from exc
    if not isinstance(env, dict) or set(env) != {"action", "document", "document_id", "document_type"}:
        raise ValueError("payload is not a signing envelope")
    return env


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifiedSignature:
    """What a successful verification established, and what to store."""

    user_id: int
    certificate_id: int
    certificate_fingerprint: str
    algorithm: str
    sha256: str
    signature: bytes
    held_key: bool = False
    signed_at: datetime = field(default_factory=utcnow)


def _user_id(user) -> int:
    return user if isinstance(user, int) else user.user_id if hasattr(user, "user_id") else user.id


def verify(db: Session, user, payload_bytes: bytes, sha256_hex: str, signature_b64: str, *, at: datetime | None = None) -> VerifiedSignature:
    """Check a client's signature: the hash matches the payload, the signature verifies with the
    key of one of the user's registered certificates that is valid now, and that certificate
    chains to a trusted CA. `user` is a User, a Principal or a user id. Refusals are Problems:
    hash-mismatch (409, /sha256), bad-signature (/signature), no-certificate, certificate-expired,
    untrusted-certificate (422)."""
    at = at or utcnow()
    user_id = _user_id(user)
    if not isinstance(sha256_hex, str) or crypto.sha256_hex(payload_bytes) != sha256_hex.strip().lower():
        raise conflict("/sha256", "The hash does not match the current version of the document; request the signing payload again.", code="hash-mismatch")
    try:
        signature = crypto.b64decode_strict(signature_b64)
    except ValueError:
        raise invalid("/signature", "The signature must be base64.", code="bad-signature") from None
    if not signature or len(signature) > 2048:
        raise invalid("/signature", "The signature does not verify with any of your registered certificates.", code="bad-signature")
    rows = _memo(("certificates", user_id), lambda: list(db.scalars(
        select(UserCertificate).where(UserCertificate.user_id == user_id, UserCertificate.revoked_at.is_(None)).order_by(UserCertificate.id.desc()))))
    if not rows:
        raise invalid("/signature", "You have no registered signing certificate; register one first.", code="no-certificate")
    current = [r for r in rows if r.not_before <= at <= r.not_after]
    for row in current:
        cert = _parsed(row.pem)
        if not crypto.verify_signature(cert.public_key(), payload_bytes, signature):
            continue
        try:
            _check_chain(db, cert, _intermediates(row), at)
        except CertificateError as exc:
            raise invalid("/signature", exc.msgid, code=exc.code, **exc.params) from exc
        return VerifiedSignature(user_id, row.id, row.fingerprint, row.algorithm, crypto.sha256_hex(payload_bytes), signature, held_key=row.held, signed_at=at)
    if not current:
        # Tell the signer why: a signature by an expired certificate is refused even if it verifies.
        expired = any(crypto.verify_signature(_parsed(r.pem).public_key(), payload_bytes, signature) for r in rows)
        if expired or all(r.not_after < at for r in rows):
            raise invalid("/signature", "Your signing certificate has expired; register a valid one.", code="certificate-expired")
    raise invalid("/signature", "The signature does not verify with any of your registered certificates.", code="bad-signature")


def _seal_body(s: StoredSignature) -> bytes:
    return crypto.canonical({
        "document_type": s.document_type, "document_id": s.document_id, "action": s.action, "version_hash": s.version_hash,
        "payload_sha256": crypto.sha256_hex(s.payload), "signer_user_id": s.signer_user_id,
        "certificate_fingerprint": s.certificate_fingerprint, "algorithm": s.algorithm,
        "signature": crypto.sha256_hex(s.signature), "held_key": bool(s.held_key), "signed_at": s.signed_at.isoformat(),
    })


def store_signature(db: Session, verified: VerifiedSignature, payload: bytes) -> StoredSignature:
    """Keep a verified signature as evidence. `payload` must be the envelope made by
    `signing_payload` (document type, id and action are read from it)."""
    env = _envelope(payload)
    if crypto.sha256_hex(payload) != verified.sha256:
        raise ValueError("payload does not match the verified signature")
    row = StoredSignature(
        document_type=env["document_type"], document_id=env["document_id"], action=env["action"], version_hash=verified.sha256,
        payload=payload, signer_user_id=verified.user_id, certificate_fingerprint=verified.certificate_fingerprint,
        algorithm=verified.algorithm, signature=verified.signature, held_key=verified.held_key,
        signed_at=verified.signed_at,
    )
    row.seal = crypto.seal(_secret(), _seal_body(row))
    db.add(row)
    if _BATCH.get() is None:
        db.flush()
    return row


def signatures_for(db: Session, document_type: str, document_id: str) -> list[StoredSignature]:
    return list(db.scalars(select(StoredSignature).where(StoredSignature.document_type == document_type, StoredSignature.document_id == str(document_id)).order_by(StoredSignature.id)))


@dataclass
class SignatureCheck:
    ok: bool  # nothing in the stored row was altered and the signature verifies
    chain_trusted: bool  # the certificate chained to a currently trusted CA at signing time
    problems: list[str]
    signer: str | None = None  # certificate subject


def check_stored(db: Session, stored: StoredSignature | int) -> SignatureCheck:
    """Re-verify a stored signature from what is stored: payload against its hash, the envelope
    against the columns, the signature against the certificate's key, the certificate against
    the signer, and the seal against every column. Any changed byte makes `ok` false."""
    s = stored if isinstance(stored, StoredSignature) else db.get(StoredSignature, stored)
    if s is None:
        raise not_found("Signature {id} does not exist.", id=stored)
    problems: list[str] = []
    if not crypto.seal_matches(_secret(), _seal_body(s), s.seal):
        problems.append("the row's seal does not match its content")
    if crypto.sha256_hex(s.payload) != s.version_hash:
        problems.append("the payload does not match the stored hash")
    try:
        env = _envelope(s.payload)
        if (env["document_type"], env["document_id"], env["action"]) != (s.document_type, s.document_id, s.action):
            problems.append("the payload names another document or action")
    except ValueError:
        problems.append("the payload is not a signing envelope")
    cert_row = certificate_by_fingerprint(db, s.certificate_fingerprint)
    chain_trusted = False
    subject = None
    if cert_row is None:
        problems.append("the certificate is unknown")
    else:
        cert = _parsed(cert_row.pem)
        subject = cert_row.subject
        if crypto.fingerprint(cert) != s.certificate_fingerprint or cert_row.user_id != s.signer_user_id or cert_row.algorithm != s.algorithm:
            problems.append("the certificate does not belong to the signer")
        if not crypto.verify_signature(cert.public_key(), s.payload, s.signature):
            problems.append("the signature does not verify")
        try:
            crypto.verify_chain(cert, _anchors(db), _intermediates(cert_row), s.signed_at)
            chain_trusted = True
        except CertificateError:
            chain_trusted = False
    return SignatureCheck(ok=not problems, chain_trusted=chain_trusted, problems=problems, signer=subject)


def check_all_stored(db: Session, batch: int = 1000, progress=None) -> tuple[int, list[tuple[int, list[str]]]]:
    """Check every stored signature; returns (checked, [(id, problems)] of the altered ones)."""
    last, checked, bad = 0, 0, []
    total = db.scalar(select(StoredSignature.id).order_by(StoredSignature.id.desc()).limit(1)) or 0
    while True:
        rows = list(db.scalars(select(StoredSignature).where(StoredSignature.id > last).order_by(StoredSignature.id).limit(batch)))
        if not rows:
            break
        for s in rows:
            result = check_stored(db, s)
            if not result.ok:
                bad.append((s.id, result.problems))
            checked += 1
            last = s.id
        if progress:
            progress(last, total)
    return checked, bad


# ---------------------------------------------------------------- keys held for web users


def held_certificate(db: Session, user_id: int) -> UserCertificate | None:
    now = utcnow()
    return db.scalar(
        select(UserCertificate).join(HeldKey, HeldKey.certificate_id == UserCertificate.id)
        .where(UserCertificate.user_id == user_id, UserCertificate.revoked_at.is_(None), UserCertificate.not_before <= now, UserCertificate.not_after > now)
        .order_by(UserCertificate.id.desc()).limit(1)
    )


def ensure_held_key(db: Session, user_id: int) -> UserCertificate:
    """The user's current held certificate, issuing a new key and certificate from the
    instance's issuing CA if there is none."""
    existing = held_certificate(db, user_id)
    if existing is not None:
        return existing
    ca_row = _issuing_ca(db)
    if ca_row is None:
        raise conflict(None, "The server has no certification authority to issue a signing key; ask the administrator.", code="no-issuing-ca")
    user = db.get(User, user_id)
    if user is None:
        raise not_found("User {id} does not exist.", id=user_id)
    ca_cert = _parsed(ca_row.pem)
    try:
        ca_key = crypto.decrypt_private_key(_secret(), ca_row.private_key_enc, b"ca:" + ca_row.fingerprint.encode())
    except InvalidTag:
        raise conflict(None, "The server cannot open the key of its issuing certification authority (the instance secret has changed); ask the administrator.", code="issuing-ca-unreadable") from None
    org = user.organization.name_ru if user.organization is not None else None
    issued = crypto.issue_signing_certificate(ca_cert, ca_key, user.full_name, org, utcnow(), HELD_CERT_DAYS, uid=user.username)
    cert_row = register_certificate(db, user_id, crypto.to_pem(issued.certificate), held=True)
    aad = f"user:{user_id}:cert:{cert_row.fingerprint}".encode()
    db.add(HeldKey(user_id=user_id, certificate_id=cert_row.id, key_enc=crypto.encrypt_private_key(_secret(), issued.private_key, aad)))
    db.flush()
    return cert_row


@dataclass(frozen=True)
class ServerSignature:
    sha256: str
    signature: str  # base64
    certificate_fingerprint: str


def sign_as_user(db: Session, user_id: int, payload_bytes: bytes) -> ServerSignature:
    """Sign on the user's behalf with the key the server holds for them (web UI only; the UI
    says so). The result goes through `verify` like any client's signature."""
    cert_row = ensure_held_key(db, user_id)
    held = db.scalar(select(HeldKey).where(HeldKey.certificate_id == cert_row.id))
    try:
        key = crypto.decrypt_private_key(_secret(), held.key_enc, f"user:{user_id}:cert:{cert_row.fingerprint}".encode())
    except InvalidTag:
        # Encrypted under another instance secret: nobody can sign with it any more. Revoke it
        # (audited) and issue a fresh key, rather than leave the user unable to sign.
        cert_row.revoked_at = utcnow()
        db.flush()
        cert_row = ensure_held_key(db, user_id)
        held = db.scalar(select(HeldKey).where(HeldKey.certificate_id == cert_row.id))
        key = crypto.decrypt_private_key(_secret(), held.key_enc, f"user:{user_id}:cert:{cert_row.fingerprint}".encode())
    return ServerSignature(crypto.sha256_hex(payload_bytes), base64.b64encode(crypto.sign(key, payload_bytes)).decode(), cert_row.fingerprint)


def sign_and_verify_as_user(db: Session, user_id: int, payload_bytes: bytes) -> VerifiedSignature:
    """The web UI's path: sign with the held key, then verify exactly as for an API client."""
    s = sign_as_user(db, user_id, payload_bytes)
    return verify(db, user_id, payload_bytes, s.sha256, s.signature)
