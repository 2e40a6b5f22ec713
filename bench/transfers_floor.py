"""The work a fully signed lifecycle needs in Python whatever stores it: the same functions the
bulk path calls (item validation and fingerprint, version snapshot and hash, signing payload,
signature check, audit record hash), run on one document held in memory, with no database,
session, flush or business look-up. Its time per document bounds what any implementation of this design reaches
on one core; bench/transfers.py prints it next to the measured runs.

    python -m bench.transfers_floor --key rsa
"""

from __future__ import annotations

import argparse
import hashlib
import time
from datetime import timedelta

from qaldyq.core.audit import record_hash
from qaldyq.core.database import utcnow
from qaldyq.signing.crypto import canonical, verify_signature
from qaldyq.transfers import bulk, service
from qaldyq.transfers.models import TransferDocument, TransferLeg, TransferVersion
from qaldyq.transfers.workflow import Action
from tests.signing.pki import new_key, sign_b64

SIGNED = (Action.SIGN_CONSIGNOR, Action.SIGN_CARRIER, Action.RECEIVE, Action.ACCEPT)


def _document() -> TransferDocument:
    now = utcnow()
    return TransferDocument(
        number="TD-2026-000123", state="draft", version=1, consignor_org_id=12, consignor_site_id=34, receiver_org_id=56, receiver_site_id=78,
        waste_code="20 03 01", hazardous=False, description="ТБО, несортированные", physical_form="solid", hazard_properties=[],
        containers=[{"type": "container", "count": 3}], declared_mass_kg=4500, mass_basis="estimated", planned_operation="D1",
        picked_up_at=now - timedelta(hours=2), instrument_id=3, gross_kg=15_600, tare_kg=11_000, net_kg=4600, received_at=now,
        legs=[TransferLeg(seq=1, carrier_org_id=9, vehicle_id=5, taken_over_at=now - timedelta(hours=2))])


def _items(number: str) -> list[dict]:
    now = utcnow().isoformat()
    return [
        {"idempotency_key": "bench-create-1", "op": "create", "data": {
            "consignor_site_id": 34, "receiver_site_id": 78, "legs": [{"carrier_org_id": 9}], "waste_code": "20 03 01", "description": "ТБО",
            "physical_form": "solid", "containers": [{"type": "container", "count": 3}], "declared_mass_kg": 4500, "mass_basis": "estimated",
            "planned_operation": "D1"}},
        {"idempotency_key": "bench-vehicle-1", "op": "vehicle", "number": number, "data": {"vehicle_id": 5, "expected_version": 2}},
        {"idempotency_key": "bench-weigh-1", "op": "weighing", "number": number,
         "data": {"instrument_id": 3, "gross_kg": 15_600, "tare_kg": 11_000, "weighed_at": now, "expected_version": 4}},
        {"idempotency_key": "bench-acc-1", "op": "acceptance", "number": number,
         "data": {"accepted_kg": 4600, "refused_kg": 0, "refusal_reason": None, "expected_version": 6}},
    ] + [{"idempotency_key": f"bench-sign-{a.value}-1", "op": "sign", "number": number, "data": {"action": a.value, "sha256": "a" * 64, "signature": "QUJD" * 90}}
         for a in SIGNED]


def seconds_per_document(key_kind: str = "rsa", documents: int = 300) -> float:
    doc, key = _document(), new_key("rsa" if key_kind == "rsa" else "ec")
    public = key.public_key()
    items = _items(doc.number)
    version = TransferVersion(version=1, snapshot=service.snapshot(doc), sha256="b" * 64)
    signatures = {a: sign_b64(key, service.signing_payload(doc, version, a)) for a in SIGNED}
    import base64
    raw = {a: base64.b64decode(s) for a, s in signatures.items()}
    now = utcnow()
    t0 = time.perf_counter()
    for _ in range(documents):
        for i, item in enumerate(items):  # each bulk item: envelope and body validated, fingerprint
            checked = bulk._check(i, item)
            assert not isinstance(checked, Exception), checked
        for v in range(8):  # each change: a version snapshot and its hash, and an audit record
            snap = service.snapshot(doc)
            hashlib.sha256(canonical(snap)).hexdigest()
            record_hash({"seq": v, "at": now, "actor_user_id": 1, "actor_org_id": 2, "actor_label": "bench", "action": "update",
                         "entity": "transfer_documents", "entity_id": "1", "before": snap, "after": snap, "prev_hash": "c" * 64})
        for a in SIGNED:  # each signature: the payload for the signing request and again for the check, then the check
            service.signing_payload(doc, version, a)
            payload = service.signing_payload(doc, version, a)
            if not verify_signature(public, payload, raw[a]):
                raise SystemExit("signature did not verify")
    return (time.perf_counter() - t0) / documents


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--key", choices=("rsa", "p256"), default="rsa")
    ap.add_argument("--documents", type=int, default=500)
    args = ap.parse_args()
    per = seconds_per_document(args.key, args.documents)
    print(f"{per * 1e3:.2f} ms of Python per fully signed document ({args.key}): at most {1 / per:,.0f} documents/s on one core before any storage")


if __name__ == "__main__":
    main()
