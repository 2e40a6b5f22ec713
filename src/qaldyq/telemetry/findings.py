"""Findings for the control engine, as plain records (kind, severity, evidence), so the
control domain can store and score them without knowing telemetry's tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from qaldyq.core.i18n import N_
from qaldyq.telemetry.matching import MatchResult

KINDS = {
    "suspected_dumping": N_("Suspected illegal dumping"),
    "document_without_trip": N_("Transfer document with no matching trip"),
    "landfill_trip_without_document": N_("Trip to a landfill with no transfer document"),
    "signal_gap": N_("Signal lost while moving"),
}
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Finding:
    kind: str  # a key of KINDS
    severity: str  # low, medium, high
    vehicle_id: object
    at: datetime  # when it happened (start)
    subject: str | None = None  # a document number or an alert number
    evidence: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "vehicle_id": self.vehicle_id, "at": self.at.isoformat(),
                "subject": self.subject, "evidence": self.evidence}


def from_matching(result: MatchResult) -> list[Finding]:
    out = []
    for r in result.unmatched:
        leg = r.leg
        out.append(Finding("document_without_trip", "high" if r.reason in ("not_at_consignor", "not_at_receiver") else "medium",
                           leg.vehicle_id, leg.pickup_at, leg.document, {
                               "reason": r.reason, "consignor_site_id": leg.consignor_site_id, "receiver_site_id": leg.receiver_site_id,
                               "pickup_at": leg.pickup_at.isoformat(), "receipt_at": leg.receipt_at.isoformat() if leg.receipt_at else None,
                               "at_consignor": [t.isoformat() for t in r.at_consignor] if r.at_consignor else None,
                               "at_receiver": [t.isoformat() for t in r.at_receiver] if r.at_receiver else None,
                           }))
    for v in result.landfill_without_document:
        out.append(Finding("landfill_trip_without_document", "medium", v.vehicle_id, v.arrived, None, {
            "site_id": v.site_id, "arrived": v.arrived.isoformat(), "left": v.left.isoformat(),
            "minutes": round((v.left - v.arrived).total_seconds() / 60, 1)}))
    return out
