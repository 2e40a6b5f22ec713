from __future__ import annotations

import hashlib

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.transfers import schemas as s
from qaldyq.transfers import service
from qaldyq.transfers.workflow import FIELD_RULES, TRANSITIONS

router = APIRouter(prefix="/transfers", tags=["transfers"])
NUMBER = Path(pattern=r"^TD-\d{4}-\d{6,}$", max_length=20)


def out(principal: Principal, doc) -> s.TransferOut:
    result = s.TransferOut.model_validate(doc)
    result.allowed_actions = service.allowed_actions(principal, doc)
    return result


@router.get("", response_model=s.TransferPage)
def list_transfers(principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db),
                   state: str | None = Query(default=None, max_length=24), waiting: bool = False, q: str | None = Query(default=None, max_length=100),
                   waste_code: str | None = Query(default=None, max_length=16), limit: int = Query(default=50, ge=1, le=500), offset: int = Query(default=0, ge=0)):
    """Documents the caller may see; `waiting=true`: those waiting for the caller's organization."""
    total, rows = service.list_documents(db, principal, state=state, waiting=waiting, q=q, waste_code=waste_code, limit=limit, offset=offset)
    return s.TransferPage(total=total, items=[out(principal, d) for d in rows])


@router.post("", response_model=s.TransferOut, status_code=201)
def create(body: s.TransferIn, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    doc = service.create_document(db, principal, body)
    db.commit()
    return out(principal, doc)


@router.get("/workflow", response_model=s.WorkflowOut)
def workflow(principal: Principal = Depends(require(service.READ))):
    """The lifecycle table and the per-field sealed/required table."""
    return s.WorkflowOut(
        transitions=[{"state": t.state.value, "action": t.action.value, "party": t.party.value, "guard": t.guard, "signed": t.signed} for t in TRANSITIONS],
        fields=[{"field": r.field, "required_from": r.required_from.value if r.required_from else None, "sealed_from": r.sealed_from.value} for r in FIELD_RULES],
    )


@router.get("/{number}", response_model=s.TransferOut)
def detail(number: str = NUMBER, principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db)):
    return out(principal, service.get_document(db, principal, number))


@router.patch("/{number}", response_model=s.TransferOut)
def edit(body: s.TransferEdit, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    doc = service.edit_document(db, principal, number, body)
    db.commit()
    return out(principal, doc)


@router.put("/{number}/vehicle", response_model=s.TransferOut)
def set_vehicle(body: s.LegVehicle, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """The carrier of the next leg names its vehicle (then signs `sign_carrier`)."""
    doc = service.set_leg_vehicle(db, principal, number, body.vehicle_id, body.expected_version)
    db.commit()
    return out(principal, doc)


@router.put("/{number}/weighing", response_model=s.TransferOut)
def weighing(body: s.WeighingIn, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """The receiver records gross and tare on one of its verified instruments (then signs `receive`)."""
    doc = service.record_weighing(db, principal, number, body)
    db.commit()
    return out(principal, doc)


@router.put("/{number}/acceptance", response_model=s.TransferOut)
def acceptance(body: s.AcceptanceIn, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """Accepted and refused mass with the reason (then signs `accept`)."""
    doc = service.record_acceptance(db, principal, number, body)
    db.commit()
    return out(principal, doc)


@router.put("/{number}/operation", response_model=s.TransferOut)
def operation(body: s.ProcessingIn, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    doc = service.record_processing(db, principal, number, body)
    db.commit()
    return out(principal, doc)


@router.post("/{number}/cancel", response_model=s.TransferOut)
def cancel(body: s.CancelIn, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    doc = service.cancel(db, principal, number, body.reason, body.expected_version)
    db.commit()
    return out(principal, doc)


@router.get("/{number}/signing-request", response_model=s.SigningRequest)
def signing_request(number: str = NUMBER, action: str = Query(max_length=24), principal: Principal = Depends(require(service.WRITE)),
                    db: Session = Depends(get_db)):
    """The canonical JSON to sign for `action` over the document's current version."""
    payload, version, act = service.signing_request(db, principal, number, action)
    return s.SigningRequest(payload=payload.decode(), sha256=hashlib.sha256(payload).hexdigest(), version=version, action=act.value)


@router.post("/{number}/signatures", response_model=s.TransferOut)
def sign(body: s.SignatureIn, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """A signature over the signing request's payload, by the key of the caller's registered
    certificate, moves the document on; a stale version, the wrong party, a bad signature or an
    untrusted or expired certificate is refused and changes nothing."""
    doc = service.apply_signature(db, principal, number, body.action, body.sha256, body.signature)
    db.commit()
    return out(principal, doc)


@router.get("/{number}/revisions", response_model=list[s.RevisionOut])
def list_revisions(number: str = NUMBER, principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db)):
    return service.revisions(db, service.get_document(db, principal, number))


@router.post("/{number}/revisions", response_model=s.RevisionOut, status_code=201)
def request_revision(body: s.RevisionIn, number: str = NUMBER, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """After acceptance a document changes only by a revision that every party approves."""
    req = service.request_revision(db, principal, number, body.changes, body.reason)
    db.commit()
    return req


@router.post("/{number}/revisions/{revision_id}/decision", response_model=s.RevisionOut)
def decide_revision(body: s.RevisionDecision, revision_id: int = Path(ge=1), number: str = NUMBER,
                    principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    req = service.decide_revision(db, principal, number, revision_id, body.approved, body.comment)
    db.commit()
    return req


@router.get("/{number}/versions", response_model=list[s.VersionOut])
def versions(number: str = NUMBER, principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db)):
    return service.versions(db, service.get_document(db, principal, number))


@router.get("/{number}/verification", response_model=s.VerificationOut, openapi_extra={"x-qaldyq-public": True})
def verification(number: str = NUMBER, db: Session = Depends(get_db)):
    """Public: is the document intact and are its signatures valid? No personal data."""
    return service.verify_document(db, number)


# ---------------------------------------------------------------- bulk (transfers/bulk.py)

from fastapi import Request  # noqa: E402

from qaldyq.core.errors import Problem, request_locale  # noqa: E402
from qaldyq.transfers import bulk  # noqa: E402


@router.post("/bulk", response_model=s.BulkOut)
def bulk_items(body: s.BulkIn, request: Request, principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """Up to 1,000 operations (create, vehicle, weighing, acceptance, operation, sign), each with
    an idempotency key, each in its own savepoint: the valid ones are committed, each refused one
    carries its problem body and changes nothing. A replay (same key, same content) returns the
    original result; the same key with other content is refused."""
    results = bulk.run(db, principal, body.items)
    db.commit()
    locale = request_locale(request)
    items = [s.BulkItemOut(index=r.index, idempotency_key=r.idempotency_key, ok=r.ok, number=r.number, state=r.state, version=r.version,
                           replayed=r.replayed, problem=r.problem.body(locale) if r.problem else None) for r in results]
    return s.BulkOut(succeeded=sum(r.ok for r in results), failed=sum(not r.ok for r in results), items=items)


@router.post("/bulk/signing-requests", response_model=s.SigningRequestsOut)
def bulk_signing_requests(body: s.SigningRequestsIn, request: Request, principal: Principal = Depends(require(service.WRITE)),
                          db: Session = Depends(get_db)):
    """The signing requests of up to 1,000 (document, action) pairs in one call, read in one go:
    what a client signs before sending a bulk batch of signatures. Each answer is what
    `GET /{number}/signing-request` gives, or that request's problem. Reads only."""
    locale = request_locale(request)
    answers = service.signing_requests(db, principal, [(it.number, it.action) for it in body.items])
    items = []
    for i, (it, a) in enumerate(zip(body.items, answers)):
        if isinstance(a, Problem):
            items.append(s.SigningRequestItem(index=i, number=it.number, ok=False, problem=bulk.prefixed(a, i, "").body(locale)))
        else:
            payload, version, act = a
            items.append(s.SigningRequestItem(index=i, number=it.number, ok=True, action=act.value, version=version,
                                              payload=payload.decode(), sha256=hashlib.sha256(payload).hexdigest()))
    return s.SigningRequestsOut(items=items)


# ---------------------------------------------------------------- import of drafts (transfers/imports.py)

from typing import Literal  # noqa: E402

from fastapi import File, UploadFile  # noqa: E402
from fastapi.responses import Response  # noqa: E402

from qaldyq.transfers import imports  # noqa: E402


@router.get("/import/template", response_class=Response)
def import_template(format: Literal["xlsx", "csv"] = "xlsx", principal: Principal = Depends(require(service.WRITE))):
    """An empty file with the import columns (docs/transfers.md, "Import of draft documents")."""
    content, media = imports.template(format)
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="transfers-import.{format}"'})


@router.post("/import", response_model=s.ImportOut,
             responses={422: {"description": "problem+json naming /rows/{line}/{column}, or with error_file=true the file with an error column"}})
async def import_drafts(request: Request, file: UploadFile = File(...), dry_run: bool = False, error_file: bool = False,
                       principal: Principal = Depends(require(service.WRITE)), db: Session = Depends(get_db)):
    """Draft documents from XLSX or CSV, all rows or none: every row is checked as the single
    create endpoint checks it; with `dry_run=true` nothing is kept even when all rows pass."""
    limit = request.app.state.settings.max_upload_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        from qaldyq.core.errors import Problem

        raise Problem(413, "too-large", "The request could not be processed.", "The file is larger than {limit} bytes.", limit=limit)
    try:
        outcome = imports.import_drafts(db, principal, content, file.filename, dry_run=dry_run)
    except imports.ImportRejected as exc:
        db.rollback()
        if error_file and exc.sheet is not None:
            body, media = imports.spreadsheets.error_file(exc.sheet, exc.errors, request_locale(request))
            ext = "xlsx" if media.startswith("application/vnd") else "csv"
            return Response(body, status_code=422, media_type=media, headers={"Content-Disposition": f'attachment; filename="errors-transfers.{ext}"'})
        raise imports.problem(exc) from None
    db.commit()
    return s.ImportOut(rows=outcome.rows, created=len(outcome.numbers), numbers=outcome.numbers, dry_run=outcome.dry_run)


# ---------------------------------------------------------------- the document as a PDF (transfers/pdf.py)

from qaldyq.transfers import pdf as transfer_pdf  # noqa: E402


@router.get("/{number}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def pdf(number: str = NUMBER, lang: Literal["kk", "ru"] = "kk", principal: Principal = Depends(require(service.READ)), db: Session = Depends(get_db)):
    """The document as a printable PDF in Kazakh or Russian with a QR code of its public
    verification page; for whoever may see the document (its parties and the regulators)."""
    doc = service.get_document(db, principal, number)
    content = transfer_pdf.render(db, doc, lang)
    return Response(content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{number}-{lang}.pdf"'})
