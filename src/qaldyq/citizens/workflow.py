"""The lifecycle of a citizen report as a table: state, event, guard, next state, and the
permission that may fire it (its scope in `permissions.py` limits it to the region's reports).

The API's allowed-actions list, the moderation buttons and the status diagram in
docs/citizens.md are all generated from `TRANSITIONS`; nothing else decides what may happen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from qaldyq.core.errors import Problem, invalid
from qaldyq.core.i18n import N_
from qaldyq.registry.regions import REGION_CODES


class Status(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    SCHEDULED = "cleanup_scheduled"
    CLEANED = "cleaned"
    REJECTED = "rejected"


STATUS_LABELS = {
    Status.RECEIVED: N_("Received"),
    Status.VERIFIED: N_("Verified"),
    Status.SCHEDULED: N_("Cleanup scheduled"),
    Status.CLEANED: N_("Cleaned"),
    Status.REJECTED: N_("Rejected"),
}
STATUS_BADGE = {Status.RECEIVED: "", Status.VERIFIED: "warn", Status.SCHEDULED: "warn", Status.CLEANED: "ok", Status.REJECTED: "bad"}
# The happy path, drawn as steps on the reporter's page.
MAIN_PATH = (Status.RECEIVED, Status.VERIFIED, Status.SCHEDULED, Status.CLEANED)
OPEN_STATES = frozenset({Status.RECEIVED, Status.VERIFIED, Status.SCHEDULED})
# Photos become public once an official has looked at the report and confirmed it.
PHOTO_PUBLIC_STATES = frozenset({Status.VERIFIED, Status.SCHEDULED, Status.CLEANED})
# Rejected reports (duplicates, not a violation, spam) stay off the public map.
MAP_STATES = frozenset({Status.RECEIVED, Status.VERIFIED, Status.SCHEDULED, Status.CLEANED})

# Why a report was rejected, as data: the code is published in aggregate, the text only to the reporter.
REJECT_REASONS = {
    "duplicate": N_("Duplicate of another report"),
    "not_a_violation": N_("Not a violation"),
    "no_waste_found": N_("No waste found at the location"),
    "not_public_land": N_("Private property: referred to the owner"),
    "insufficient_information": N_("Not enough information to find the place"),
    "abusive": N_("Abusive or unrelated content"),
    "other": N_("Other reason"),
}

MAX_SCHEDULE_DAYS = 366


@dataclass(frozen=True)
class EventInput:
    """What a moderator sends with an event; each guard checks the fields its event needs."""

    note: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    scheduled_for: date | None = None
    region_kato: str | None = None


Guard = Callable[["object", EventInput, date], None]


def reason_given(report, inp: EventInput, today: date) -> None:
    if not inp.reason_code:
        raise invalid("/reason_code", "Choose the reason for rejection.", code="required")
    if inp.reason_code not in REJECT_REASONS:
        raise invalid("/reason_code", "Unknown reason {value}.", code="unknown-reason", value=inp.reason_code)
    if len((inp.reason or "").strip()) < 10:
        raise invalid("/reason", "Explain the rejection to the reporter in at least {n} characters.", code="required", n=10)


def date_ahead(report, inp: EventInput, today: date) -> None:
    if inp.scheduled_for is None:
        raise invalid("/scheduled_for", "Give the date of the cleanup.", code="required")
    if inp.scheduled_for < today:
        raise invalid("/scheduled_for", "The cleanup date {value} is in the past.", code="date-in-past", value=inp.scheduled_for.isoformat())
    if inp.scheduled_for > today + timedelta(days=MAX_SCHEDULE_DAYS):
        raise invalid("/scheduled_for", "The cleanup date must be within a year.", code="date-too-far")


def other_region(report, inp: EventInput, today: date) -> None:
    if not inp.region_kato:
        raise invalid("/region_kato", "Choose the region.", code="required")
    if inp.region_kato not in REGION_CODES:
        raise invalid("/region_kato", "Unknown region {value}.", code="unknown-region", value=inp.region_kato)
    if inp.region_kato == report.region_kato:
        raise invalid("/region_kato", "The report is already in this region.", code="same-region")


@dataclass(frozen=True)
class Transition:
    state: Status
    event: str
    next: Status
    permission: str
    label: str
    guard: Guard | None = None
    fields: tuple[str, ...] = ("note",)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Status.RECEIVED, "verify", Status.VERIFIED, "citizens.verify", N_("Confirm the violation")),
    Transition(Status.RECEIVED, "forward", Status.RECEIVED, "citizens.verify", N_("Forward to another region"), other_region, ("region_kato", "note")),
    Transition(Status.RECEIVED, "reject", Status.REJECTED, "citizens.verify", N_("Reject"), reason_given, ("reason_code", "reason")),
    Transition(Status.VERIFIED, "schedule", Status.SCHEDULED, "citizens.cleanup", N_("Schedule the cleanup"), date_ahead, ("scheduled_for", "note")),
    Transition(Status.VERIFIED, "reject", Status.REJECTED, "citizens.verify", N_("Reject"), reason_given, ("reason_code", "reason")),
    Transition(Status.SCHEDULED, "reschedule", Status.SCHEDULED, "citizens.cleanup", N_("Change the cleanup date"), date_ahead, ("scheduled_for", "note")),
    Transition(Status.SCHEDULED, "clean", Status.CLEANED, "citizens.cleanup", N_("Mark as cleaned"), None, ("photo", "note")),
)

EVENTS = frozenset(t.event for t in TRANSITIONS)
# The submission itself is the first event of every history.
SUBMIT_EVENT = "submit"
EVENT_LABELS = {SUBMIT_EVENT: N_("Report received"), **{t.event: t.label for t in TRANSITIONS}}


def transition(state: str, event: str) -> Transition | None:
    return next((t for t in TRANSITIONS if t.state == state and t.event == event), None)


def from_state(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.state == state]


def check(report, event: str, inp: EventInput, today: date) -> Transition:
    """The transition for `event` from the report's state, with its guard satisfied."""
    t = transition(report.status, event)
    if t is None:
        if event not in EVENTS:
            raise invalid("/event", "Unknown action {value}.", code="unknown-event", value=event)
        raise Problem(409, "wrong-state", "The request conflicts with the current state.",
                      "This action is not possible while the report is {state}.", state=report.status)
    if t.guard is not None:
        t.guard(report, inp, today)
    return t


def mermaid() -> str:
    """The status diagram for the documentation, generated from the table."""
    lines = ["stateDiagram-v2", f"    [*] --> {Status.RECEIVED.value}: submit"]
    for t in TRANSITIONS:
        guard = f" [{t.guard.__name__}]" if t.guard else ""
        lines.append(f"    {t.state.value} --> {t.next.value}: {t.event}{guard} ({t.permission})")
    lines += [f"    {Status.CLEANED.value} --> [*]", f"    {Status.REJECTED.value} --> [*]"]
    return "\n".join(lines)
