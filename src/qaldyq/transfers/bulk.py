"""Bulk transfers: up to 1,000 operations in one request, each with the caller's idempotency key.
An item runs exactly the single-document service function with the single endpoint's schema, so
a bulk item can do nothing that the single API could not. Items run set-based when they can
(batch.py), else each in its own savepoint; the results are the same.

- a refused item stores nothing (a corrected retry under the same key is possible); the valid
  items of the same request are committed by the caller;
- a succeeded item stores its result under (organization, key) with the SHA-256 of the item's
  canonical JSON: the same key with the same content returns the stored result and runs
  nothing; the same key with other content is refused (409 idempotency-key-reused).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from contextlib import nullcontext
from typing import Callable


from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.database import chunks
from qaldyq.core.errors import Problem, conflict, invalid, pydantic_field_errors
from qaldyq.signing.crypto import canonical
from qaldyq.transfers import batch as batches
from qaldyq.transfers import schemas as s
from qaldyq.transfers import service
from qaldyq.transfers.models import BulkItemResult, TransferDocument

MAX_ITEMS = 1_000


@dataclass(frozen=True)
class Op:
    schema: type[BaseModel]  # the single endpoint's body
    run: Callable  # (db, principal, number, body) -> TransferDocument
    needs_number: bool = True


# op -> the single endpoint it stands for (rules as data: adding an op is one line)
OPS: dict[str, Op] = {
    "create": Op(s.TransferIn, lambda db, p, _n, b: service.create_document(db, p, b), needs_number=False),
    "vehicle": Op(s.LegVehicle, lambda db, p, n, b: service.set_leg_vehicle(db, p, n, b.vehicle_id, b.expected_version)),
    "weighing": Op(s.WeighingIn, service.record_weighing),
    "acceptance": Op(s.AcceptanceIn, service.record_acceptance),
    "operation": Op(s.ProcessingIn, service.record_processing),
    "sign": Op(s.SignatureIn, lambda db, p, n, b: service.apply_signature(db, p, n, b.action, b.sha256, b.signature)),
}


@dataclass
class ItemResult:
    index: int
    idempotency_key: str | None
    ok: bool
    number: str | None = None
    state: str | None = None
    version: int | None = None
    replayed: bool = False
    problem: Problem | None = None


def fingerprint(item: dict) -> str:
    return hashlib.sha256(canonical(item)).hexdigest()


def _validation_problem(exc: ValidationError, prefix: tuple) -> Problem:
    errors = pydantic_field_errors([{**e, "loc": prefix + tuple(e["loc"])} for e in exc.errors()])
    return Problem(422, "validation", "The request is not valid.", errors[0].msgid, errors, **errors[0].params)


def _validate(index: int, raw) -> tuple[s.BulkItem, BaseModel]:
    """The envelope, then the op's own body; pointers name the field inside the request."""
    try:
        item = s.BulkItem.model_validate(raw)
    except ValidationError as exc:
        raise _validation_problem(exc, ("body", "items", index)) from None
    if OPS[item.op].needs_number and not item.number:
        raise invalid(f"/items/{index}/number", "This field is required.", code="missing")
    try:
        return item, OPS[item.op].schema.model_validate(item.data)
    except ValidationError as exc:
        raise _validation_problem(exc, ("body", "items", index, "data")) from None


def prefixed(problem: Problem, index: int, inside: str = "/data") -> Problem:
    """Service errors point into the single body; in bulk they point into the item (its data)."""
    for e in problem.errors:
        if e.pointer is not None and not e.pointer.startswith("/items/"):
            e.pointer = f"/items/{index}{inside}{e.pointer}"
    return problem


def _stored(db: Session, principal: Principal, items: list) -> dict[str, BulkItemResult]:
    keys = [k for raw in items if isinstance(raw, dict) and isinstance(k := raw.get("idempotency_key"), str)]
    stored: dict[str, BulkItemResult] = {}
    for chunk in chunks(keys):
        q = select(BulkItemResult).where(BulkItemResult.org_id == principal.org_id, BulkItemResult.idempotency_key.in_(chunk))
        stored.update((r.idempotency_key, r) for r in db.scalars(q))
    return stored


def _check(index: int, raw) -> tuple[s.BulkItem, BaseModel, str] | Problem:
    try:
        item, body = _validate(index, raw)
    except Problem as exc:
        return exc
    return item, body, fingerprint(raw)


def run(db: Session, principal: Principal, items: list) -> list[ItemResult]:
    """Process the items in order (a later item may act on a document an earlier one created).
    Never commits; the caller commits what succeeded. The batch path (transfers/batch.py) runs
    first; what it cannot decide in memory is rolled back and run item by item."""
    if len(items) > MAX_ITEMS:
        raise invalid("/items", "Must have at most {max_length} items.", code="too_long", max_length=MAX_ITEMS)
    stored = _stored(db, principal, items)
    checked = [_check(i, raw) for i, raw in enumerate(items)]
    try:
        with db.begin_nested():
            return _run(db, principal, items, checked, dict(stored), batched=True)
    except (batches.Fallback, IntegrityError):
        return _run(db, principal, items, checked, stored, batched=False)


def _batch_for(db: Session, checked: list):
    ok = [c for c in checked if not isinstance(c, Problem)]
    return batches.open_batch(
        db, numbers={item.number for item, _b, _f in ok if item.number},
        creates=[item.data for item, _b, _f in ok if item.op == "create"],
        vehicle_ids={body.vehicle_id for item, body, _f in ok if item.op == "vehicle"},
        instrument_ids={body.instrument_id for item, body, _f in ok if item.op == "weighing"})


def _run(db: Session, principal: Principal, items: list, checked: list, stored: dict[str, BulkItemResult], *, batched: bool) -> list[ItemResult]:
    results = []
    with _batch_for(db, checked) if batched else nullcontext() as b:
        for i, raw in enumerate(items):
            key = raw.get("idempotency_key") if isinstance(raw, dict) else None
            if isinstance(checked[i], Problem):
                results.append(ItemResult(i, key, False, problem=checked[i]))
                continue
            item, body, fp = checked[i]
            done = stored.get(item.idempotency_key)
            if done is not None:
                if done.request_sha256 != fp:
                    results.append(ItemResult(i, key, False, problem=conflict(
                        f"/items/{i}/idempotency_key", "This idempotency key was already used for another request.", code="idempotency-key-reused")))
                else:
                    results.append(ItemResult(i, key, True, done.number, done.state, done.version, replayed=True))
                continue
            mark = b.checkpoint(item.number) if b else None
            try:
                with nullcontext() if b else db.begin_nested():
                    doc: TransferDocument = OPS[item.op].run(db, principal, item.number, body)
                    row = BulkItemResult(org_id=principal.org_id, idempotency_key=item.idempotency_key, request_sha256=fp, op=item.op,
                                         number=doc.number, state=doc.state, version=doc.version, user_id=principal.user_id)
                    db.add(row)
                    if b is None:
                        db.flush()
                stored[item.idempotency_key] = row
                results.append(ItemResult(i, key, True, doc.number, doc.state, doc.version))
            except Problem as exc:
                if b:
                    b.undo(mark)
                results.append(ItemResult(i, key, False, problem=prefixed(exc, i)))
            except IntegrityError:  # a concurrent request with the same key, or a rule the database keeps
                if b:
                    raise
                results.append(ItemResult(i, key, False, problem=conflict(f"/items/{i}", "This item conflicts with data written at the same time; retry it.", code="concurrent-write")))
        if b:
            b.finish()
    return results
