"""Pure cryptography for signatures: canonical JSON (RFC 8785), certificate parsing and chain
validation, signature checks for the accepted algorithms, and key encryption at rest.

Nothing here touches the database; `service.py` does, using these functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime, timedelta

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509 import verification as xv
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from qaldyq.core.i18n import N_

# Accepted signer keys, named as stored and shown. ECDSA is P-256 with SHA-256; RSA signs with
# SHA-256 in PKCS#1 v1.5 or PSS; Ed25519 signs the payload itself.
ECDSA_P256 = "ecdsa-p256-sha256"
RSA_SHA256 = "rsa-sha256"
ED25519 = "ed25519"
ALGORITHMS = (ECDSA_P256, RSA_SHA256, ED25519)
RSA_MIN_BITS = 2048
RSA_MAX_BITS = 8192


class CertificateError(ValueError):
    """A certificate that cannot be used; `code` is the problem type, the message is an English
    message id with placeholders filled by `params`."""

    def __init__(self, code: str, msgid: str, **params):
        super().__init__(msgid)
        self.code = code
        self.msgid = msgid
        self.params = params


# ---------------------------------------------------------------- canonical JSON and hashes


# Where the standard library's output may differ from RFC 8785: a float (ECMAScript number
# formatting) or an integer outside I-JSON's range, both looked for outside strings, and a
# character outside the BMP (JCS sorts keys by UTF-16 code units, Python by code points).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_LONG_NUMBER = re.compile(r"\d{16}")


def _plain_numbers(outside: str) -> bool:
    """No float (Python writes every float with a point or an exponent sign) and no integer of
    16 digits or more, in the text outside strings."""
    return "." not in outside and "e+" not in outside and "e-" not in outside and not _LONG_NUMBER.search(outside)


def _bmp_only(text: str) -> bool:
    # UTF-16 needs two code units exactly for the characters outside the BMP
    return text.isascii() or len(text.encode("utf-16-le")) == 2 * len(text)


def canonical(obj) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of a JSON value (object keys are strings,
    as in anything parsed from JSON). For strings, whole numbers, booleans and null, JCS is
    exactly `json.dumps` with sorted keys, no whitespace and UTF-8 (same escapes), which runs
    in C, five times faster than the pure-Python serializer; anything else goes to `rfc8785`."""
    try:
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        # outside strings: every other piece between quotes, unless a string holds an escaped quote
        outside = "".join(text.split('"')[::2]) if '\\"' not in text else _STRING.sub("", text)
        if _plain_numbers(outside) and _bmp_only(text):
            return text.encode()
    except (TypeError, ValueError):  # not JSON (rfc8785 names the reason) or a lone surrogate
        pass
    return rfc8785.dumps(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64decode_strict(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional; anything else is refused."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64") from exc


# ---------------------------------------------------------------- certificates


def load_pem_bundle(pem: str | bytes) -> list[x509.Certificate]:
    data = pem.encode() if isinstance(pem, str) else pem
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError("bad-certificate", N_("The certificate must be in PEM format (-----BEGIN CERTIFICATE-----)."))
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateError("bad-certificate", N_("The certificate cannot be read.")) from exc


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def subject_text(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def issuer_text(cert: x509.Certificate) -> str:
    return cert.issuer.rfc4514_string()


def common_name(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def key_algorithm(public_key) -> str:
    """The accepted signer algorithm of a public key; anything else is refused."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name != "secp256r1":
            raise CertificateError("unsupported-key", N_("Only the P-256 curve is accepted for ECDSA keys, not {curve}."), curve=public_key.curve.name)
        return ECDSA_P256
    if isinstance(public_key, rsa.RSAPublicKey):
        if not RSA_MIN_BITS <= public_key.key_size <= RSA_MAX_BITS:
            raise CertificateError("unsupported-key", N_("RSA keys must have 2048 to 8192 bits, not {bits}."), bits=public_key.key_size)
        return RSA_SHA256
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return ED25519
    raise CertificateError("unsupported-key", N_("The key type is not accepted: use ECDSA P-256, RSA or Ed25519."))


def _ku_signer(policy, cert, ku) -> None:
    if ku is None or not (ku.digital_signature or ku.content_commitment):
        raise ValueError("key usage does not allow digital signatures")


def _bc_not_ca(policy, cert, bc) -> None:
    if bc is not None and bc.ca:
        raise ValueError("a CA certificate cannot sign documents")


def _bc_ca(policy, cert, bc) -> None:
    if bc is None or not bc.ca:
        raise ValueError("the issuer is not a CA")


def _ku_ca(policy, cert, ku) -> None:
    if ku is not None and not ku.key_cert_sign:
        raise ValueError("the issuer's key usage does not allow certificate signing")


# Signing certificates are not web server certificates: no subjectAltName is required and the
# extended key usage is free (national CAs use emailProtection or their own policy OIDs), but the
# key usage must allow signatures. Issuers must be CAs allowed to sign certificates.
_C = xv.Criticality
_EE_POLICY = (
    xv.ExtensionPolicy.permit_all()
    .require_present(x509.KeyUsage, _C.AGNOSTIC, _ku_signer)
    .may_be_present(x509.BasicConstraints, _C.AGNOSTIC, _bc_not_ca)
)
_CA_POLICY = (
    xv.ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, _C.AGNOSTIC, _bc_ca)
    .may_be_present(x509.KeyUsage, _C.AGNOSTIC, _ku_ca)
)


def verify_chain(leaf: x509.Certificate, anchors: list[x509.Certificate], intermediates: list[x509.Certificate], at: datetime) -> list[x509.Certificate]:
    """Build and check the path from `leaf` to one of the trusted `anchors` at time `at`
    (signatures, validity periods, basic constraints, key usage) with `cryptography`'s X.509
    path validation. Returns the chain, leaf first."""
    if not (leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc):
        if at > leaf.not_valid_after_utc:
            raise CertificateError("certificate-expired", N_("The certificate expired on {date}."), date=leaf.not_valid_after_utc.date().isoformat())
        raise CertificateError("certificate-not-yet-valid", N_("The certificate is valid only from {date}."), date=leaf.not_valid_before_utc.date().isoformat())
    if not anchors:
        raise CertificateError("untrusted-certificate", N_("No certification authority is trusted yet; ask the administrator to add one."))
    verifier = (
        xv.PolicyBuilder().store(xv.Store(anchors)).time(at).max_chain_depth(8)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY).build_client_verifier()
    )
    try:
        return list(verifier.verify(leaf, intermediates).chain)
    except xv.VerificationError as exc:
        reason = str(exc)
        if "not valid at validation time" in reason:
            raise CertificateError("untrusted-certificate", N_("A certificate of the chain is not valid at this time.")) from exc
        if "key usage" in reason or "CA certificate cannot sign" in reason:
            raise CertificateError("bad-certificate", N_("The certificate is not meant for digital signatures (key usage).")) from exc
        raise CertificateError("untrusted-certificate", N_("The certificate does not chain to a trusted certification authority.")) from exc


# ---------------------------------------------------------------- signatures


def verify_signature(public_key, payload: bytes, signature: bytes) -> bool:
    """Whether `signature` over `payload` verifies with `public_key` under an accepted scheme.
    ECDSA signatures are accepted DER-encoded or as raw r||s (64 bytes, as WebCrypto produces)."""
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            candidates = [signature]
            if len(signature) == 64:
                candidates.append(encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")))
            for sig in candidates:
                try:
                    public_key.verify(sig, payload, ec.ECDSA(hashes.SHA256()))
                    return True
                except InvalidSignature:
                    continue
            return False
        if isinstance(public_key, rsa.RSAPublicKey):
            for pad in (padding.PKCS1v15(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)):
                try:
                    public_key.verify(signature, payload, pad, hashes.SHA256())
                    return True
                except InvalidSignature:
                    continue
            return False
        if isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, payload)
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def sign(private_key, payload: bytes) -> bytes:
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(payload, ec.ECDSA(hashes.SHA256()))
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(payload)
    raise TypeError("unsupported key")


# ---------------------------------------------------------------- keys held by the server


@lru_cache(maxsize=16)
def _derived_key(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"qaldyq-signing", info=purpose).derive(secret.encode())


def encrypt_private_key(secret: str, private_key, aad: bytes) -> bytes:
    """AES-256-GCM under a key derived (HKDF-SHA256) from the instance secret. `aad` binds the
    ciphertext to its owner, so a row copied to another user does not decrypt. Returns
    nonce || ciphertext."""
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    nonce = os.urandom(12)
    return nonce + AESGCM(_derived_key(secret, b"held-keys/v1")).encrypt(nonce, der, aad)


def decrypt_private_key(secret: str, blob: bytes, aad: bytes):
    der = AESGCM(_derived_key(secret, b"held-keys/v1")).decrypt(blob[:12], blob[12:], aad)
    return serialization.load_der_private_key(der, password=None)


def seal(secret: str, data: bytes) -> str:
    """HMAC-SHA256 under a key derived from the instance secret: who edits a stored row without
    the secret cannot recompute it."""
    return hmac.new(_derived_key(secret, b"signature-seal/v1"), data, hashlib.sha256).hexdigest()


def seal_matches(secret: str, data: bytes, expected: str) -> bool:
    return hmac.compare_digest(seal(secret, data), expected)


# ---------------------------------------------------------------- issuing certificates


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    private_key: object


def _name(common: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org[:64]))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common[:64]))
    return x509.Name(attrs)


def make_ca(common: str, org: str, now: datetime, years: int = 10) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common, org)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue_signing_certificate(ca_cert: x509.Certificate, ca_key, common: str, org: str | None, now: datetime, days: int = 365, uid: str | None = None) -> Issued:
    """A P-256 key and a certificate for signing documents (digitalSignature, nonRepudiation)."""
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = list(_name(common, org))
    if uid:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, uid[:64]))
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name(attrs)).issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Issued(cert, key)
