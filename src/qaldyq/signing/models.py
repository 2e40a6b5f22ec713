"""Trusted certification authorities, users' certificates, keys held for web users, and stored
signatures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qaldyq.core.database import Base, UTCDateTime, utcnow


class TrustedCA(Base):
    """A CA certificate users' certificates may chain to (roots and intermediates alike are trust
    anchors). Removal is a mark, so old signatures still show which CA they relied on. A CA whose
    private key the instance holds (encrypted) can issue certificates for held keys."""

    __tablename__ = "signing_trusted_cas"
    __audit_mask__ = ("private_key_enc",)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    self_signed: Mapped[bool] = mapped_column(Boolean)
    pem: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(200))
    private_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserCertificate(Base):
    """A signing certificate registered by (or issued for) a user."""

    __tablename__ = "signing_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(24))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str | None] = mapped_column(Text)  # intermediates sent with the certificate
    held: Mapped[bool] = mapped_column(Boolean, default=False)  # its key is kept by the server
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HeldKey(Base):
    """The private key of a held certificate, AES-GCM encrypted under a key derived from the
    instance secret and bound to its user and certificate."""

    __tablename__ = "signing_held_keys"
    __audit_mask__ = ("key_enc",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signing_certificates.id"), unique=True)
    key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoredSignature(Base):
    """One signing action: who signed which version of which document, with which certificate.
    Self-contained evidence: the payload, its hash, the signature and the certificate fingerprint
    re-verify on their own, and `seal` (an HMAC under the instance secret) covers every column,
    signed_at included. Immutable (database triggers refuse UPDATE and DELETE). Not audited row
    by row: the document's own audited transition cites it."""

    __tablename__ = "signing_signatures"
    __audit__ = False
    __table_args__ = (Index("ix_signing_signatures_document", "document_type", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    version_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    signer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    certificate_fingerprint: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(24))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    held_key: Mapped[bool] = mapped_column(Boolean)  # signed by the server with the user's held key
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal: Mapped[str] = mapped_column(String(64))
