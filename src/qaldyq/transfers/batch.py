"""The set-based path of bulk transfers. The items of a bulk request run through the very service
functions of the single endpoints, but inside an open Batch those functions read what they need
from what the batch prefetched (documents locked in one statement, their current versions,
registry rows, certificates of instruments, waste codes, signers' certificates, ledger balances)
and write nothing until the end: ledger postings are collected as plans, new rows stay in the
session. `finish()` then posts the ledger set-based and flushes everything in one go, so a batch of
a thousand items costs a few dozen statements instead of a couple of hundred per document.

An item that fails is undone in memory (the document's fields, objects it added, ledger plans it
emitted); nothing of it reaches the database. Whatever the batch path cannot decide in memory (a
transfer picked up and settled in the same batch, a balance that would go negative, a constraint
the database keeps) raises Fallback: the caller rolls the batch back and runs the items one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, event, inspect, select, text
from sqlalchemy.orm import Session

from qaldyq.core.database import chunks, utcnow
from qaldyq.core.service import reserve_numbers
from qaldyq.ledger import service as ledger
from qaldyq.registry.models import Organization, Site, Vehicle, WeighingInstrument
from qaldyq.signing import service as signing
from qaldyq.transfers.models import TransferDocument, TransferVersion


class Fallback(Exception):
    """The batch path cannot decide this batch in memory: run its items one by one."""


@dataclass
class Batch:
    db: Session
    docs: dict[str, TransferDocument]  # by number, locked
    versions: dict[str, TransferVersion]  # current version by document number
    by_key: dict[str, TransferDocument]  # documents by their creation idempotency key
    ledger: ledger.Collector
    creates: int  # how many numbers the batch may need
    certificates: dict[tuple[int, date], object] = field(default_factory=dict)
    waste: dict[str, object] = field(default_factory=dict)
    pickups: list[tuple[TransferDocument, str]] = field(default_factory=list)  # (document, ledger key of its pick-up)
    added: list = field(default_factory=list)  # objects added to the session by the running item
    keep: list = field(default_factory=list)  # strong references: the identity map holds rows weakly
    _numbers: Iterator[str] | None = None

    def next_number(self) -> str:
        """Numbers for all the batch's create items, reserved at the first one."""
        if self._numbers is None:
            year, count = utcnow().year, max(self.creates, 1)
            first = reserve_numbers(self.db, "TD", year, count)
            self._numbers = iter(f"TD-{year}-{n:06d}" for n in range(first, first + count))
        try:
            return next(self._numbers)
        except StopIteration:
            raise Fallback from None

    # -------------------------------------------------- undo of a failed item

    def checkpoint(self, number: str | None) -> tuple:
        self.added = []
        doc = self.docs.get(number) if number else None
        if doc is None:
            return (None, [], None, len(self.ledger.plans), len(self.pickups))
        # every column of the document and of its legs: a column added later is undone too
        rows = [(obj, _columns(obj)) for obj in (doc, *doc.legs)]
        return (doc, rows, self.versions.get(doc.number), len(self.ledger.plans), len(self.pickups))

    def undo(self, mark: tuple) -> None:
        doc, rows, version, plans, pickups = mark
        for obj in self.added:
            if obj in self.db:
                self.db.expunge(obj)
        self.added = []
        for obj, fields in rows:
            for key, value in fields.items():
                if getattr(obj, key) != value:  # unchanged columns stay clean (no UPDATE at the flush)
                    setattr(obj, key, value)
        if doc is not None:
            self.versions[doc.number] = version
        self.ledger.truncate(plans)
        del self.pickups[pickups:]

    # -------------------------------------------------- the end

    def finish(self) -> None:
        """Post the collected ledger plans set-based, link pick-ups to their postings, flush."""
        try:
            postings = self.ledger.write()
        except ledger.BatchFallback:
            raise Fallback from None
        tx_by_key = {plan.key: p.transaction_id for plan, p in zip(self.ledger.plans, postings)}
        for doc, key in self.pickups:
            doc.pending_txn_id = tx_by_key[key]
        if self.db.get_bind().dialect.name == "postgresql":
            _assign_ids(self.db)
        self.db.flush()


def _columns(obj) -> dict:
    return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}


_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


def _assign_ids(db: Session) -> None:
    """Give the batch's new rows their ids from their sequences, one statement per table: rows
    whose key is known are inserted without RETURNING, which PostgreSQL takes several times
    faster than inserts that must send each new key back."""
    new: dict[str, list] = defaultdict(list)
    for obj in db.new:
        if getattr(obj, "id", 0) is None:
            new[obj.__table__.name].append(obj)
    for table, objs in new.items():
        for obj, id_ in zip(objs, db.execute(_NEXT_IDS, {"table": table, "n": len(objs)}).scalars()):
            obj.id = id_


_CURRENT: ContextVar[Batch | None] = ContextVar("transfers_batch", default=None)


def current() -> Batch | None:
    return _CURRENT.get()


LEDGER_KEYS = ("pickup", "generated", "generated-excess", "accepted", "refused")


def _load(db: Session, model, ids: set) -> list:
    ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
    return [row for chunk in chunks(ids) for row in db.scalars(select(model).where(model.id.in_(chunk)))]


@contextmanager
def open_batch(db: Session, *, numbers: set[str], creates: list[dict] = (), vehicle_ids: set[int] = frozenset(),
               instrument_ids: set[int] = frozenset(), lock: bool = True):
    """Prefetch what the items will read and make the service functions use it (see the module
    docstring). `creates` are the bodies of create items (their sites, carriers and vehicles)."""
    docs: dict[str, TransferDocument] = {}
    for chunk in chunks(sorted(numbers)):
        q = select(TransferDocument).where(TransferDocument.number.in_(chunk)).order_by(TransferDocument.id)
        docs.update((d.number, d) for d in db.scalars(q.with_for_update() if lock else q))
    versions: dict[str, TransferVersion] = {}
    by_id = {d.id: d for d in docs.values()}
    for chunk in chunks(by_id):
        q = (select(TransferVersion).join(TransferDocument, and_(TransferDocument.id == TransferVersion.document_id,
                                                                  TransferDocument.version == TransferVersion.version))
             .where(TransferDocument.id.in_(chunk)))
        versions.update((by_id[v.document_id].number, v) for v in db.scalars(q))
    keys = [k for c in creates if isinstance(k := c.get("idempotency_key"), str)]
    by_key = {d.idempotency_key: d for chunk in chunks(keys) for d in db.scalars(select(TransferDocument).where(TransferDocument.idempotency_key.in_(chunk)))}

    site_ids = {s for d in docs.values() for s in (d.consignor_site_id, d.receiver_site_id)}
    org_ids = {leg.carrier_org_id for d in docs.values() for leg in d.legs}
    vehicle_ids = set(vehicle_ids) | {leg.vehicle_id for d in docs.values() for leg in d.legs if leg.vehicle_id}
    instrument_ids = set(instrument_ids) | {d.instrument_id for d in docs.values() if d.instrument_id}
    for c in creates:
        site_ids |= {c.get("consignor_site_id"), c.get("receiver_site_id")}
        for leg in c.get("legs") or []:
            if isinstance(leg, dict):
                org_ids.add(leg.get("carrier_org_id"))
                vehicle_ids.add(leg.get("vehicle_id"))
    keep = [*_load(db, Site, site_ids), *_load(db, Organization, org_ids), *_load(db, Vehicle, vehicle_ids),
            *_load(db, WeighingInstrument, instrument_ids)]

    ledger_keys = [f"{n}:{k}" for n in docs for k in LEDGER_KEYS]
    pending_ids = {d.pending_txn_id for d in docs.values() if d.pending_txn_id}
    site_ids_in_ledger = {s for d in docs.values() for s in (d.consignor_site_id, d.receiver_site_id)}
    with ledger.collecting(db, site_ids=site_ids_in_ledger, pending_ids=pending_ids, keys=ledger_keys) as collector, signing.batch():
        collector.prefetch_balances({(d.consignor_site_id, d.waste_code) for d in docs.values()})
        b = Batch(db, docs, versions, by_key, collector, creates=len(creates), keep=keep)

        def added(_session, obj):
            b.added.append(obj)

        event.listen(db, "transient_to_pending", added)
        token = _CURRENT.set(b)
        try:
            with db.no_autoflush:
                yield b
        finally:
            _CURRENT.reset(token)
            event.remove(db, "transient_to_pending", added)
