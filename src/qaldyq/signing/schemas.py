from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from qaldyq.core.schemas import Strict

PEM_MAX = 64 * 1024


class CertificateIn(Strict):
    certificate: str = Field(min_length=1, max_length=PEM_MAX, description="PEM: the signing certificate, optionally followed by intermediate CA certificates")


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    fingerprint: str = Field(description="SHA-256 of the DER certificate, hex")
    subject: str
    issuer: str
    serial: str
    algorithm: str
    not_before: datetime
    not_after: datetime
    held: bool = Field(description="true when the private key is kept by the server for web signing")
    registered_at: datetime
    revoked_at: datetime | None


class TrustedCAIn(Strict):
    certificate: str = Field(min_length=1, max_length=PEM_MAX, description="PEM: one or more CA certificates")
    label: str | None = Field(default=None, max_length=200)


class TrustedCAOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    fingerprint: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    self_signed: bool
    label: str | None
    issues_held_keys: bool = False
    added_at: datetime
    removed_at: datetime | None
    pem: str


class SigningRequestOut(BaseModel):
    payload: str = Field(description="RFC 8785 canonical JSON text; sign its UTF-8 bytes")
    sha256: str = Field(description="SHA-256 of the payload bytes, hex")


class SignatureIn(Strict):
    sha256: str = Field(min_length=64, max_length=64, pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the payload, hex")
    signature: str = Field(min_length=1, max_length=4096, description="base64 signature over the payload bytes")


class StoredSignatureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    document_type: str
    document_id: str
    action: str
    version_hash: str
    signer_user_id: int
    certificate_fingerprint: str
    algorithm: str
    held_key: bool
    signed_at: datetime
