"""Posting to the mass ledger. Every function here is one balanced transaction, atomic on its own
(a savepoint), idempotent by its key, and refuses what would make a site or in-transit balance
negative. Services never commit; the caller's edge does.

Transaction kinds and their entries (kg; + enters an account, - leaves it):

    generation        world:generation:C -m        site S:C +m
    transfer_pending  site S:C -m                   transit:T +m          (pick-up)
    transfer_posted   transit:T -open               receiver R:C +accepted, consignor S:C +refused,
                      world:loss:C +shortfall       (and S:C -excess when more arrived than left)
    transfer_voided   transit:T -open               consignor S:C +open   (refusal)
    processing        site S:Ci -inputs             site S:Co +outputs / world:product:P +outputs,
                      site S:Cr +residues           world:loss:Ci +loss (within the site's tolerance)
    disposal          site S:C -m                   world:disposal:C +m
    export            site S:C -m                   world:export:C +m
    reversal          the exact negation of the entries of the transaction it reverses
"""

from __future__ import annotations

import hashlib
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qaldyq.core import audit
from qaldyq.core.database import chunks, utcnow
from qaldyq.core.errors import Problem, conflict, invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from qaldyq.ledger.sites import SiteInfo, require_active, site_info, site_infos
from qaldyq.signing.crypto import canonical

MAX_MASS_KG = 100_000_000_000  # 100 million tonnes: above any single record, below integer limits
FUTURE_SKEW = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1).astimezone()


class Kind(StrEnum):
    GENERATION = "generation"
    TRANSFER_PENDING = "transfer_pending"
    TRANSFER_POSTED = "transfer_posted"
    TRANSFER_VOIDED = "transfer_voided"
    PROCESSING = "processing"
    DISPOSAL = "disposal"
    EXPORT = "export"
    REVERSAL = "reversal"


KIND_LABELS = {
    Kind.GENERATION: N_("Generation"),
    Kind.TRANSFER_PENDING: N_("Pick-up (in transit)"),
    Kind.TRANSFER_POSTED: N_("Acceptance"),
    Kind.TRANSFER_VOIDED: N_("Refusal (returned)"),
    Kind.PROCESSING: N_("Processing"),
    Kind.DISPOSAL: N_("Disposal"),
    Kind.EXPORT: N_("Export"),
    Kind.REVERSAL: N_("Reversal"),
}


class AccountKind(StrEnum):
    SITE = "site"
    TRANSIT = "transit"
    GENERATION = "generation"
    DISPOSAL = "disposal"
    LOSS = "loss"
    EXPORT = "export"
    PRODUCT = "product"


GUARDED = {AccountKind.SITE, AccountKind.TRANSIT}  # stored balance, never negative
SOURCES = {AccountKind.GENERATION}  # world accounts whose balance is <= 0; the others are >= 0

ACCOUNT_LABELS = {
    AccountKind.SITE: N_("Site"),
    AccountKind.TRANSIT: N_("In transit"),
    AccountKind.GENERATION: N_("Generation (world)"),
    AccountKind.DISPOSAL: N_("Disposal (world)"),
    AccountKind.LOSS: N_("Loss (world)"),
    AccountKind.EXPORT: N_("Export (world)"),
    AccountKind.PRODUCT: N_("End-of-waste product (world)"),
}


@dataclass(frozen=True)
class Reference:
    """What a transaction is about, e.g. Reference("transfer", "TD-2026-000123")."""

    type: str
    id: str


@dataclass(frozen=True)
class Mass:
    waste_code: str
    mass_kg: int


@dataclass(frozen=True)
class Output:
    """A processing output: kind "waste" (another waste code kept at the site) or "product"
    (end-of-waste product leaving waste status; `code` is the product's name or code)."""

    kind: str
    code: str
    mass_kg: int


@dataclass(frozen=True)
class Posting:
    transaction_id: int
    kind: str
    created: bool  # False when the idempotency key had already been used for the same request


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class _Acct:
    kind: AccountKind
    code: str
    site_id: int | None = None
    pending_id: int | None = None  # for transit accounts; SELF = the transaction being posted

    @property
    def key(self) -> str:
        if self.kind is AccountKind.SITE:
            return f"site:{self.site_id}:{self.code}"
        if self.kind is AccountKind.TRANSIT:
            return f"transit:{self.pending_id}"
        return f"{self.kind.value}:{self.code}"


SELF = -1


@dataclass
class _Leg:
    account: _Acct | int  # an account reference, or an existing account id (reversals)
    amount: int
    line: str
    pointer: str | None = None  # where a refusal points in the request


@dataclass
class _Plan:
    kind: Kind
    key: str
    request: dict  # what identifies the request (for the idempotency fingerprint)
    legs: list[_Leg]
    mass_kg: int
    effective_at: datetime
    site_id: int | None = None
    counterparty_site_id: int | None = None
    waste_code: str | None = None
    operation: str | None = None
    country: str | None = None
    reference: Reference | None = None
    settles_id: int | None = None
    reverses_id: int | None = None
    note: str | None = None
    user_id: int | None = None
    balance_names: dict[int, str] = field(default_factory=dict)


# ---------------------------------------------------------------- input checks


def _text(value, pointer: str, max_len: int) -> str:
    if not isinstance(value, str):
        raise invalid(pointer, "Must be text.", code="string_type")
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        raise invalid(pointer, "This field is required.", code="missing")
    if len(value) > max_len:
        raise invalid(pointer, "Must have at most {max_length} characters.", code="string_too_long", max_length=max_len)
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise invalid(pointer, "Must not contain control characters.", code="control-characters")
    return value


def _code(value, pointer: str) -> str:
    return _text(value, pointer, 32)


def _mass(value, pointer: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(pointer, "Must be a whole number.", code="int_type")
    if value < 0 or (value == 0 and not allow_zero):
        raise invalid(pointer, "The mass must be a positive number of kilograms.", code="mass-not-positive")
    if value > MAX_MASS_KG:
        raise invalid(pointer, "The mass exceeds {max} kg.", code="mass-too-large", max=MAX_MASS_KG)
    return value


def _key(value) -> str:
    key = _text(value, "/idempotency_key", 200)
    if not key.isprintable():
        raise invalid("/idempotency_key", "Must not contain control characters.", code="control-characters")
    return key


def _when(value: datetime | None, pointer: str = "/effective_at", not_before: datetime | None = None) -> datetime:
    now = utcnow()
    if value is None:
        value = now
    if value.tzinfo is None:
        raise invalid(pointer, "The time must include a time zone.", code="naive-datetime")
    if value > now + FUTURE_SKEW:
        raise invalid(pointer, "The time cannot be in the future.", code="future-time")
    if value < EARLIEST:
        raise invalid(pointer, "The time is too far in the past.", code="too-old")
    if not_before is not None and value < not_before:
        raise invalid(pointer, "This cannot be earlier than the transaction it follows ({at}).", code="time-out-of-order", at=not_before.isoformat())
    return value


def _reference(ref: Reference | None) -> Reference | None:
    if ref is None:
        return None
    return Reference(_text(ref.type, "/reference/type", 32), _text(str(ref.id), "/reference/id", 64))


@dataclass
class _Prefetch:
    """What post_many read in one go for all its items, so validating an item costs no query."""

    sites: dict[int, SiteInfo]
    pendings: dict[int, PendingTransfer]
    existing_keys: set[str]


_PREFETCH: ContextVar[_Prefetch | None] = ContextVar("ledger_prefetch", default=None)


def _active_site(db: Session, site_id, pointer: str) -> SiteInfo:
    if isinstance(site_id, bool) or not isinstance(site_id, int) or site_id < 1:
        raise invalid(pointer, "Must be a whole number.", code="int_type")
    pre = _PREFETCH.get()
    if pre is not None:
        info = pre.sites.get(site_id)
        if info is None:
            raise invalid(pointer, "Site {id} does not exist.", code="unknown-site", id=site_id)
    else:
        info = site_info(db, site_id, pointer)
    require_active(info, pointer)
    return info


# ---------------------------------------------------------------- the posting engine


def _insert(db: Session):
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def _fingerprint(plan: _Plan) -> str:
    body = {"kind": plan.kind.value, **plan.request}
    if plan.reference:
        body["reference"] = [plan.reference.type, plan.reference.id]
    return hashlib.sha256(canonical(body)).hexdigest()


ACCOUNTS = LedgerAccount.__table__
TRANSACTIONS = LedgerTransaction.__table__
ENTRIES = LedgerEntry.__table__


class _Sql:
    """The posting path's statements, built once per dialect with bound parameters: building
    SQLAlchemy expressions per call costs more than running them."""

    def __init__(self, dialect: str):
        ins = pg_insert if dialect == "postgresql" else sqlite_insert
        a, t = ACCOUNTS.c, TRANSACTIONS.c
        self.accounts_by_key = select(a.key, a.id).where(a.key.in_(bindparam("keys", expanding=True)))
        self.guarded_among = select(a.id).where(a.id.in_(bindparam("ids", expanding=True)), a.balance_kg.is_not(None))
        self.new_account = ins(ACCOUNTS).on_conflict_do_nothing(index_elements=["key"])
        self.new_transaction = ins(TRANSACTIONS).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(t.id)
        self.transaction_by_key = select(t.id, t.kind, t.fingerprint).where(t.idempotency_key == bindparam("key"))
        delta = bindparam("delta")
        self.credit = update(ACCOUNTS).where(a.id == bindparam("aid")).values(balance_kg=a.balance_kg + delta).returning(a.balance_kg)
        self.debit = (update(ACCOUNTS).where(a.id == bindparam("aid"), a.balance_kg + delta >= 0)
                      .values(balance_kg=a.balance_kg + delta).returning(a.balance_kg))
        self.new_entries = insert(ENTRIES)
        # For batches: executed with many parameter sets (one compiled statement, "insertmanyvalues").
        self.new_transactions = ins(TRANSACTIONS).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(t.id, t.idempotency_key)
        self.debit_many = update(ACCOUNTS).where(a.id == bindparam("aid"), a.balance_kg + bindparam("delta") >= 0).values(balance_kg=a.balance_kg + bindparam("delta"))


_SQL: dict[str, _Sql] = {}


def _sql(db: Session) -> _Sql:
    name = db.get_bind().dialect.name
    if name not in _SQL:
        _SQL[name] = _Sql(name)
    return _SQL[name]


def _account_ids(db: Session, accts: list[_Acct]) -> dict[str, int]:
    """Account ids by key, creating the accounts met for the first time."""
    sql, conn = _sql(db), db.connection()
    keys = {a.key: a for a in accts}
    found = dict(conn.execute(sql.accounts_by_key, {"keys": list(keys)}).all())
    missing = [a for k, a in keys.items() if k not in found]
    if missing:
        now = utcnow()
        rows = [{"key": a.key, "kind": a.kind.value, "site_id": a.site_id, "waste_code": a.code, "pending_id": a.pending_id,
                 "balance_kg": 0 if a.kind in GUARDED else None, "created_at": now} for a in missing]
        for row in rows:  # one by one: ON CONFLICT with executemany is not portable
            conn.execute(sql.new_account, row)
        found.update(conn.execute(sql.accounts_by_key, {"keys": [a.key for a in missing]}).all())
    return found


def _post(db: Session, plan: _Plan) -> Posting:
    if sum(leg.amount for leg in plan.legs) != 0 or any(leg.amount == 0 for leg in plan.legs):
        raise AssertionError(f"unbalanced ledger plan: {plan.legs}")  # a programming error, never user input
    fingerprint = _fingerprint(plan)
    try:
        with db.begin_nested():
            return _post_atomic(db, plan, fingerprint)
    except IntegrityError as exc:
        if plan.reverses_id is not None and "reverses_id" in str(exc.orig):
            raise conflict(None, "Transaction {id} has already been reversed.", code="already-reversed", id=plan.reverses_id) from exc
        raise


def _post_atomic(db: Session, plan: _Plan, fingerprint: str) -> Posting:
    now = utcnow()
    ref = plan.reference
    values = {
        "kind": plan.kind.value, "idempotency_key": plan.key, "fingerprint": fingerprint, "site_id": plan.site_id,
        "counterparty_site_id": plan.counterparty_site_id, "waste_code": plan.waste_code, "mass_kg": plan.mass_kg,
        "operation": plan.operation, "country": plan.country, "ref_type": ref.type if ref else None, "ref_id": ref.id if ref else None,
        "effective_at": plan.effective_at, "recorded_at": now, "user_id": plan.user_id, "settles_id": plan.settles_id,
        "reverses_id": plan.reverses_id, "note": plan.note,
    }
    sql, conn = _sql(db), db.connection()
    # ON CONFLICT DO NOTHING makes a retry (even a concurrent one) find the first attempt's row.
    tx_id = conn.execute(sql.new_transaction, values).scalar_one_or_none()
    if tx_id is None:
        existing = conn.execute(sql.transaction_by_key, {"key": plan.key}).one()
        if existing.fingerprint != fingerprint:
            raise conflict("/idempotency_key", "The idempotency key {key} was already used for a different request.", code="idempotency-conflict", key=plan.key)
        return Posting(existing.id, existing.kind, created=False)

    accts = [leg.account for leg in plan.legs if isinstance(leg.account, _Acct)]
    accts = [_Acct(a.kind, a.code, a.site_id, tx_id) if a.pending_id == SELF else a for a in accts]
    ids = _account_ids(db, accts) if accts else {}
    guarded = {ids[a.key] for a in accts if a.kind in GUARDED}
    known = [leg.account for leg in plan.legs if isinstance(leg.account, int)]
    if known:  # reversals name existing accounts
        guarded |= set(conn.execute(sql.guarded_among, {"ids": known}).scalars())

    def account_id(leg: _Leg) -> int:
        a = leg.account
        if isinstance(a, int):
            return a
        return ids[(_Acct(a.kind, a.code, a.site_id, tx_id) if a.pending_id == SELF else a).key]

    resolved = [(account_id(leg), leg) for leg in plan.legs]
    entry_rows = [{"transaction_id": tx_id, "account_id": aid, "amount_kg": leg.amount, "line": leg.line, "effective_at": plan.effective_at} for aid, leg in resolved]

    # Lock order: the audit head first (every audited writer takes it), then balances in account
    # id order, so two writers never wait on each other in opposite orders.
    audit.append(db, [("post", "ledger_transactions", str(tx_id), None, {
        "kind": plan.kind.value, "key": plan.key, "site_id": plan.site_id, "counterparty_site_id": plan.counterparty_site_id,
        "reference": [ref.type, ref.id] if ref else None, "effective_at": plan.effective_at.isoformat(),
        "settles_id": plan.settles_id, "reverses_id": plan.reverses_id,
        "entries": [[aid, leg.amount, leg.line] for aid, leg in resolved],
    })])
    _apply_balances(db, resolved, guarded)
    conn.execute(sql.new_entries, entry_rows)
    return Posting(tx_id, plan.kind.value, created=True)


# ---------------------------------------------------------------- batches
#
# post_many() validates every item with the very functions that post one transaction, but while
# it collects, those functions hand over their plan instead of posting it (_emit). The plans are
# then written with a handful of set-based statements; if any balance would go negative, the
# batch is rolled back to its savepoint and posted item by item, so each item gets its own result.

def _emit(db: Session, plan: _Plan) -> Posting | None:
    collector = _COLLECTOR.get()
    if collector is not None:
        collector.plans.append(plan)
        return None
    return _post(db, plan)


BATCH_FUNCTIONS = {
    "generation": "record_generation", "pend_transfer": "pend_transfer", "post_transfer": "post_transfer", "void_transfer": "void_transfer",
    "processing": "record_processing", "disposal": "record_disposal", "export": "record_export",
}
MAX_BATCH = 1000


class BatchFallback(Exception):
    """A balance check failed in the set-based path: redo the batch item by item."""


class Collector:
    """While open (`collecting`), the single-transaction functions validate and hand over their
    plan instead of posting it; `write()` posts everything collected with a handful of set-based
    statements. Balances read through `balance_kg` include what was collected so far, so a batch
    sees its own earlier movements. Used by post_many and by callers that batch other work with
    their postings (transfers' bulk path)."""

    def __init__(self, db: Session):
        self.db = db
        self.plans: list[_Plan] = []
        self._base: dict[tuple[int, str], int] = {}
        self._delta: dict[tuple[int, str], int] = defaultdict(int)
        self._seen = 0

    def truncate(self, n: int) -> None:
        """Forget the plans collected after the first n (an item that failed after emitting)."""
        if n < len(self.plans):
            del self.plans[n:]
            self._delta.clear()
            self._seen = 0

    def prefetch_balances(self, pairs: set[tuple[int, str]]) -> None:
        """Read the stored balances of these (site, waste code) accounts in one go."""
        keys = {_Acct(AccountKind.SITE, code, site_id).key: (site_id, code) for site_id, code in pairs if (site_id, code) not in self._base}
        found = {}
        for chunk in chunks(keys):
            found.update(self.db.execute(select(LedgerAccount.key, LedgerAccount.balance_kg).where(LedgerAccount.key.in_(chunk))).all())
        for key, pair in keys.items():
            self._base[pair] = found.get(key) or 0

    def balance_kg(self, site_id: int, waste_code: str) -> int:
        for plan in self.plans[self._seen:]:
            for leg in plan.legs:
                a = leg.account
                if isinstance(a, _Acct) and a.kind is AccountKind.SITE:
                    self._delta[(a.site_id, a.code)] += leg.amount
        self._seen = len(self.plans)
        key = (site_id, waste_code)
        if key not in self._base:
            stored = self.db.scalar(select(LedgerAccount.balance_kg).where(LedgerAccount.key == _Acct(AccountKind.SITE, waste_code, site_id).key))
            self._base[key] = stored or 0
        return self._base[key] + self._delta[key]

    def write(self) -> list[Posting]:
        """Post what was collected; raises BatchFallback if a balance would go negative or a key
        was used for another request (then redo item by item to tell which)."""
        if not self.plans:
            return []
        out = _post_set(self.db, list(enumerate(self.plans)))
        if any(isinstance(r, Problem) for r in out.values()):
            raise BatchFallback
        return [out[i] for i in range(len(self.plans))]


_COLLECTOR: ContextVar[Collector | None] = ContextVar("ledger_collector", default=None)


@contextmanager
def collecting(db: Session, *, site_ids=(), pending_ids=(), keys=()):
    """Collect plans (see Collector). Site ids, pending transfers and idempotency keys the items
    will name are read in one go; a site not named here reads as unknown."""
    existing: set[str] = set()
    for chunk in chunks(keys):
        existing |= set(db.connection().execute(select(TRANSACTIONS.c.idempotency_key).where(TRANSACTIONS.c.idempotency_key.in_(chunk))).scalars())
    collector = Collector(db)
    prefetch = _PREFETCH.set(_Prefetch(site_infos(db, set(site_ids)), _pending_many(db, set(pending_ids)), existing))
    token = _COLLECTOR.set(collector)
    try:
        yield collector
    finally:
        _COLLECTOR.reset(token)
        _PREFETCH.reset(prefetch)


def post_many(db: Session, items: list[tuple[str, dict]]) -> list[Posting | Problem]:
    """Post up to 1,000 transactions; each item is (kind, keyword arguments of the matching
    single function), kind one of BATCH_FUNCTIONS. Returns, in order, a Posting or the Problem
    that refused the item; refused items change nothing, the others are written. Items are
    independent: a transfer picked up in a batch is settled in a later one. Within a batch,
    balances are checked on the batch's net movement per account."""
    if len(items) > MAX_BATCH:
        raise invalid("/items", "Must have at most {max_length} items.", code="too_long", max_length=MAX_BATCH)
    results: list[Posting | Problem | None] = [None] * len(items)
    plans: list[tuple[int, _Plan]] = []
    args = [kw for _k, kw in items if isinstance(kw, dict)]
    ints = lambda names: {v for kw in args for n in names if isinstance(v := kw.get(n), int) and not isinstance(v, bool)}  # noqa: E731
    keys = [k for kw in args if isinstance(k := kw.get("key"), str)]
    with collecting(db, site_ids=ints(("site_id", "consignor_site_id", "receiver_site_id")), pending_ids=ints(("pending_id",)), keys=keys) as c:
        for i, (kind, kwargs) in enumerate(items):
            fn = BATCH_FUNCTIONS.get(kind)
            if fn is None:
                results[i] = invalid(f"/items/{i}/kind", "Must be one of: {expected}.", code="enum", expected=", ".join(BATCH_FUNCTIONS))
                continue
            before = len(c.plans)
            try:
                globals()[fn](db, **kwargs)
            except Problem as exc:
                results[i] = exc
                continue
            except TypeError as exc:  # unknown or missing keyword: a caller's bug, reported per item
                results[i] = invalid(f"/items/{i}", "This item is not valid: {reason}", code="bad-item", reason=str(exc))
                continue
            plans.extend((i, plan) for plan in c.plans[before:])
    if plans:
        try:
            with db.begin_nested():
                for i, posting in _post_set(db, plans).items():
                    results[i] = posting
        except BatchFallback:
            for i, plan in plans:
                try:
                    results[i] = _post(db, plan)
                except Problem as exc:
                    results[i] = exc
    return results


def _post_set(db: Session, plans: list[tuple[int, _Plan]]) -> dict[int, Posting | Problem]:
    sql, conn = _sql(db), db.connection()
    now = utcnow()
    out: dict[int, Posting | Problem] = {}
    first_by_key: dict[str, tuple[int, str]] = {}
    rows, todo = [], []
    for i, plan in plans:
        fp = _fingerprint(plan)
        if plan.key in first_by_key:  # the same key twice in one batch: the first one stands
            todo.append((i, plan, fp, True))
            continue
        first_by_key[plan.key] = (i, fp)
        ref = plan.reference
        rows.append({
            "kind": plan.kind.value, "idempotency_key": plan.key, "fingerprint": fp, "site_id": plan.site_id,
            "counterparty_site_id": plan.counterparty_site_id, "waste_code": plan.waste_code, "mass_kg": plan.mass_kg,
            "operation": plan.operation, "country": plan.country, "ref_type": ref.type if ref else None, "ref_id": ref.id if ref else None,
            "effective_at": plan.effective_at, "recorded_at": now, "user_id": plan.user_id, "settles_id": plan.settles_id,
            "reverses_id": plan.reverses_id, "note": plan.note,
        })
        todo.append((i, plan, fp, False))
    new_ids = dict((k, i) for i, k in conn.execute(sql.new_transactions, rows).all())
    replays = [plan.key for _i, plan, _fp, _dup in todo if plan.key not in new_ids]
    existing = {r.idempotency_key: r for r in conn.execute(
        select(TRANSACTIONS.c.id, TRANSACTIONS.c.kind, TRANSACTIONS.c.fingerprint, TRANSACTIONS.c.idempotency_key)
        .where(TRANSACTIONS.c.idempotency_key.in_(replays)))} if replays else {}
    fresh: list[tuple[int, _Plan, int]] = []
    for i, plan, fp, dup in todo:
        if plan.key in new_ids and not dup:
            fresh.append((i, plan, new_ids[plan.key]))
            continue
        if dup and plan.key in new_ids:
            same = first_by_key[plan.key][1] == fp
            out[i] = Posting(new_ids[plan.key], plan.kind.value, created=False) if same else _key_conflict(plan.key)
            continue
        row = existing[plan.key]
        out[i] = Posting(row.id, row.kind, created=False) if row.fingerprint == fp else _key_conflict(plan.key)
    if not fresh:
        return out

    def real(a: _Acct, tx_id: int) -> _Acct:
        return _Acct(a.kind, a.code, a.site_id, tx_id) if a.pending_id == SELF else a

    accts = {real(leg.account, tx_id).key: real(leg.account, tx_id) for _i, plan, tx_id in fresh for leg in plan.legs}
    ids = _account_ids_many(db, list(accts.values()))
    guarded = {ids[k] for k, a in accts.items() if a.kind in GUARDED}
    audit_items, entry_rows = [], []
    deltas: dict[int, int] = defaultdict(int)
    for i, plan, tx_id in fresh:
        resolved = [(ids[real(leg.account, tx_id).key], leg) for leg in plan.legs]
        ref = plan.reference
        audit_items.append(("post", "ledger_transactions", str(tx_id), None, {
            "kind": plan.kind.value, "key": plan.key, "site_id": plan.site_id, "counterparty_site_id": plan.counterparty_site_id,
            "reference": [ref.type, ref.id] if ref else None, "effective_at": plan.effective_at.isoformat(),
            "settles_id": plan.settles_id, "reverses_id": plan.reverses_id, "entries": [[aid, leg.amount, leg.line] for aid, leg in resolved],
        }))
        for aid, leg in resolved:
            entry_rows.append({"transaction_id": tx_id, "account_id": aid, "amount_kg": leg.amount, "line": leg.line, "effective_at": plan.effective_at})
            if aid in guarded:
                deltas[aid] += leg.amount
        out[i] = Posting(tx_id, plan.kind.value, created=True)
    audit.append(db, audit_items)  # the audit head first, as in _post_atomic
    changes = [{"aid": aid, "delta": d} for aid, d in sorted(deltas.items()) if d]  # in id order: no lock-order cycles
    if changes and conn.execute(sql.debit_many, changes).rowcount != len(changes):
        raise BatchFallback  # some balance would go negative
    conn.execute(sql.new_entries, entry_rows)
    return out


def _key_conflict(key: str) -> Problem:
    return conflict("/idempotency_key", "The idempotency key {key} was already used for a different request.", code="idempotency-conflict", key=key)


def _account_ids_many(db: Session, accts: list[_Acct]) -> dict[str, int]:
    conn = db.connection()
    keys = [a.key for a in accts]
    found: dict[str, int] = {}
    for chunk in chunks(keys):
        found.update(conn.execute(_sql(db).accounts_by_key, {"keys": chunk}).all())
    missing = [a for a in accts if a.key not in found]
    if missing:
        now = utcnow()
        conn.execute(_sql(db).new_account, [{"key": a.key, "kind": a.kind.value, "site_id": a.site_id, "waste_code": a.code, "pending_id": a.pending_id,
                                             "balance_kg": 0 if a.kind in GUARDED else None, "created_at": now} for a in missing])
        for chunk in chunks(a.key for a in missing):
            found.update(conn.execute(_sql(db).accounts_by_key, {"keys": chunk}).all())
    return found


def _apply_balances(db: Session, resolved: list[tuple[int, _Leg]], guarded: set[int]) -> None:
    sql, conn = _sql(db), db.connection()
    deltas: dict[int, int] = defaultdict(int)
    first_leg: dict[int, _Leg] = {}
    for aid, leg in resolved:
        deltas[aid] += leg.amount
        if leg.amount < 0:
            first_leg.setdefault(aid, leg)
    for aid in sorted(deltas):
        delta = deltas[aid]
        if aid not in guarded or delta == 0:
            continue
        # The condition and the change are one statement: under concurrent writers PostgreSQL
        # re-checks it on the row's latest version after waiting for the row lock.
        stmt = sql.debit if delta < 0 else sql.credit
        done = conn.execute(stmt, {"aid": aid, "delta": delta}).scalar_one_or_none()
        if done is None:
            _refuse_insufficient(db, aid, -delta, first_leg.get(aid))


def _refuse_insufficient(db: Session, account_id: int, needed: int, leg: _Leg | None):
    acct = db.execute(select(LedgerAccount.kind, LedgerAccount.site_id, LedgerAccount.waste_code, LedgerAccount.balance_kg).where(LedgerAccount.id == account_id)).one()
    pointer = leg.pointer if leg else None
    if acct.kind == AccountKind.TRANSIT:
        raise conflict(pointer or "/pending_id", "The transfer has already been settled (accepted or refused); reverse that first.", code="transfer-settled")
    name = site_infos(db, [acct.site_id]).get(acct.site_id)
    raise conflict(pointer or "", "{site} holds {balance} kg of {waste_code}, less than the {needed} kg asked.", code="insufficient-balance",
                   site=name.name if name else acct.site_id, balance=acct.balance_kg, waste_code=acct.waste_code, needed=needed)


# ---------------------------------------------------------------- kinds


def _site(info: SiteInfo, code: str) -> _Acct:
    return _Acct(AccountKind.SITE, code, site_id=info.id)


def record_generation(db: Session, *, key: str, site_id: int, waste_code: str, mass_kg: int, effective_at: datetime | None = None,
                      reference: Reference | None = None, note: str | None = None, user_id: int | None = None) -> Posting:
    """Waste generated at a site enters its account from the world."""
    key = _key(key)
    site = _active_site(db, site_id, "/site_id")
    code = _code(waste_code, "/waste_code")
    m = _mass(mass_kg, "/mass_kg")
    at = _when(effective_at)
    return _emit(db, _Plan(
        Kind.GENERATION, key, {"site_id": site.id, "waste_code": code, "mass_kg": m, "at": _iso(effective_at)},
        [_Leg(_Acct(AccountKind.GENERATION, code), -m, "generated"), _Leg(_site(site, code), m, "generated")],
        m, at, site_id=site.id, waste_code=code, reference=_reference(reference), note=note, user_id=user_id,
    ))


def pend_transfer(db: Session, *, key: str, consignor_site_id: int, receiver_site_id: int, waste_code: str, mass_kg: int,
                  effective_at: datetime | None = None, reference: Reference | None = None, note: str | None = None,
                  user_id: int | None = None) -> Posting:
    """Pick-up: the mass leaves the consignor's account for the transfer's own in-transit account."""
    key = _key(key)
    consignor = _active_site(db, consignor_site_id, "/consignor_site_id")
    receiver = _active_site(db, receiver_site_id, "/receiver_site_id")
    if consignor.id == receiver.id:
        raise invalid("/receiver_site_id", "The receiver must be another site than the consignor.", code="same-site")
    code = _code(waste_code, "/waste_code")
    m = _mass(mass_kg, "/mass_kg")
    at = _when(effective_at)
    return _emit(db, _Plan(
        Kind.TRANSFER_PENDING, key, {"consignor": consignor.id, "receiver": receiver.id, "waste_code": code, "mass_kg": m, "at": _iso(effective_at)},
        [_Leg(_site(consignor, code), -m, "pickup", "/mass_kg"), _Leg(_Acct(AccountKind.TRANSIT, code, pending_id=SELF), m, "pickup")],
        m, at, site_id=consignor.id, counterparty_site_id=receiver.id, waste_code=code, reference=_reference(reference), note=note, user_id=user_id,
    ))


@dataclass(frozen=True)
class PendingTransfer:
    pending_id: int
    consignor_site_id: int
    receiver_site_id: int
    waste_code: str
    mass_kg: int
    open_kg: int  # still in transit: equal to mass_kg until settled, 0 after
    effective_at: datetime
    reversed: bool
    settlements: list[int]  # posting/voiding transactions, in order (reversed ones included)


_T, _A, _R = LedgerTransaction.__table__.c, LedgerAccount.__table__.c, LedgerTransaction.__table__.alias("r").c
_PENDING_BASE = (
    select(_T.id, _T.kind, _T.site_id, _T.counterparty_site_id, _T.waste_code, _T.mass_kg, _T.effective_at, _A.balance_kg,
           exists().where(_R.reverses_id == _T.id).label("reversed"))
    .select_from(LedgerTransaction.__table__.outerjoin(LedgerAccount.__table__, _A.pending_id == _T.id))
)
_PENDING = _PENDING_BASE.where(_T.id == bindparam("id"))
_PENDING_MANY = _PENDING_BASE.where(_T.id.in_(bindparam("ids", expanding=True)), _T.kind == Kind.TRANSFER_PENDING.value)
_SETTLEMENTS = select(_T.id).where(_T.settles_id == bindparam("id")).order_by(_T.id)


def pending_transfer(db: Session, pending_id: int, pointer: str | None = None) -> PendingTransfer:
    """The state of a pick-up: how much is still in transit, and how it was settled."""
    pre = _PREFETCH.get()
    if pre is not None and pending_id in pre.pendings:
        return pre.pendings[pending_id]
    conn = db.connection()
    row = conn.execute(_PENDING, {"id": pending_id}).one_or_none() if isinstance(pending_id, int) and not isinstance(pending_id, bool) else None
    if row is None or row.kind != Kind.TRANSFER_PENDING:
        if pointer:
            raise invalid(pointer, "Transaction {id} is not a pending transfer.", code="not-pending", id=pending_id)
        raise not_found("Transaction {id} is not a pending transfer.", id=pending_id)
    settlements = list(conn.execute(_SETTLEMENTS, {"id": pending_id}).scalars())
    effective_at = row.effective_at if row.effective_at.tzinfo else row.effective_at.replace(tzinfo=timezone.utc)
    return PendingTransfer(row.id, row.site_id, row.counterparty_site_id, row.waste_code, row.mass_kg, row.balance_kg or 0, effective_at,
                           bool(row.reversed), settlements)


def _pending_many(db: Session, ids: set[int]) -> dict[int, PendingTransfer]:
    if not ids:
        return {}
    conn = db.connection()
    out = {}
    for chunk in chunks(ids):
        settled: dict[int, list[int]] = defaultdict(list)
        for tx_id, settles in conn.execute(select(_T.id, _T.settles_id).where(_T.settles_id.in_(chunk)).order_by(_T.id)):
            settled[settles].append(tx_id)
        for row in conn.execute(_PENDING_MANY, {"ids": chunk}):
            out[row.id] = PendingTransfer(row.id, row.site_id, row.counterparty_site_id, row.waste_code, row.mass_kg, row.balance_kg or 0,
                                          row.effective_at, bool(row.reversed), settled.get(row.id, []))
    return out


def _settle(db: Session, kind: Kind, key: str, pending_id: int, accepted: int, refused: int, effective_at, reference, note, user_id) -> Posting:
    key = _key(key)
    p = pending_transfer(db, pending_id, "/pending_id")
    if p.reversed:
        raise conflict("/pending_id", "Transaction {id} has been reversed.", code="pending-reversed", id=pending_id)
    at = _when(effective_at, not_before=p.effective_at)
    request = {"pending": pending_id, "accepted": accepted, "refused": refused, "at": _iso(effective_at)}
    # The idempotent replay of a settlement finds the transit account empty: answer it first.
    pre = _PREFETCH.get()
    if pre is not None:
        replay = key in pre.existing_keys
    else:
        replay = db.execute(select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key)).first() is not None
    open_kg = p.open_kg or (p.mass_kg if replay else 0)
    if open_kg == 0:
        raise conflict("/pending_id", "The transfer has already been settled (accepted or refused); reverse that first.", code="transfer-settled")
    received = accepted + refused
    code = p.waste_code
    consignor = _Acct(AccountKind.SITE, code, site_id=p.consignor_site_id)
    legs = [_Leg(_Acct(AccountKind.TRANSIT, code, pending_id=pending_id), -open_kg, "settled", "/pending_id")]
    if accepted:
        legs.append(_Leg(_Acct(AccountKind.SITE, code, site_id=p.receiver_site_id), accepted, "accepted"))
    if refused:
        legs.append(_Leg(consignor, refused, "refused" if kind is Kind.TRANSFER_POSTED else "returned"))
    if received < open_kg:  # less arrived than left: lost on the way
        legs.append(_Leg(_Acct(AccountKind.LOSS, code), open_kg - received, "shortfall"))
    elif received > open_kg:  # the consignor's estimate was low: the difference also leaves it now
        legs.append(_Leg(consignor, open_kg - received, "excess", "/accepted_kg"))
    return _emit(db, _Plan(
        kind, key, request, legs, accepted if kind is Kind.TRANSFER_POSTED else refused, at,
        site_id=p.receiver_site_id if kind is Kind.TRANSFER_POSTED else p.consignor_site_id,
        counterparty_site_id=p.consignor_site_id if kind is Kind.TRANSFER_POSTED else p.receiver_site_id,
        waste_code=code, reference=_reference(reference), settles_id=pending_id, note=note, user_id=user_id,
    ))


def post_transfer(db: Session, *, key: str, pending_id: int, accepted_kg: int, refused_kg: int = 0, effective_at: datetime | None = None,
                  reference: Reference | None = None, note: str | None = None, user_id: int | None = None) -> Posting:
    """Acceptance, in full or in part: `accepted_kg` enters the receiver's account and `refused_kg`
    returns to the consignor's. Their sum is the mass received; if it is less than what left, the
    difference is booked as loss in transit; if more, the excess also leaves the consignor."""
    accepted = _mass(accepted_kg, "/accepted_kg", allow_zero=True)
    refused = _mass(refused_kg, "/refused_kg", allow_zero=True)
    if accepted == 0:
        raise invalid("/accepted_kg", "Nothing is accepted: refuse the transfer instead.", code="nothing-accepted")
    return _settle(db, Kind.TRANSFER_POSTED, key, pending_id, accepted, refused, effective_at, reference, note, user_id)


def void_transfer(db: Session, *, key: str, pending_id: int, effective_at: datetime | None = None, reference: Reference | None = None,
                  note: str | None = None, user_id: int | None = None) -> Posting:
    """Refusal: everything in transit returns to the consignor."""
    if isinstance(pending_id, int) and not isinstance(pending_id, bool):
        p = pending_transfer(db, pending_id, "/pending_id")
        return _settle(db, Kind.TRANSFER_VOIDED, key, pending_id, 0, p.open_kg or p.mass_kg, effective_at, reference, note, user_id)
    raise invalid("/pending_id", "Must be a whole number.", code="int_type")


def _operation(value, pointer: str, prefixes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    op = _text(value, pointer, 16).upper().replace(" ", "")
    if not (op[:1] in prefixes and op[1:].isdigit() and 1 <= int(op[1:]) <= 99):
        raise invalid(pointer, "The operation must be a code such as {example}.", code="bad-operation", example=f"{prefixes[0]}1")
    return op


def record_processing(db: Session, *, key: str, site_id: int, inputs: list[Mass], outputs: list[Output] = (), residues: list[Mass] = (),
                      loss_kg: int = 0, operation: str | None = None, effective_at: datetime | None = None, reference: Reference | None = None,
                      note: str | None = None, user_id: int | None = None) -> Posting:
    """Inputs consumed at a site become named outputs (other waste codes kept at the site, or
    end-of-waste products), residues (waste codes kept at the site) and a declared loss, which
    must stay within the site's loss tolerance (per cent of the inputs)."""
    key = _key(key)
    site = _active_site(db, site_id, "/site_id")
    op = _operation(operation, "/operation", ("R", "D"))
    if not inputs:
        raise invalid("/inputs", "At least one input is required.", code="too_short", min_length=1)
    ins: dict[str, int] = {}
    for i, item in enumerate(inputs):
        code = _code(item.waste_code, f"/inputs/{i}/waste_code")
        if code in ins:
            raise invalid(f"/inputs/{i}/waste_code", "The waste code {waste_code} appears twice.", code="duplicate", waste_code=code)
        ins[code] = _mass(item.mass_kg, f"/inputs/{i}/mass_kg")
    legs = [_Leg(_site(site, code), -m, "input", f"/inputs/{i}/mass_kg") for i, (code, m) in enumerate(ins.items())]
    seen: set[tuple[str, str]] = set()
    produced = 0
    for i, item in enumerate(outputs):
        if item.kind not in ("waste", "product"):
            raise invalid(f"/outputs/{i}/kind", "Must be one of: {expected}.", code="enum", expected="'waste', 'product'")
        code = _text(item.code, f"/outputs/{i}/code", 32 if item.kind == "waste" else 100)
        if item.kind == "waste" and code in ins:
            raise invalid(f"/outputs/{i}/code", "An output cannot have the waste code of an input ({waste_code}).", code="output-is-input", waste_code=code)
        if (item.kind, code) in seen:
            raise invalid(f"/outputs/{i}/code", "The waste code {waste_code} appears twice.", code="duplicate", waste_code=code)
        seen.add((item.kind, code))
        m = _mass(item.mass_kg, f"/outputs/{i}/mass_kg")
        produced += m
        acct = _site(site, code) if item.kind == "waste" else _Acct(AccountKind.PRODUCT, code)
        legs.append(_Leg(acct, m, "output"))
    for i, item in enumerate(residues):
        code = _code(item.waste_code, f"/residues/{i}/waste_code")
        if code in ins:
            raise invalid(f"/residues/{i}/waste_code", "An output cannot have the waste code of an input ({waste_code}).", code="output-is-input", waste_code=code)
        if ("residue", code) in seen:
            raise invalid(f"/residues/{i}/waste_code", "The waste code {waste_code} appears twice.", code="duplicate", waste_code=code)
        seen.add(("residue", code))
        m = _mass(item.mass_kg, f"/residues/{i}/mass_kg")
        produced += m
        legs.append(_Leg(_site(site, code), m, "residue"))
    if not seen:
        raise invalid("/outputs", "Processing must have at least one output or residue.", code="no-output")
    loss = _mass(loss_kg, "/loss_kg", allow_zero=True)
    total_in = sum(ins.values())
    if total_in != produced + loss:
        raise invalid("/loss_kg", "The inputs ({inputs} kg) must equal the outputs, residues and loss ({outputs} kg).", code="unbalanced",
                      inputs=total_in, outputs=produced + loss)
    tolerance = Decimal(site.loss_tolerance_pct)
    if Decimal(loss) * 100 > tolerance * total_in:
        pct = (Decimal(loss) * 100 / total_in).quantize(Decimal("0.01"))
        raise invalid("/loss_kg", "The declared loss is {pct}% of the inputs, above the site's tolerance of {tolerance}%.", code="loss-above-tolerance",
                      pct=str(pct), tolerance=str(tolerance))
    for code, share in _split(loss, ins).items():
        if share:
            legs.append(_Leg(_Acct(AccountKind.LOSS, code), share, "loss"))
    request = {"site_id": site.id, "inputs": sorted(ins.items()), "outputs": sorted([o.kind, o.code.strip(), o.mass_kg] for o in outputs),
               "residues": sorted([r.waste_code.strip(), r.mass_kg] for r in residues), "loss": loss, "operation": op, "at": _iso(effective_at)}
    return _emit(db, _Plan(
        Kind.PROCESSING, key, request, legs, total_in, _when(effective_at), site_id=site.id,
        waste_code=next(iter(ins)) if len(ins) == 1 else None, operation=op, reference=_reference(reference), note=note, user_id=user_id,
    ))


def _split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Share `total` in proportion to `weights` in whole kilograms (largest remainder, ties by order)."""
    whole = sum(weights.values())
    exact = {k: total * w for k, w in weights.items()}
    out = {k: v // whole for k, v in exact.items()}
    rest = total - sum(out.values())
    for k in sorted(weights, key=lambda k: -(exact[k] % whole))[:rest]:
        out[k] += 1
    return out


def record_disposal(db: Session, *, key: str, site_id: int, waste_code: str, mass_kg: int, operation: str | None = None,
                    effective_at: datetime | None = None, reference: Reference | None = None, note: str | None = None,
                    user_id: int | None = None) -> Posting:
    """Waste disposed of at the site (landfilled, D-codes) leaves waste accounting."""
    key = _key(key)
    site = _active_site(db, site_id, "/site_id")
    code = _code(waste_code, "/waste_code")
    m = _mass(mass_kg, "/mass_kg")
    op = _operation(operation, "/operation", ("D",))
    return _emit(db, _Plan(
        Kind.DISPOSAL, key, {"site_id": site.id, "waste_code": code, "mass_kg": m, "operation": op, "at": _iso(effective_at)},
        [_Leg(_site(site, code), -m, "disposed", "/mass_kg"), _Leg(_Acct(AccountKind.DISPOSAL, code), m, "disposed")],
        m, _when(effective_at), site_id=site.id, waste_code=code, operation=op, reference=_reference(reference), note=note, user_id=user_id,
    ))


def record_export(db: Session, *, key: str, site_id: int, waste_code: str, mass_kg: int, country: str, effective_at: datetime | None = None,
                  reference: Reference | None = None, note: str | None = None, user_id: int | None = None) -> Posting:
    """Waste shipped out of Kazakhstan from the site (country: ISO 3166-1 alpha-2)."""
    key = _key(key)
    site = _active_site(db, site_id, "/site_id")
    code = _code(waste_code, "/waste_code")
    m = _mass(mass_kg, "/mass_kg")
    c = _text(country, "/country", 2).upper()
    if len(c) != 2 or not c.isascii() or not c.isalpha() or c == "KZ":
        raise invalid("/country", "The country must be a two-letter ISO code other than KZ.", code="bad-country")
    return _emit(db, _Plan(
        Kind.EXPORT, key, {"site_id": site.id, "waste_code": code, "mass_kg": m, "country": c, "at": _iso(effective_at)},
        [_Leg(_site(site, code), -m, "exported", "/mass_kg"), _Leg(_Acct(AccountKind.EXPORT, code), m, "exported")],
        m, _when(effective_at), site_id=site.id, waste_code=code, country=c, reference=_reference(reference), note=note, user_id=user_id,
    ))


def reverse(db: Session, *, key: str, transaction_id: int, reason: str, effective_at: datetime | None = None, user_id: int | None = None) -> Posting:
    """Cancel a transaction by posting the exact negation of its entries. A reversal cannot be
    reversed (record the transaction again instead) and a transaction is reversed at most once.
    What was since moved on must be reversed first (balances stay non-negative)."""
    key = _key(key)
    reason = _text(reason, "/reason", 1000)
    original = db.get(LedgerTransaction, transaction_id)
    if original is None:
        raise not_found("Transaction {id} does not exist.", id=transaction_id)
    if original.kind == Kind.REVERSAL:
        raise conflict(None, "A reversal cannot be reversed; record the transaction again instead.", code="reversal-of-reversal")
    replay = db.scalar(select(LedgerTransaction.id).where(LedgerTransaction.idempotency_key == key))
    if replay is None and db.scalar(select(exists().where(LedgerTransaction.reverses_id == transaction_id))):
        raise conflict(None, "Transaction {id} has already been reversed.", code="already-reversed", id=transaction_id)
    entries = db.execute(select(LedgerEntry.account_id, LedgerEntry.amount_kg, LedgerEntry.line).where(LedgerEntry.transaction_id == transaction_id).order_by(LedgerEntry.id)).all()
    ref = Reference(original.ref_type, original.ref_id) if original.ref_type else None
    return _emit(db, _Plan(
        Kind.REVERSAL, key, {"reverses": transaction_id, "reason": reason, "at": _iso(effective_at)},
        [_Leg(e.account_id, -e.amount_kg, e.line) for e in entries], original.mass_kg,
        _when(effective_at, not_before=original.effective_at), site_id=original.site_id, counterparty_site_id=original.counterparty_site_id,
        waste_code=original.waste_code, operation=original.operation, country=original.country, reference=ref,
        settles_id=original.settles_id, reverses_id=transaction_id, note=reason, user_id=user_id,
    ))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
