"""The audit log: every write to an audited table is recorded (who, when, what, before/after) in
the same transaction, each record chained to the previous one by SHA-256.

Recording happens in a flush hook, so no service can forget it. The head row is locked while a
transaction appends, so concurrent writers on PostgreSQL cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE

from qaldyq.core.database import utcnow
from qaldyq.core.models import AuditHead, AuditRecord

GENESIS = "0" * 64
MASK = "***"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    org_id: int | None
    label: str


SYSTEM = Actor(None, None, "system")


def set_actor(session: Session, actor: Actor) -> None:
    session.info["actor"] = actor


_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes sha256={hashlib.sha256(value).hexdigest()}>"
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _masked(obj) -> set[str]:
    return set(getattr(obj, "__audit_mask__", ()))


def _snapshot(obj, *, before: bool) -> dict[str, Any]:
    """The row's column values after the flush, or before it (the committed value of each changed
    column, read from the state's committed values rather than per-attribute history: the flush
    hook runs for every audited row)."""
    state = inspect(obj)
    masked = _masked(obj)
    committed = state.committed_state if before else {}
    current = state.dict
    out: dict[str, Any] = {}
    for key in _column_keys(state.mapper):
        if key in committed:
            value = committed[key]
            value = None if value is NO_VALUE or value is NEVER_SET else value
        elif key in current:
            value = current[key]
        else:
            value = getattr(obj, key, None)
        if key in masked and value is not None:
            value = MASK
        out[key] = value if type(value) in _PLAIN else _jsonable(value)  # most values are plain: no call
    return out


@lru_cache(maxsize=None)
def _column_keys(mapper) -> tuple[str, ...]:
    return tuple(attr.key for attr in mapper.column_attrs)


def _entity_id(obj) -> str:
    # New rows get their identity key only after the flush hooks; their primary key is set already.
    state = inspect(obj)
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    if not ident or all(i is None for i in ident):
        return "?"
    return "/".join(str(i) for i in ident)


def record_hash(rec: dict[str, Any]) -> str:
    body = {k: rec[k] for k in ("seq", "at", "actor_user_id", "actor_org_id", "actor_label", "action", "entity", "entity_id", "before", "after", "prev_hash")}
    body["at"] = rec["at"].isoformat() if isinstance(rec["at"], datetime) else rec["at"]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _changes(session: Session) -> list[tuple[str, Any, dict | None, dict | None]]:
    changes = []
    for obj in session.new:
        if getattr(obj, "__audit__", False):
            changes.append(("create", obj, None, _snapshot(obj, before=False)))
    for obj in session.dirty:
        if getattr(obj, "__audit__", False) and session.is_modified(obj, include_collections=False):
            before, after = _snapshot(obj, before=True), _snapshot(obj, before=False)
            if before != after:
                changes.append(("update", obj, before, after))
    for obj in session.deleted:
        if getattr(obj, "__audit__", False):
            changes.append(("delete", obj, _snapshot(obj, before=True), None))
    return changes


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, flush_context) -> None:
    changes = _changes(session)
    if not changes:
        return
    append(session, [(action, type(obj).__tablename__, _entity_id(obj), before, after) for action, obj, before, after in changes])


def append(session: Session, items: list[tuple[str, str, str, dict | None, dict | None]]) -> None:
    """Append records (action, entity, entity_id, before, after) to the chain. Also used directly
    for business actions on tables that are not audited row by row."""
    if not items:
        return
    actor: Actor = session.info.get("actor", SYSTEM)
    conn = session.connection()
    head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        conn.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = head
    now = utcnow()
    rows = []
    for action, entity, entity_id, before, after in items:
        seq += 1
        rec = {
            "seq": seq, "at": now, "actor_user_id": actor.user_id, "actor_org_id": actor.org_id,
            "actor_label": actor.label, "action": action, "entity": entity, "entity_id": entity_id,
            "before": before, "after": after, "prev_hash": prev,
        }
        rec["hash"] = prev = record_hash(rec)
        rows.append(rec)
    conn.execute(insert(AuditRecord), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session, batch: int = 5000, progress=None) -> VerifyResult:
    """Walk the chain in order; report the first record whose hash or link does not hold."""
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    head_seq, head_hash = head if head else (0, GENESIS)
    expected_prev, expected_seq, checked, last = GENESIS, 1, 0, 0
    cols = [c for c in AuditRecord.__table__.columns]
    while True:
        rows = session.execute(select(*cols).where(AuditRecord.seq > last).order_by(AuditRecord.seq).limit(batch)).mappings().all()
        if not rows:
            break
        for row in rows:
            rec = dict(row)
            if rec["seq"] != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"record {expected_seq} is missing")
            if rec["prev_hash"] != expected_prev:
                return VerifyResult(False, checked, rec["seq"], "link to the previous record does not match")
            if record_hash(rec) != rec["hash"]:
                return VerifyResult(False, checked, rec["seq"], "content does not match its hash")
            expected_prev, expected_seq, last = rec["hash"], rec["seq"] + 1, rec["seq"]
            checked += 1
        if progress:
            progress(checked, head_seq)
    if last != head_seq or expected_prev != head_hash:
        return VerifyResult(False, checked, last + 1, f"chain ends at {last} but the head says {head_seq}")
    return VerifyResult(True, checked)
