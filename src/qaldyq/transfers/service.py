"""Waste transfer documents: create and edit drafts, record each party's data, and move the
document through its lifecycle by signed actions, posting the mass to the ledger as it moves.

Invariants kept here (tested in tests/transfers):
- the document changes only through these functions, each bumping `version` and storing an
  immutable snapshot (TransferVersion) that signatures cover;
- an action is accepted only from the party whose turn it is, over the current version, in the
  order of the workflow table, with a valid signature;
- the ledger moves with the document in the same transaction: pending at the first carrier's
  take-over, posted (in full or in part) at acceptance, voided back to the consignor at refusal;
- fields are sealed by the signature the rules table names; after acceptance only a revision
  request approved by every party changes the document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog import service as catalog
from qaldyq.core.audit import append as audit_append
from qaldyq.ledger import reports as ledger_reports
from qaldyq.ledger import service as ledger
from qaldyq.registry import service as registry
from qaldyq.signing import service as signing
from qaldyq.signing.crypto import canonical
from qaldyq.core.auth import Principal
from qaldyq.core.database import utcnow
from qaldyq.core.errors import Problem, conflict, forbidden, invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.core.roles import Scope
from qaldyq.core.service import next_number
from qaldyq.transfers import batch as batches
from qaldyq.transfers.models import RevisionApproval, RevisionRequest, TransferDocument, TransferLeg, TransferVersion
from qaldyq.transfers.schemas import TransferIn
from qaldyq.transfers.workflow import REVISABLE_STATES, Action, Party, State, next_state, operation_permitted, transition

MASS_WARNING_SHARE = 0.10  # a receipt more than 10 % from the declared mass is accepted with a warning
CLOCK_SKEW = timedelta(minutes=5)
SNAPSHOT_FIELDS = (
    "number", "state", "version", "consignor_org_id", "consignor_site_id", "receiver_org_id", "receiver_site_id",
    "waste_code", "hazardous", "description", "physical_form", "hazard_properties", "containers", "declared_mass_kg",
    "mass_basis", "planned_operation", "picked_up_at", "instrument_id", "gross_kg", "tare_kg", "net_kg", "received_at",
    "accepted_kg", "refused_kg", "refusal_reason", "accepted_at", "operation_done", "processed_at", "cancelled_reason",
)


# ---------------------------------------------------------------- snapshots and versions

def _jsonable(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def snapshot(doc: TransferDocument) -> dict:
    data = {f: _jsonable(getattr(doc, f)) for f in SNAPSHOT_FIELDS}
    data["legs"] = [{"seq": l.seq, "carrier_org_id": l.carrier_org_id, "vehicle_id": l.vehicle_id, "taken_over_at": _jsonable(l.taken_over_at)} for l in doc.legs]
    return data


def _record_version(db: Session, doc: TransferDocument, action: str, user_id: int | None) -> TransferVersion:
    snap = snapshot(doc)
    v = TransferVersion(version=doc.version, action=action, snapshot=snap, sha256=hashlib.sha256(canonical(snap)).hexdigest(),
                        created_by_user_id=user_id)
    if doc.id is None:
        v.document = doc  # a document created in a batch gets its id at the batch's flush
    else:
        v.document_id = doc.id
    db.add(v)
    if (b := batches.current()) is not None:
        b.versions[doc.number] = v
    else:
        db.flush()
    return v


def _bump(db: Session, doc: TransferDocument, action: str, principal: Principal | None) -> TransferVersion:
    doc.version += 1
    doc.updated_at = utcnow()
    if batches.current() is None:
        db.flush()
    return _record_version(db, doc, action, principal.user_id if principal else None)


def current_version(db: Session, doc: TransferDocument) -> TransferVersion:
    if (b := batches.current()) is not None and doc.number in b.versions:
        return b.versions[doc.number]
    return db.scalar(select(TransferVersion).where(TransferVersion.document_id == doc.id, TransferVersion.version == doc.version))


DOCUMENT_TYPE = "transfer"


def signing_payload(doc: TransferDocument, version: TransferVersion, action: Action) -> bytes:
    """What a signer signs (RFC 8785 canonical JSON, see docs/signing.md): the action and the
    document version itself (snapshot, version number and its hash), so an offline verifier needs
    nothing else and a signature over an older version can never move the current one."""
    document = {"number": doc.number, "version": version.version, "version_sha256": version.sha256, "snapshot": version.snapshot}
    return signing.signing_payload(DOCUMENT_TYPE, doc.number, action.value, document)


# ---------------------------------------------------------------- access

READ, WRITE = "transfers.read", "transfers.write"


def parties(doc: TransferDocument) -> set[int]:
    return {doc.consignor_org_id, doc.receiver_org_id, *(leg.carrier_org_id for leg in doc.legs)}


def can_see(db: Session, principal: Principal, doc: TransferDocument) -> bool:
    scope = principal.scope(READ)
    if scope is Scope.ALL:
        return True
    if principal.org_id in parties(doc):
        return True
    if scope is Scope.REGION and principal.region_kato:
        return any(registry.get_site(db, sid).region_kato == principal.region_kato for sid in (doc.consignor_site_id, doc.receiver_site_id))
    return False


def get_document(db: Session, principal: Principal, number: str, *, lock: bool = False) -> TransferDocument:
    if (b := batches.current()) is not None:
        doc = b.docs.get(number)  # prefetched, and locked when the batch writes
    else:
        q = select(TransferDocument).where(TransferDocument.number == number)
        doc = db.scalar(q.with_for_update() if lock else q)
    if doc is None or not can_see(db, principal, doc):
        raise not_found("Transfer document {number} does not exist.", number=number)
    return doc


def party_of(principal: Principal, doc: TransferDocument, party: Party) -> bool:
    if party is Party.CONSIGNOR:
        return principal.org_id == doc.consignor_org_id
    if party is Party.RECEIVER:
        return principal.org_id == doc.receiver_org_id
    leg = next_leg(doc)
    return leg is not None and principal.org_id == leg.carrier_org_id


def next_leg(doc: TransferDocument) -> TransferLeg | None:
    return next((leg for leg in doc.legs if leg.taken_over_at is None), None)


def allowed_actions(principal: Principal, doc: TransferDocument) -> list[str]:
    """The actions this caller may fire now (the API lists them; the UI shows their buttons)."""
    if not principal.can(WRITE):
        return []
    out = []
    for action in Action:
        t = transition(State(doc.state), action)
        if t is None or not party_of(principal, doc, t.party):
            continue
        if action is Action.SIGN_CARRIER and next_leg(doc) is None:
            continue
        if action is Action.RECEIVE and next_leg(doc) is not None:
            continue
        out.append(action.value)
    return out


def _party_step(db: Session, principal: Principal, number: str, expected_version: int, party: Party, refusal: str) -> TransferDocument:
    """The document, locked, at the version the caller saw, if the caller is `party`."""
    doc = get_document(db, principal, number, lock=True)
    _check_version(doc, expected_version)
    if not party_of(principal, doc, party):
        raise forbidden(refusal)
    return doc


def _check_version(doc: TransferDocument, expected: int) -> None:
    if expected != doc.version:
        raise conflict("/expected_version", "The document has changed since you loaded it (version {current}); reload it.", code="stale-version", current=doc.version)


# ---------------------------------------------------------------- guards on content

def _once_per_batch(memo: str, key, load):
    """Inside a bulk batch (batch.py) each look-up is made once; outside, every time."""
    if (b := batches.current()) is None:
        return load()
    seen = getattr(b, memo)
    if key not in seen:
        seen[key] = load()
    return seen[key]


def _waste(db: Session, code: str):
    return _once_per_batch("waste", code, lambda: catalog.get_waste_code(db, code, pointer="/waste_code"))


def _certificate_on(db: Session, instrument_id: int, day):
    return _once_per_batch("certificates", (instrument_id, day), lambda: registry.certificate_valid_on(db, instrument_id, day))


def _site_of_org(db: Session, site_id: int, pointer: str):
    site = registry.get_site(db, site_id) if site_id else None
    if site is None:
        raise invalid(pointer, "Site {id} does not exist.", code="unknown-site", id=site_id)
    if site.status != "active":
        raise invalid(pointer, "Site {id} is not active.", code="inactive-site", id=site_id)
    return site


def _permits(site, code: str, operation: str) -> tuple[bool, bool]:
    codes = [c.replace(" ", "") for c in (site.permitted_waste_codes or [])]
    plain = code.replace(" ", "").rstrip("*")
    code_ok = any(plain == c.rstrip("*") or (len(c.rstrip("*")) < 6 and plain.startswith(c.rstrip("*"))) for c in codes)
    return code_ok, operation_permitted(site.permitted_operations, operation)


def check_receiver(db: Session, receiver_site, code: str, operation: str) -> None:
    code_ok, op_ok = _permits(receiver_site, code, operation)
    if not code_ok:
        raise invalid("/receiver_site_id", "The receiver site is not permitted to accept waste code {waste_code}.", code="receiver-not-permitted", waste_code=code)
    if not op_ok:
        raise invalid("/planned_operation", "The receiver site is not permitted to carry out operation {operation}.", code="operation-not-permitted", operation=operation)


def check_carrier(db: Session, org_id: int, hazardous: bool, pointer: str) -> None:
    try:
        org = registry.get_organization(db, org_id)
    except Problem:
        raise invalid(pointer, "Organization {id} does not exist.", code="unknown-organization", id=org_id) from None
    if not registry.has_role(org, "carrier"):
        raise invalid(pointer, "{name} is not registered as a waste carrier.", code="not-a-carrier", name=org.name_ru)
    if hazardous and not org.hazardous_license:
        raise invalid(pointer, "{name} holds no licence to carry hazardous waste.", code="no-hazardous-licence", name=org.name_ru)


def check_vehicle(db: Session, vehicle_id: int, carrier_org_id: int, mass_kg: int, hazardous: bool, pointer: str) -> None:
    try:
        vehicle = registry.get_vehicle(db, vehicle_id)
    except Problem:
        raise invalid(pointer, "Vehicle {id} does not exist.", code="unknown-vehicle", id=vehicle_id) from None
    if vehicle.organization_id != carrier_org_id:
        raise invalid(pointer, "Vehicle {plate} does not belong to the carrier of this leg.", code="vehicle-not-carriers", plate=vehicle.plate)
    if vehicle.status != "active":
        raise invalid(pointer, "Vehicle {plate} is not active.", code="inactive-vehicle", plate=vehicle.plate)
    if mass_kg > vehicle.payload_kg:
        raise invalid(pointer, "The declared mass {mass} kg exceeds the payload of vehicle {plate} ({payload} kg).", code="over-payload",
                      mass=mass_kg, plate=vehicle.plate, payload=vehicle.payload_kg)
    if hazardous and not vehicle.hazardous_equipped:
        raise invalid(pointer, "Vehicle {plate} is not equipped for hazardous waste.", code="vehicle-not-hazardous", plate=vehicle.plate)


# ---------------------------------------------------------------- drafts

def create_document(db: Session, principal: Principal, data: TransferIn) -> TransferDocument:
    """A draft by the consignor. Everything that can be checked now is checked now, so that a
    document that exists is one that can be signed."""
    b = batches.current()
    if data.idempotency_key:
        existing = b.by_key.get(data.idempotency_key) if b else db.scalar(select(TransferDocument).where(TransferDocument.idempotency_key == data.idempotency_key))
        if existing is not None:
            if existing.consignor_org_id != principal.org_id:
                raise conflict("/idempotency_key", "This idempotency key is already used.", code="idempotency-key-used")
            return existing
    consignor = _site_of_org(db, data.consignor_site_id, "/consignor_site_id")
    if consignor.organization_id != principal.org_id and principal.scope(WRITE) is not Scope.ALL:
        raise forbidden("You may create documents only for the sites of your own organization.")
    receiver = _site_of_org(db, data.receiver_site_id, "/receiver_site_id")
    waste = _waste(db, data.waste_code)
    check_receiver(db, receiver, waste.code, data.planned_operation)
    for i, leg in enumerate(data.legs):
        check_carrier(db, leg.carrier_org_id, waste.hazardous, f"/legs/{i}/carrier_org_id")
        if leg.vehicle_id:
            check_vehicle(db, leg.vehicle_id, leg.carrier_org_id, data.declared_mass_kg, waste.hazardous, f"/legs/{i}/vehicle_id")
    if waste.hazardous and not data.hazard_properties:
        raise invalid("/hazard_properties", "Hazardous waste needs at least one hazard property (HP1–HP15).", code="hazard-properties-required")
    doc = TransferDocument(
        number=b.next_number() if b else next_number(db, "TD"), state=State.DRAFT.value, version=1, idempotency_key=data.idempotency_key,
        created_by_user_id=principal.user_id, consignor_org_id=consignor.organization_id, consignor_site_id=consignor.id,
        receiver_org_id=receiver.organization_id, receiver_site_id=receiver.id, waste_code=waste.code, hazardous=waste.hazardous,
        description=data.description, physical_form=data.physical_form, hazard_properties=list(data.hazard_properties),
        containers=[c.model_dump() for c in data.containers], declared_mass_kg=data.declared_mass_kg, mass_basis=data.mass_basis,
        planned_operation=data.planned_operation, warnings=[],
        legs=[TransferLeg(seq=i + 1, carrier_org_id=leg.carrier_org_id, vehicle_id=leg.vehicle_id) for i, leg in enumerate(data.legs)],
    )
    db.add(doc)
    if b is None:
        db.flush()
    else:
        b.docs[doc.number] = doc
        if doc.idempotency_key:
            b.by_key[doc.idempotency_key] = doc
    _record_version(db, doc, "create", principal.user_id)
    return doc


def edit_document(db: Session, principal: Principal, number: str, patch) -> TransferDocument:
    """Change a draft. Every field of the edit form is sealed by the consignor's signature."""
    doc = _party_step(db, principal, number, patch.expected_version, Party.CONSIGNOR, N_("Only the consignor may edit the document."))
    changes = patch.model_dump(exclude_unset=True, exclude={"expected_version"})
    if doc.state != State.DRAFT:
        field = next(iter(changes), "")
        raise conflict(f"/{field}", "This field is sealed by the consignor's signature; after acceptance use a revision request.", code="field-sealed")
    merged = TransferIn(
        consignor_site_id=doc.consignor_site_id,
        receiver_site_id=changes.get("receiver_site_id", doc.receiver_site_id),
        legs=changes.get("legs", [{"carrier_org_id": l.carrier_org_id, "vehicle_id": l.vehicle_id} for l in doc.legs]),
        waste_code=changes.get("waste_code", doc.waste_code), description=changes.get("description", doc.description),
        physical_form=changes.get("physical_form", doc.physical_form), hazard_properties=changes.get("hazard_properties", doc.hazard_properties),
        containers=changes.get("containers", doc.containers), declared_mass_kg=changes.get("declared_mass_kg", doc.declared_mass_kg),
        mass_basis=changes.get("mass_basis", doc.mass_basis), planned_operation=changes.get("planned_operation", doc.planned_operation),
    )
    receiver = _site_of_org(db, merged.receiver_site_id, "/receiver_site_id")
    waste = _waste(db, merged.waste_code)
    check_receiver(db, receiver, waste.code, merged.planned_operation)
    for i, leg in enumerate(merged.legs):
        check_carrier(db, leg.carrier_org_id, waste.hazardous, f"/legs/{i}/carrier_org_id")
        if leg.vehicle_id:
            check_vehicle(db, leg.vehicle_id, leg.carrier_org_id, merged.declared_mass_kg, waste.hazardous, f"/legs/{i}/vehicle_id")
    doc.receiver_site_id, doc.receiver_org_id = receiver.id, receiver.organization_id
    doc.waste_code, doc.hazardous = waste.code, waste.hazardous
    for f in ("description", "physical_form", "mass_basis", "planned_operation", "declared_mass_kg"):
        setattr(doc, f, getattr(merged, f))
    doc.hazard_properties = list(merged.hazard_properties)
    doc.containers = [c.model_dump() for c in merged.containers]
    if "legs" in changes:
        doc.legs.clear()
        db.flush()
        doc.legs.extend(TransferLeg(seq=i + 1, carrier_org_id=l.carrier_org_id, vehicle_id=l.vehicle_id) for i, l in enumerate(merged.legs))
    _bump(db, doc, "edit", principal)
    return doc


# ---------------------------------------------------------------- each party's data before it signs

def set_leg_vehicle(db: Session, principal: Principal, number: str, vehicle_id: int, expected_version: int) -> TransferDocument:
    doc = get_document(db, principal, number, lock=True)
    _check_version(doc, expected_version)
    leg = next_leg(doc)
    if doc.state not in (State.SIGNED_BY_CONSIGNOR, State.IN_TRANSIT) or leg is None:
        raise conflict("/vehicle_id", "No carrier leg is waiting for a vehicle.", code="no-open-leg")
    if principal.org_id != leg.carrier_org_id:
        raise forbidden("Only the carrier of the next leg may set its vehicle.")
    check_vehicle(db, vehicle_id, leg.carrier_org_id, doc.declared_mass_kg, doc.hazardous, "/vehicle_id")
    leg.vehicle_id = vehicle_id
    _bump(db, doc, "set_vehicle", principal)
    return doc


def record_weighing(db: Session, principal: Principal, number: str, data) -> TransferDocument:
    doc = _party_step(db, principal, number, data.expected_version, Party.RECEIVER, N_("Only the receiver may weigh the load."))
    if doc.state != State.IN_TRANSIT or next_leg(doc) is not None:
        raise conflict("/instrument_id", "The load can be weighed only when every carrier has signed.", code="not-in-transit")
    inst = _receiver_instrument(db, doc, data.instrument_id)
    weighed_at = data.weighed_at if data.weighed_at.tzinfo else data.weighed_at.replace(tzinfo=timezone.utc)
    if weighed_at > utcnow() + CLOCK_SKEW:
        raise invalid("/weighed_at", "The weighing time is in the future.", code="future-time")
    # weighing tickets and the web form give minutes: compare at that precision
    if doc.picked_up_at and weighed_at < doc.picked_up_at.replace(second=0, microsecond=0):
        raise invalid("/weighed_at", "The load cannot be weighed before it was picked up.", code="before-pickup")
    if _certificate_on(db, inst.id, weighed_at.date()) is None:
        raise invalid("/instrument_id", "The verification certificate of instrument {serial} is not valid on {day}.", code="instrument-not-verified",
                      serial=inst.serial_number, day=weighed_at.date().isoformat())
    net = data.gross_kg - data.tare_kg
    if inst.max_load_kg and data.gross_kg > inst.max_load_kg:
        raise invalid("/gross_kg", "The gross mass exceeds the maximum load of the instrument ({max} kg).", code="over-instrument-max", max=inst.max_load_kg)
    doc.instrument_id, doc.gross_kg, doc.tare_kg, doc.net_kg, doc.received_at = inst.id, data.gross_kg, data.tare_kg, net, weighed_at
    doc.warnings = [w for w in doc.warnings if w.get("code") != "mass-differs"]
    if abs(net - doc.declared_mass_kg) > MASS_WARNING_SHARE * doc.declared_mass_kg:
        doc.warnings = [*doc.warnings, {"code": "mass-differs", "declared_kg": doc.declared_mass_kg, "received_kg": net,
                                        "message": "The received mass differs from the declared mass by more than 10 %."}]
    _bump(db, doc, "weighing", principal)
    return doc


def _receiver_instrument(db: Session, doc: TransferDocument, instrument_id: int):
    try:
        inst = registry.get_instrument(db, instrument_id)
    except Problem:
        raise invalid("/instrument_id", "Weighing instrument {id} does not exist.", code="unknown-instrument", id=instrument_id) from None
    if inst.site_id != doc.receiver_site_id:
        raise invalid("/instrument_id", "The instrument is not registered at the receiver's site.", code="instrument-elsewhere")
    return inst


def record_acceptance(db: Session, principal: Principal, number: str, data) -> TransferDocument:
    doc = _party_step(db, principal, number, data.expected_version, Party.RECEIVER, N_("Only the receiver may accept or refuse the load."))
    if doc.state != State.RECEIVED:
        raise conflict("/accepted_kg", "The load can be accepted only after it has been weighed.", code="not-received")
    if data.accepted_kg > doc.net_kg:
        raise invalid("/accepted_kg", "The accepted mass cannot exceed the received mass ({net} kg).", code="over-received", net=doc.net_kg)
    if data.accepted_kg + data.refused_kg != doc.net_kg:
        raise invalid("/refused_kg", "Accepted and refused mass must add up to the received mass ({net} kg).", code="does-not-add-up", net=doc.net_kg)
    doc.accepted_kg, doc.refused_kg = data.accepted_kg, data.refused_kg
    doc.refusal_reason = (data.refusal_reason or "").strip() or None
    _bump(db, doc, "acceptance", principal)
    return doc


def record_processing(db: Session, principal: Principal, number: str, data) -> TransferDocument:
    doc = _party_step(db, principal, number, data.expected_version, Party.RECEIVER, N_("Only the receiver may declare the operation."))
    if doc.state not in (State.ACCEPTED, State.PARTIALLY_ACCEPTED):
        raise conflict("/operation_done", "The operation can be declared only after acceptance.", code="not-accepted")
    _, op_ok = _permits(registry.get_site(db, doc.receiver_site_id), doc.waste_code, data.operation_done)
    if not op_ok:
        raise invalid("/operation_done", "The receiver site is not permitted to carry out operation {operation}.", code="operation-not-permitted", operation=data.operation_done)
    doc.operation_done = data.operation_done
    _bump(db, doc, "operation", principal)
    return doc


def cancel(db: Session, principal: Principal, number: str, reason: str, expected_version: int) -> TransferDocument:
    doc = get_document(db, principal, number, lock=True)
    _check_version(doc, expected_version)
    t = transition(State(doc.state), Action.CANCEL)
    if t is None:
        raise conflict("/reason", "A document can be cancelled only before the waste is picked up.", code="cannot-cancel")
    if not party_of(principal, doc, Party.CONSIGNOR):
        raise forbidden("Only the consignor may cancel the document.")
    doc.cancelled_reason = reason
    doc.state = State.CANCELLED.value
    _bump(db, doc, Action.CANCEL.value, principal)
    return doc


# ---------------------------------------------------------------- signed actions

def _action(value: str) -> Action:
    try:
        action = Action(value)
    except ValueError:
        raise invalid("/action", "Unknown action {action}.", code="unknown-action", action=str(value)) from None
    if action is Action.CANCEL:
        raise invalid("/action", "Cancellation is not signed; use the cancel endpoint.", code="unknown-action")
    return action


def _turn(principal: Principal, doc: TransferDocument, action: Action):
    """The transition for this action now, if it is this caller's turn; else a clear refusal."""
    t = transition(State(doc.state), action)
    if t is None:
        raise conflict("/action", "The action {action} is not possible while the document is {state}.", code="out-of-order",
                       action=action.value, state=doc.state)
    if not party_of(principal, doc, t.party):
        raise forbidden("It is not your turn to sign this document.")
    if not principal.can(WRITE):
        raise forbidden()
    return t


def _guard(db: Session, doc: TransferDocument, action: Action) -> None:
    """What must hold when the action is signed (the workflow table names these guards)."""
    if action is Action.SIGN_CONSIGNOR:
        waste = _waste(db, doc.waste_code)
        check_receiver(db, _site_of_org(db, doc.receiver_site_id, "/receiver_site_id"), waste.code, doc.planned_operation)
        for i, leg in enumerate(doc.legs):
            check_carrier(db, leg.carrier_org_id, waste.hazardous, f"/legs/{i}/carrier_org_id")
    elif action is Action.SIGN_CARRIER:
        leg = next_leg(doc)
        if leg is None:
            raise conflict("/action", "Every carrier has already signed.", code="out-of-order")
        if leg.vehicle_id is None:
            raise conflict("/vehicle_id", "Set the vehicle of this leg before signing.", code="vehicle-required")
        check_carrier(db, leg.carrier_org_id, doc.hazardous, "/legs")
        check_vehicle(db, leg.vehicle_id, leg.carrier_org_id, doc.declared_mass_kg, doc.hazardous, "/vehicle_id")
    elif action is Action.RECEIVE:
        if next_leg(doc) is not None:
            raise conflict("/action", "Every carrier must sign before the receipt.", code="out-of-order")
        if doc.net_kg is None:
            raise conflict("/action", "Record the weighing before signing the receipt.", code="weighing-required")
        if _certificate_on(db, doc.instrument_id, doc.received_at.date()) is None:
            raise invalid("/instrument_id", "The verification certificate of the instrument is not valid on the weighing date.", code="instrument-not-verified")
    elif action is Action.ACCEPT:
        if doc.accepted_kg is None:
            raise conflict("/action", "Record the accepted and refused mass before signing.", code="acceptance-required")
    elif action is Action.PROCESS:
        if doc.operation_done is None:
            raise conflict("/action", "Record the operation before signing.", code="operation-required")


def signing_request(db: Session, principal: Principal, number: str, action_value: str) -> tuple[bytes, int, Action]:
    doc = get_document(db, principal, number)
    action = _action(action_value)
    _turn(principal, doc, action)
    version = current_version(db, doc)
    return signing_payload(doc, version, action), doc.version, action


def signing_requests(db: Session, principal: Principal, items: list[tuple[str, str]]) -> list[tuple[bytes, int, Action] | Problem]:
    """Many signing requests (number, action) at once, read in one go: what an integration asks
    before signing a bulk batch. Each answer is what signing_request gives, or its Problem."""
    out: list[tuple[bytes, int, Action] | Problem] = []
    with batches.open_batch(db, numbers={n for n, _a in items}, lock=False):
        for number, action in items:
            try:
                out.append(signing_request(db, principal, number, action))
            except Problem as exc:
                out.append(exc)
    return out


def apply_signature(db: Session, principal: Principal, number: str, action_value: str, sha256_hex: str, signature_b64: str) -> TransferDocument:
    """Verify a signature over the current version and move the document on, with the ledger,
    in one transaction. The row lock makes a racing second acceptance wait, then fail on the
    version it signed."""
    doc = get_document(db, principal, number, lock=True)
    action = _action(action_value)
    _turn(principal, doc, action)
    version = current_version(db, doc)
    payload = signing_payload(doc, version, action)
    if hashlib.sha256(payload).hexdigest() != (sha256_hex or "").lower():
        raise conflict("/sha256", "The document has changed since the signing request (version {current}); request it again.",
                       code="stale-version", current=doc.version)
    _guard(db, doc, action)
    verified = signing.verify(db, principal, payload, sha256_hex, signature_b64)
    signing.store_signature(db, verified, payload)
    _effect(db, principal, doc, action)
    _bump(db, doc, action.value, principal)
    return doc


def sign_with_held_key(db: Session, principal: Principal, number: str, action_value: str) -> TransferDocument:
    """The web UI signs with the key held for the user (encrypted at rest), through the same
    verification as any client."""
    payload, _version, _ = signing_request(db, principal, number, action_value)
    server = signing.sign_as_user(db, principal.user_id, payload)
    return apply_signature(db, principal, number, action_value, hashlib.sha256(payload).hexdigest(), server.signature)


def _ref(doc: TransferDocument) -> ledger.Reference:
    return ledger.Reference(DOCUMENT_TYPE, doc.number)


def _ensure_stock(db: Session, doc: TransferDocument, site_id: int, needed_kg: int, tag: str, user_id: int) -> None:
    """Waste leaving a generator's site is drawn from its recorded stock first; what the stock
    does not cover is recorded as generated now (a generator's transfer document is its record
    of generation). Any other holder must hold the mass it ships."""
    site = registry.get_site(db, site_id)
    if site.site_type != "generator":
        return
    b = batches.current()
    held = b.ledger.balance_kg(site_id, doc.waste_code) if b else ledger_reports.balance_kg(db, site_id, doc.waste_code)
    short = needed_kg - held
    if short > 0:
        ledger.record_generation(db, key=f"{doc.number}:{tag}", site_id=site_id, waste_code=doc.waste_code, mass_kg=short,
                                 reference=_ref(doc), note="generated at pick-up", user_id=user_id)


def _effect(db: Session, principal: Principal, doc: TransferDocument, action: Action) -> None:
    now = utcnow()
    if action is Action.SIGN_CARRIER:
        leg = next_leg(doc)
        leg.taken_over_at, leg.site_id = now, doc.consignor_site_id if leg.seq == 1 else doc.receiver_site_id
        if leg.seq == 1:
            doc.picked_up_at = now
            _ensure_stock(db, doc, doc.consignor_site_id, doc.declared_mass_kg, "generated", principal.user_id)
            posting = ledger.pend_transfer(db, key=f"{doc.number}:pickup", consignor_site_id=doc.consignor_site_id,
                                           receiver_site_id=doc.receiver_site_id, waste_code=doc.waste_code, mass_kg=doc.declared_mass_kg,
                                           effective_at=now, reference=_ref(doc), user_id=principal.user_id)
            if (b := batches.current()) is not None:
                b.pickups.append((doc, f"{doc.number}:pickup"))  # its transaction id comes at the batch's end
            else:
                doc.pending_txn_id = posting.transaction_id
    elif action is Action.ACCEPT:
        doc.accepted_at = now
        if doc.pending_txn_id is None and batches.current() is not None:
            raise batches.Fallback  # picked up in this very batch: settle it item by item
        if doc.accepted_kg == 0:
            ledger.void_transfer(db, key=f"{doc.number}:refused", pending_id=doc.pending_txn_id, effective_at=now, reference=_ref(doc),
                                 note=doc.refusal_reason, user_id=principal.user_id)
        else:
            excess = doc.net_kg - doc.declared_mass_kg
            if excess > 0:
                _ensure_stock(db, doc, doc.consignor_site_id, excess, "generated-excess", principal.user_id)
            ledger.post_transfer(db, key=f"{doc.number}:accepted", pending_id=doc.pending_txn_id, accepted_kg=doc.accepted_kg,
                                 refused_kg=doc.refused_kg, effective_at=now, reference=_ref(doc), note=doc.refusal_reason, user_id=principal.user_id)
    elif action is Action.PROCESS:
        doc.processed_at = now
    doc.state = next_state(State(doc.state), action, accepted_kg=doc.accepted_kg or 0, refused_kg=doc.refused_kg or 0).value


# ---------------------------------------------------------------- lists

def list_documents(db: Session, principal: Principal, *, state: str | None = None, waiting: bool = False, q: str | None = None,
                   waste_code: str | None = None, limit: int = 50, offset: int = 0) -> tuple[int, list[TransferDocument]]:
    from sqlalchemy import func, or_

    query = select(TransferDocument)
    scope = principal.scope(READ)
    if scope is Scope.OWN or (scope is Scope.REGION and not principal.region_kato):
        carried = select(TransferLeg.document_id).where(TransferLeg.carrier_org_id == principal.org_id)
        query = query.where(or_(TransferDocument.consignor_org_id == principal.org_id, TransferDocument.receiver_org_id == principal.org_id,
                                TransferDocument.id.in_(carried)))
    elif scope is Scope.REGION:
        from qaldyq.registry.models import Site

        in_region = select(Site.id).where(Site.region_kato == principal.region_kato)
        query = query.where(or_(TransferDocument.consignor_site_id.in_(in_region), TransferDocument.receiver_site_id.in_(in_region)))
    if state:
        query = query.where(TransferDocument.state == state)
    if waste_code:
        query = query.where(TransferDocument.waste_code == waste_code)
    if q:
        query = query.where(or_(TransferDocument.number.ilike(f"%{q}%"), TransferDocument.description.ilike(f"%{q}%")))
    if waiting:
        # documents where it is the caller's organization's turn
        carrier_turn = select(TransferLeg.document_id).where(TransferLeg.carrier_org_id == principal.org_id, TransferLeg.taken_over_at.is_(None))
        query = query.where(or_(
            (TransferDocument.consignor_org_id == principal.org_id) & (TransferDocument.state == State.DRAFT.value),
            (TransferDocument.receiver_org_id == principal.org_id) & TransferDocument.state.in_([State.IN_TRANSIT.value, State.RECEIVED.value, State.ACCEPTED.value, State.PARTIALLY_ACCEPTED.value]),
            TransferDocument.id.in_(carrier_turn) & TransferDocument.state.in_([State.SIGNED_BY_CONSIGNOR.value, State.IN_TRANSIT.value]),
        ))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(db.scalars(query.order_by(TransferDocument.id.desc()).limit(limit).offset(offset)))
    return total, rows


def versions(db: Session, doc: TransferDocument) -> list[TransferVersion]:
    return list(db.scalars(select(TransferVersion).where(TransferVersion.document_id == doc.id).order_by(TransferVersion.version)))


def verify_document(db: Session, number: str) -> dict:
    """Public verification: the document's current version and every stored signature re-checked
    (payload, seal, key, chain); a stored snapshot that no longer matches its hash is reported."""
    doc = db.scalar(select(TransferDocument).where(TransferDocument.number == number))
    if doc is None:
        raise not_found("Transfer document {number} does not exist.", number=number)
    problems: list[str] = []
    for v in versions(db, doc):
        if hashlib.sha256(canonical(v.snapshot)).hexdigest() != v.sha256:
            problems.append(f"version {v.version}: snapshot does not match its hash")
    last = current_version(db, doc)
    if last is None or last.snapshot != snapshot(doc):
        problems.append("the document differs from its last recorded version")
    sigs = []
    for stored in signing.signatures_for(db, DOCUMENT_TYPE, doc.number):
        check = signing.check_stored(db, stored)
        sigs.append({"action": stored.action, "signed_at": stored.signed_at, "algorithm": stored.algorithm,
                     "valid": check.ok, "chain_trusted": check.chain_trusted})
        problems += [f"signature {stored.action}: {p}" for p in check.problems]
    return {"number": doc.number, "state": doc.state, "version": doc.version, "waste_code": doc.waste_code,
            "declared_mass_kg": doc.declared_mass_kg, "accepted_kg": doc.accepted_kg, "signatures": sigs,
            "intact": not problems, "problems": problems}


# ---------------------------------------------------------------- revisions after acceptance

REVISABLE_FIELDS = ("waste_code", "description", "accepted_kg", "refused_kg", "refusal_reason", "operation_done")


def request_revision(db: Session, principal: Principal, number: str, changes: dict, reason: str) -> RevisionRequest:
    """A party asks to change an accepted document; the requester's organization approves by
    asking; the change applies when every other party has approved."""
    doc = get_document(db, principal, number, lock=True)
    if principal.org_id not in parties(doc) or not principal.can(WRITE):
        raise forbidden("Only a party to the document may request a revision.")
    if State(doc.state) not in REVISABLE_STATES:
        raise conflict("/changes", "Before acceptance the document is changed by its own steps, not by a revision.", code="not-revisable")
    if db.scalar(select(RevisionRequest.id).where(RevisionRequest.document_id == doc.id, RevisionRequest.status == "pending")):
        raise conflict("/changes", "A revision of this document is already waiting for approval.", code="revision-pending")
    unknown = [f for f in changes if f not in REVISABLE_FIELDS]
    if unknown or not changes:
        raise invalid(f"/changes/{unknown[0]}" if unknown else "/changes", "Only these fields can be revised: {fields}.", code="not-revisable-field",
                      fields=", ".join(REVISABLE_FIELDS))
    _check_revision(db, doc, changes)
    req = RevisionRequest(document_id=doc.id, requested_by_org_id=principal.org_id, requested_by_user_id=principal.user_id, reason=reason,
                          changes={f: {"from": getattr(doc, f), "to": v} for f, v in changes.items()})
    req.approvals = [RevisionApproval(org_id=principal.org_id, user_id=principal.user_id, approved=True)]
    db.add(req)
    db.flush()
    return req


def _check_revision(db: Session, doc: TransferDocument, changes: dict) -> None:
    if "waste_code" in changes:
        waste = _waste(db, changes["waste_code"])
        check_receiver(db, registry.get_site(db, doc.receiver_site_id), waste.code, doc.planned_operation)
    accepted = changes.get("accepted_kg", doc.accepted_kg)
    refused = changes.get("refused_kg", doc.refused_kg)
    if ("accepted_kg" in changes or "refused_kg" in changes):
        if not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in (accepted, refused)):
            raise invalid("/changes/accepted_kg", "Must be a whole number.", code="int_type")
        if accepted + refused != doc.net_kg:
            raise invalid("/changes/refused_kg", "Accepted and refused mass must add up to the received mass ({net} kg).", code="does-not-add-up", net=doc.net_kg)
        if accepted == 0 or (doc.accepted_kg == 0):
            raise invalid("/changes/accepted_kg", "A refusal cannot be turned into an acceptance, or back, by a revision.", code="not-revisable")


def decide_revision(db: Session, principal: Principal, number: str, revision_id: int, approve: bool, comment: str | None) -> RevisionRequest:
    doc = get_document(db, principal, number, lock=True)
    req = db.get(RevisionRequest, revision_id)
    if req is None or req.document_id != doc.id:
        raise not_found("Revision {id} does not exist.", id=revision_id)
    if req.status != "pending":
        raise conflict("/approved", "This revision has already been decided.", code="revision-decided")
    if principal.org_id not in parties(doc) or not principal.can(WRITE):
        raise forbidden("Only a party to the document may decide on a revision.")
    if any(a.org_id == principal.org_id for a in req.approvals):
        raise conflict("/approved", "Your organization has already decided on this revision.", code="already-decided")
    req.approvals.append(RevisionApproval(org_id=principal.org_id, user_id=principal.user_id, approved=approve, comment=comment))
    if not approve:
        req.status, req.decided_at = "refused", utcnow()
    elif parties(doc) <= {a.org_id for a in req.approvals if a.approved}:
        _apply_revision(db, principal, doc, req)
    db.flush()
    return req


def _apply_revision(db: Session, principal: Principal, doc: TransferDocument, req: RevisionRequest) -> None:
    """Apply an approved revision; a change of accepted mass corrects the ledger by reversal and
    a new posting, never by editing entries."""
    changes = {f: c["to"] for f, c in req.changes.items()}
    _check_revision(db, doc, changes)
    mass_changed = {"accepted_kg", "refused_kg"} & changes.keys()
    for f, v in changes.items():
        setattr(doc, f, v)
    if "waste_code" in changes:
        doc.hazardous = _waste(db, doc.waste_code).hazardous
    if mass_changed and doc.pending_txn_id:
        posted = [t for t in ledger_reports.transactions_by_reference(db, DOCUMENT_TYPE, doc.number)
                  if t.kind == "transfer_posted" and t.reversed_by_id is None]
        for t in posted:
            ledger.reverse(db, key=f"{doc.number}:revision:{req.id}:reverse", transaction_id=t.id, reason=req.reason, user_id=principal.user_id)
        ledger.post_transfer(db, key=f"{doc.number}:revision:{req.id}:accepted", pending_id=doc.pending_txn_id, accepted_kg=doc.accepted_kg,
                             refused_kg=doc.refused_kg, reference=_ref(doc), note=req.reason, user_id=principal.user_id)
        doc.state = next_state(State.RECEIVED, Action.ACCEPT, accepted_kg=doc.accepted_kg, refused_kg=doc.refused_kg).value \
            if doc.state != State.PROCESSED else doc.state
    req.status, req.decided_at = "applied", utcnow()
    _bump(db, doc, f"revision:{req.id}", principal)


def revisions(db: Session, doc: TransferDocument) -> list[RevisionRequest]:
    return list(db.scalars(select(RevisionRequest).where(RevisionRequest.document_id == doc.id).order_by(RevisionRequest.id)))


# ---------------------------------------------------------------- for telemetry matching

def carrier_legs(db: Session, t_from: datetime, t_to: datetime, vehicle_ids: list[int] | None = None):
    """The carrier legs taken over between t_from and t_to, for matching against vehicle tracks
    (telemetry calls this): the vehicle should have been at the consignor near pick-up and at
    the receiver near receipt. Legs after the first are not at the consignor, so only the first
    leg's pick-up is a consignor visit; the last leg's receipt is the receiver visit."""
    from qaldyq.telemetry.matching import Leg

    q = (select(TransferLeg, TransferDocument).join(TransferDocument, TransferLeg.document_id == TransferDocument.id)
         .where(TransferLeg.taken_over_at.is_not(None), TransferLeg.taken_over_at >= t_from, TransferLeg.taken_over_at <= t_to,
                TransferLeg.vehicle_id.is_not(None)))
    if vehicle_ids:
        q = q.where(TransferLeg.vehicle_id.in_(vehicle_ids))
    legs = []
    for leg, doc in db.execute(q.order_by(TransferLeg.taken_over_at)).all():
        last = leg.seq == len(doc.legs)
        legs.append(Leg(document=doc.number, vehicle_id=leg.vehicle_id, consignor_site_id=doc.consignor_site_id if leg.seq == 1 else None,
                        receiver_site_id=doc.receiver_site_id if last else None, pickup_at=leg.taken_over_at,
                        receipt_at=doc.received_at if last else None))
    return legs
