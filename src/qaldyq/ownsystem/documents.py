"""Documents of the checklist: upload (type recognised from the content, size limited), attach a
record already in Qaldyq by reference, the operator's legibility/conformity marks, and the
checklist state of an application (what is required, present, legible)."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.errors import FieldError, Problem, conflict, forbidden, invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.ownsystem.checklist import BY_CODE, ITEMS, MAX_FILE_BYTES, Item, required, sniff
from qaldyq.ownsystem.models import ApplicationDocument, OwnApplication
from qaldyq.ownsystem.workflow import Status

# When the applicant may add documents: while preparing, and when the operator asked for more.
OPEN_FOR_APPLICANT = {Status.DRAFT, Status.INCOMPLETE, Status.AWAITING_IMPORT_DOCS}
# When the operator marks documents: while they are with it.
OPERATOR_STATES = {Status.WITH_OPERATOR, Status.UNDER_REVIEW, Status.INCOMPLETE, Status.AWAITING_IMPORT_DOCS}


def _item(code: str) -> Item:
    item = BY_CODE.get(code)
    if item is None:
        raise invalid("/item", N_("Unknown document {value}."), code="unknown-item", value=code)
    if item.supplier != "applicant":
        raise invalid("/item", N_("The applicant does not supply document {value}."), code="not-applicant", value=code)
    return item


def _writable(principal: Principal, app: OwnApplication) -> None:
    if not principal.sees_org("ownsystem.apply", app.organization_id):
        raise forbidden()
    if app.status not in OPEN_FOR_APPLICANT:
        raise conflict("/status", N_("Documents can be added only to a draft or when the operator asked for them."), code="closed")


def check_meta(item: Item, meta: dict) -> dict:
    """The typed metadata of the item; unknown fields and wrong types are refused."""
    allowed = dict(item.fields)
    errors: list[FieldError] = []
    out: dict = {}
    for key, value in meta.items():
        kind = allowed.get(key)
        ptr = f"/meta/{key}"
        if kind is None:
            errors.append(FieldError(N_("This field is not allowed here."), pointer=ptr, code="extra_forbidden"))
            continue
        try:
            if kind == "date":
                out[key] = date.fromisoformat(str(value)).isoformat()
            elif kind == "tonnes":
                t = Decimal(str(value))
                if not t.is_finite() or t < 0 or t != t.quantize(Decimal("0.001")):
                    raise ValueError
                out[key] = str(t.quantize(Decimal("0.001")))
            elif kind == "int":
                if isinstance(value, bool) or int(value) != value or int(value) < 0:
                    raise ValueError
                out[key] = int(value)
            elif kind == "signatory":
                if value not in ("first_head", "authorized_person", "substitute"):
                    raise ValueError
                out[key] = value
            else:
                text = str(value).strip()
                if not 1 <= len(text) <= 300:
                    raise ValueError
                out[key] = text
        except (ValueError, TypeError, InvalidOperation):
            errors.append(FieldError(N_("Invalid value for {field} ({kind})."), pointer=ptr, params={"field": key, "kind": kind}, code="invalid"))
    if errors:
        raise Problem(422, "invalid", "The request is not valid.", errors[0].msgid, errors)
    return out


def add_file(db: Session, principal: Principal, app: OwnApplication, item_code: str, filename: str, data: bytes, meta: dict) -> ApplicationDocument:
    item = _item(item_code)
    _writable(principal, app)
    if not data:
        raise invalid("/file", N_("The file is empty."), code="empty")
    if len(data) > MAX_FILE_BYTES:
        raise invalid("/file", N_("The file is larger than {limit} MB."), code="too-large", limit=MAX_FILE_BYTES // (1024 * 1024))
    kind = sniff(data)
    if kind is None:
        raise invalid("/file", N_("Only PDF, PNG, JPEG and office (XLSX, DOCX) files are accepted."), code="wrong-type")
    doc = ApplicationDocument(item=item.code, filename=(filename or "document")[:200], content_type=kind, size=len(data),
                              sha256=hashlib.sha256(data).hexdigest(), meta=check_meta(item, meta), data=data)
    app.documents.append(doc)
    db.flush()
    return doc


def add_reference(db: Session, principal: Principal, app: OwnApplication, item_code: str, ref: str, meta: dict) -> ApplicationDocument:
    """Attach a transfer document (by number) or a weighing instrument (by id) the applicant can see."""
    item = _item(item_code)
    _writable(principal, app)
    if item.by_reference is None:
        raise invalid("/item", N_("Document {value} cannot be given by reference; upload the file."), code="no-reference", value=item_code)
    if item.by_reference == "transfer":
        from qaldyq.transfers import service as transfers

        try:
            value = transfers.get_document(db, principal, ref).number
        except Problem:
            raise invalid("/ref", N_("No transfer document {value} that you can see."), code="unknown-ref", value=ref) from None
    else:
        from qaldyq.registry import service as registry

        try:
            inst = registry.visible_instrument(db, principal, int(ref))
        except (Problem, ValueError):
            raise invalid("/ref", N_("No weighing instrument {value} that you can see."), code="unknown-ref", value=ref) from None
        if inst.site.organization_id != app.organization_id:
            raise invalid("/ref", N_("No weighing instrument {value} that you can see."), code="unknown-ref", value=ref)
        value = str(inst.id)
    if any(d.item == item.code and d.ref_kind == item.by_reference and d.ref_value == value for d in app.documents):
        raise conflict("/ref", N_("This record is already attached."), code="duplicate")
    doc = ApplicationDocument(item=item.code, ref_kind=item.by_reference, ref_value=value, meta=check_meta(item, meta))
    app.documents.append(doc)
    db.flush()
    return doc


def mark(db: Session, principal: Principal, app: OwnApplication, doc_id: int, legible: bool | None, conforms: bool | None, note: str | None) -> ApplicationDocument:
    """The operator's completeness/legibility (point 6.1) and conformity (App. 2 column 3) marks."""
    if not principal.can("ownsystem.review"):
        raise forbidden()
    if app.status not in OPERATOR_STATES:
        raise conflict("/status", N_("The documents are not with the operator."), code="closed")
    doc = next((d for d in app.documents if d.id == doc_id), None)
    if doc is None:
        raise not_found()
    doc.legible, doc.conforms, doc.review_note = legible, conforms, note
    db.flush()
    return doc


def checklist(app: OwnApplication) -> list[dict]:
    rows = []
    for item in ITEMS:
        docs = [d for d in app.documents if d.item == item.code]
        rows.append({
            "code": item.code, "row": item.row, "label": item.label, "supplier": item.supplier, "point": item.point,
            "required": required(item, app), "present": bool(docs) or (item.code == "8" and app.srb_items is not None),
            "legible": None if not docs else all(d.legible is not False for d in docs),
            "conforms": None if not docs or any(d.conforms is None for d in docs) else all(d.conforms for d in docs),
            "documents": [doc_out(d) for d in docs],
        })
    return rows


def missing(app: OwnApplication) -> list[str]:
    return [r["code"] for r in checklist(app) if r["required"] and r["supplier"] == "applicant" and (not r["present"] or r["legible"] is False)]


def doc_out(d: ApplicationDocument) -> dict:
    return {"id": d.id, "item": d.item, "ref_kind": d.ref_kind, "ref_value": d.ref_value, "filename": d.filename, "content_type": d.content_type,
            "size": d.size, "sha256": d.sha256, "meta": d.meta or {}, "legible": d.legible, "conforms": d.conforms, "review_note": d.review_note}
