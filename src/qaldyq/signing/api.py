"""The signing contract's certificate part (`/me/certificates`) and the trust store (`/pki`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.signing import service
from qaldyq.signing.models import TrustedCA
from qaldyq.signing.schemas import CertificateIn, CertificateOut, TrustedCAIn, TrustedCAOut

router = APIRouter()


def ca_out(row: TrustedCA) -> TrustedCAOut:
    return TrustedCAOut(
        fingerprint=row.fingerprint, subject=row.subject, issuer=row.issuer, not_before=row.not_before, not_after=row.not_after,
        self_signed=row.self_signed, label=row.label, issues_held_keys=row.private_key_enc is not None, added_at=row.added_at,
        removed_at=row.removed_at, pem=row.pem,
    )


@router.get("/me/certificates", response_model=list[CertificateOut], tags=["signing"])
def my_certificates(principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    """The caller's signing certificates, revoked ones included."""
    return service.list_certificates(db, principal.user_id)


@router.post("/me/certificates", response_model=CertificateOut, status_code=201, tags=["signing"])
def register_certificate(body: CertificateIn, principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    """Register a signing certificate (PEM, optionally followed by intermediates). It must chain
    to a trusted CA and be valid today; its key must be ECDSA P-256, RSA (2048-8192) or Ed25519."""
    row = service.register_certificate(db, principal.user_id, body.certificate)
    db.commit()
    return row


@router.delete("/me/certificates/{certificate_id}", response_model=CertificateOut, tags=["signing"])
def revoke_certificate(certificate_id: int = Path(ge=1), principal: Principal = Depends(require("signing.own")), db: Session = Depends(get_db)):
    """Revoke one of the caller's certificates: it signs nothing from now on."""
    row = service.revoke_certificate(db, principal.user_id, certificate_id)
    db.commit()
    return row


@router.get("/pki/trusted-cas", response_model=list[TrustedCAOut], tags=["signing"])
def trusted_cas(principal: Principal = Depends(require("pki.read")), db: Session = Depends(get_db)):
    """The certification authorities users' certificates may chain to."""
    return [ca_out(r) for r in service.trusted_cas(db)]


@router.post("/pki/trusted-cas", response_model=list[TrustedCAOut], status_code=201, tags=["signing"])
def trust_add(body: TrustedCAIn, principal: Principal = Depends(require("pki.manage")), db: Session = Depends(get_db)):
    """Trust the CA certificates of a PEM bundle (system administrator)."""
    rows = service.trust_add(db, body.certificate, body.label)
    db.commit()
    return [ca_out(r) for r in rows]


@router.delete("/pki/trusted-cas/{fingerprint}", response_model=TrustedCAOut, tags=["signing"])
def trust_remove(fingerprint: str = Path(min_length=64, max_length=95), principal: Principal = Depends(require("pki.manage")), db: Session = Depends(get_db)):
    """Stop trusting a CA (system administrator). Certificates chaining only to it stop signing."""
    row = service.trust_remove(db, fingerprint)
    db.commit()
    return ca_out(row)
