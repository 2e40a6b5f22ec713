"""A small certification authority for tests, built with `cryptography` as an outside client
would: CA and intermediate certificates, user keys of each accepted type, and signatures."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def now() -> datetime:
    return datetime.now(timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def new_key(kind: str = "ec"):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "p384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    if kind == "rsa1024":
        return rsa.generate_private_key(65537, 1024)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(kind)


def pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


@dataclass
class CA:
    cert: x509.Certificate
    key: object

    @property
    def pem(self) -> str:
        return pem(self.cert)

    def intermediate(self, cn: str = "Test Intermediate CA") -> CA:
        return make_ca(cn, issuer=self)

    def issue(self, cn: str = "Test User", kind: str = "ec", *, days: int = 365, start_days_ago: int = 1, key_usage: str = "sign", key=None) -> tuple[x509.Certificate, object]:
        key = key or new_key(kind)
        t = now()
        ku = {
            "sign": x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            "encipher": x509.KeyUsage(False, False, True, False, False, False, False, False, False),
        }[key_usage]
        cert = (
            x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(t - timedelta(days=start_days_ago)).not_valid_after(t + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(ku, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return cert, key


def make_ca(cn: str = "Test Root CA", issuer: CA | None = None, kind: str = "ec") -> CA:
    key = new_key(kind)
    t = now()
    builder = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(issuer.cert.subject if issuer else _name(cn)).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(t - timedelta(days=30)).not_valid_after(t + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return CA(cert, key)


def sign_b64(key, payload: bytes, rsa_pss: bool = False) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if rsa_pss else padding.PKCS1v15()
        sig = key.sign(payload, pad, hashes.SHA256())
    else:
        sig = key.sign(payload)
    return base64.b64encode(sig).decode()


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()
