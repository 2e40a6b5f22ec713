"""Generation, processing, disposal and export recorded by the site that performs them, signed
like every other action: the signer signs the canonical JSON of the event (document type
"ledger_event", document id = the idempotency key, action "ledger.<kind>"), the server verifies
the signature, posts the transaction and keeps the signature as evidence — all in one
transaction. API clients sign with their own keys; the web UI with the key held for the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.errors import forbidden
from qaldyq.core.roles import Scope
from qaldyq.ledger import service
from qaldyq.ledger.models import LedgerTransaction
from qaldyq.ledger.reports import transaction_detail
from qaldyq.ledger.schemas import DisposalIn, ExportIn, GenerationIn, ProcessingIn, ReversalIn
from qaldyq.ledger.sites import SiteInfo, site_info
from qaldyq.signing import service as signing

DOCUMENT_TYPE = "ledger_event"
EVENT_MODELS: dict[str, type[BaseModel]] = {"generation": GenerationIn, "processing": ProcessingIn, "disposal": DisposalIn, "export": ExportIn}
REVERSIBLE = {service.Kind.GENERATION, service.Kind.PROCESSING, service.Kind.DISPOSAL, service.Kind.EXPORT}


@dataclass(frozen=True)
class Recorded:
    posting: service.Posting
    signature_id: int | None  # None on an idempotent replay (the first signature stands)


def _ref(body) -> service.Reference | None:
    return service.Reference(body.reference.type, body.reference.id) if getattr(body, "reference", None) else None


def document(body: BaseModel, **extra) -> dict:
    """The event as signed: the request body without its signature, JSON-normalized."""
    return {**extra, **body.model_dump(mode="json", exclude={"signature"})}


def payload(kind: str, body: BaseModel, **extra) -> bytes:
    return signing.signing_payload(DOCUMENT_TYPE, body.idempotency_key, f"ledger.{kind}", document(body, **extra))


def authorize_site(db: Session, principal: Principal, site_id: int, pointer: str = "/site_id") -> SiteInfo:
    info = site_info(db, site_id, pointer)
    scope = principal.scope("ledger.write")
    if scope is None or (scope is not Scope.ALL and info.organization_id != principal.org_id):
        raise forbidden("You may record only for the sites of your own organization.")
    return info


def post(db: Session, kind: str, body: BaseModel, user_id: int | None) -> service.Posting:
    common = {"key": body.idempotency_key, "site_id": body.site_id, "effective_at": body.effective_at, "reference": _ref(body), "note": body.note, "user_id": user_id}
    if kind == "generation":
        return service.record_generation(db, waste_code=body.waste_code, mass_kg=body.mass_kg, **common)
    if kind == "disposal":
        return service.record_disposal(db, waste_code=body.waste_code, mass_kg=body.mass_kg, operation=body.operation, **common)
    if kind == "export":
        return service.record_export(db, waste_code=body.waste_code, mass_kg=body.mass_kg, country=body.country, **common)
    if kind == "processing":
        return service.record_processing(
            db, inputs=[service.Mass(i.waste_code, i.mass_kg) for i in body.inputs], outputs=[service.Output(o.kind, o.code, o.mass_kg) for o in body.outputs],
            residues=[service.Mass(r.waste_code, r.mass_kg) for r in body.residues], loss_kg=body.loss_kg, operation=body.operation, **common)
    raise ValueError(kind)


def record(db: Session, principal: Principal, kind: str, body: BaseModel, sha256: str | None = None, signature_b64: str | None = None) -> Recorded:
    """Check the caller may record for the site, verify the signature (or, without one, sign with
    the caller's held key: the web UI), post, and keep the signature."""
    authorize_site(db, principal, body.site_id)
    data = payload(kind, body)
    verified = _verified(db, principal, data, sha256, signature_b64)
    posting = post(db, kind, body, principal.user_id)
    stored = signing.store_signature(db, verified, data) if posting.created else None
    return Recorded(posting, stored.id if stored else None)


def authorize_reversal(db: Session, principal: Principal, transaction_id: int) -> LedgerTransaction:
    from qaldyq.core.errors import conflict, not_found

    tx = db.get(LedgerTransaction, transaction_id)
    if tx is None:
        raise not_found("Transaction {id} does not exist.", id=transaction_id)
    authorize_site(db, principal, tx.site_id)
    if tx.kind not in REVERSIBLE:
        raise conflict(None, "Transfers are corrected through their transfer document, not here.", code="not-reversible-here")
    return tx


def reversal_payload(transaction_id: int, body: ReversalIn) -> bytes:
    return signing.signing_payload(DOCUMENT_TYPE, body.idempotency_key, "ledger.reversal", document(body, transaction_id=transaction_id))


def reverse(db: Session, principal: Principal, transaction_id: int, body: ReversalIn, sha256: str | None = None, signature_b64: str | None = None) -> Recorded:
    authorize_reversal(db, principal, transaction_id)
    data = reversal_payload(transaction_id, body)
    verified = _verified(db, principal, data, sha256, signature_b64)
    posting = service.reverse(db, key=body.idempotency_key, transaction_id=transaction_id, reason=body.reason, effective_at=body.effective_at, user_id=principal.user_id)
    stored = signing.store_signature(db, verified, data) if posting.created else None
    return Recorded(posting, stored.id if stored else None)


def _verified(db: Session, principal: Principal, data: bytes, sha256: str | None, signature_b64: str | None):
    if signature_b64 is None:
        return signing.sign_and_verify_as_user(db, principal.user_id, data)
    return signing.verify(db, principal.user_id, data, sha256, signature_b64)


def signatures(db: Session, transaction_id: int) -> list:
    detail = transaction_detail(db, transaction_id)
    return signing.signatures_for(db, DOCUMENT_TYPE, detail.idempotency_key)
