"""The Order 690 procedure (points 3–9) as data: states, the transition table (state, event,
guard, next state, actor) and the deadlines D1–D12 of the digest's table 4.2.

`service.fire` is the only code that changes an application's state, and it does so only
through `TRANSITIONS`; `service.run_automatic` fires the outcomes the Rules give without anyone
acting (review stopped, mass from the reference book). Deadlines are computed from the days of
the recorded events on the catalogue's working-day calendar (`deadlines.compute`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qaldyq.core.i18n import N_


class Status(StrEnum):
    DRAFT = "draft"
    NOT_REVIEWED = "not_reviewed"  # submitted after D1 (point 3, last paragraph)
    SUBMITTED = "submitted"
    REGISTERED = "registered"  # incoming assignment number given by the authorized body
    WITH_OPERATOR = "with_operator"  # completeness and legibility check (point 6.1)
    INCOMPLETE = "incomplete"  # notice sent, waiting for the missing documents (point 6.2–6.3)
    STOPPED = "stopped"  # missing documents not supplied in 15 WD (point 6.3)
    UNDER_REVIEW = "under_review"  # substantive review (point 6.4)
    AWAITING_IMPORT_DOCS = "awaiting_import_docs"  # SRB data without mass (point 6.5)
    REPORT_SENT = "report_sent"  # Appendix 2 report with the authorized body (point 6.6)
    HEARING = "hearing"  # point 7 (APPC)
    CONFIRMED = "confirmed"  # point 8
    REFUSED = "refused"  # point 8, reasoned refusal
    APPEALED = "appealed"  # point 9 (APPC chapter 13)


STATUS_LABELS = {
    Status.DRAFT: N_("Draft"),
    Status.NOT_REVIEWED: N_("Not reviewed (late)"),
    Status.SUBMITTED: N_("Submitted"),
    Status.REGISTERED: N_("Registered"),
    Status.WITH_OPERATOR: N_("Completeness check"),
    Status.INCOMPLETE: N_("Missing documents requested"),
    Status.STOPPED: N_("Review stopped"),
    Status.UNDER_REVIEW: N_("Under review"),
    Status.AWAITING_IMPORT_DOCS: N_("Import documents requested"),
    Status.REPORT_SENT: N_("Operator's report sent"),
    Status.HEARING: N_("Hearing"),
    Status.CONFIRMED: N_("Fulfilment confirmed"),
    Status.REFUSED: N_("Refused with reasons"),
    Status.APPEALED: N_("Appealed"),
}


class Actor(StrEnum):
    APPLICANT = "applicant"
    AUTHORITY = "authority"
    SRB = "srb"  # state revenue bodies
    OPERATOR = "operator"
    SYSTEM = "system"  # automatic outcomes


ACTOR_LABELS = {
    Actor.APPLICANT: N_("Applicant"),
    Actor.AUTHORITY: N_("Authorized body"),
    Actor.SRB: N_("State revenue bodies"),
    Actor.OPERATOR: N_("EPR operator"),
    Actor.SYSTEM: N_("System"),
}

# The permission a user needs to act as each actor (permissions.py gives its roles and scope).
ACTOR_PERMISSION = {
    Actor.APPLICANT: "ownsystem.apply",
    Actor.AUTHORITY: "ownsystem.decide",
    Actor.SRB: "ownsystem.srb",
    Actor.OPERATOR: "ownsystem.review",
}

S = Status


@dataclass(frozen=True)
class Transition:
    state: Status
    event: str
    guard: str | None  # name of a function in service.GUARDS; the first row whose guard passes wins
    next: Status | None  # None: the event is recorded and the state does not change
    actor: Actor
    point: str  # the point of the Rules that gives the step


T = Transition
_SRB_OPEN = (S.REGISTERED, S.WITH_OPERATOR, S.INCOMPLETE, S.UNDER_REVIEW, S.AWAITING_IMPORT_DOCS)

TRANSITIONS: tuple[Transition, ...] = (
    T(S.DRAFT, "submit", "on_time", S.SUBMITTED, Actor.APPLICANT, "3"),
    T(S.DRAFT, "submit", "late", S.NOT_REVIEWED, Actor.APPLICANT, "3"),
    T(S.SUBMITTED, "register", "number_given", S.REGISTERED, Actor.AUTHORITY, "4; App. 2 field 4"),
    *(T(s, "request_srb", "srb_not_requested", None, Actor.AUTHORITY, "4.1") for s in _SRB_OPEN),
    *(T(s, "srb_answer", "srb_requested", None, Actor.SRB, "4") for s in _SRB_OPEN),
    *(T(s, "forward_srb", "srb_answered", None, Actor.AUTHORITY, "5") for s in _SRB_OPEN),
    T(S.REGISTERED, "forward", None, S.WITH_OPERATOR, Actor.AUTHORITY, "4.2"),
    T(S.WITH_OPERATOR, "request_missing", "reason_given", S.INCOMPLETE, Actor.OPERATOR, "6.2"),
    T(S.WITH_OPERATOR, "complete", "checklist_complete", S.UNDER_REVIEW, Actor.OPERATOR, "6.1"),
    T(S.INCOMPLETE, "supply_missing", "within_D6", S.WITH_OPERATOR, Actor.APPLICANT, "6.3"),
    T(S.INCOMPLETE, "stop", "after_D6", S.STOPPED, Actor.SYSTEM, "6.3"),
    T(S.STOPPED, "send_report", "conclusion_given", S.REPORT_SENT, Actor.OPERATOR, "6.3"),
    T(S.UNDER_REVIEW, "request_import_docs", "srb_without_mass", S.AWAITING_IMPORT_DOCS, Actor.OPERATOR, "6.5"),
    T(S.AWAITING_IMPORT_DOCS, "supply_import_docs", "within_D9", S.UNDER_REVIEW, Actor.APPLICANT, "6.5"),
    T(S.AWAITING_IMPORT_DOCS, "fallback_mass", "after_D9", S.UNDER_REVIEW, Actor.SYSTEM, "6.5"),
    T(S.UNDER_REVIEW, "fallback_mass", "import_docs_supplied", None, Actor.OPERATOR, "6.5"),
    T(S.UNDER_REVIEW, "send_report", "review_ready", S.REPORT_SENT, Actor.OPERATOR, "6.4, 6.6"),
    T(S.REPORT_SENT, "open_hearing", None, S.HEARING, Actor.AUTHORITY, "7"),
    T(S.REPORT_SENT, "confirm", "report_conforms", S.CONFIRMED, Actor.AUTHORITY, "8"),
    T(S.HEARING, "confirm", None, S.CONFIRMED, Actor.AUTHORITY, "8"),
    T(S.HEARING, "refuse", "reason_given", S.REFUSED, Actor.AUTHORITY, "8"),
    T(S.REFUSED, "appeal", "reason_given", S.APPEALED, Actor.APPLICANT, "9"),
)

EVENT_LABELS = {
    "submit": N_("Application submitted"),
    "register": N_("Registered with an incoming number"),
    "request_srb": N_("Request to the state revenue bodies"),
    "srb_answer": N_("Answer of the state revenue bodies"),
    "forward_srb": N_("State revenue data forwarded to the operator"),
    "forward": N_("Documents forwarded to the operator"),
    "request_missing": N_("Missing or illegible documents requested"),
    "complete": N_("Documents complete and legible"),
    "supply_missing": N_("Missing documents supplied"),
    "stop": N_("Review stopped: documents not supplied in time"),
    "request_import_docs": N_("Import documents requested"),
    "supply_import_docs": N_("Import documents supplied"),
    "fallback_mass": N_("Import mass calculated from the reference book"),
    "send_report": N_("Appendix 2 report sent to the authorized body"),
    "open_hearing": N_("Hearing opened"),
    "confirm": N_("Fulfilment of EPR confirmed"),
    "refuse": N_("Reasoned refusal"),
    "appeal": N_("Appeal filed"),
}

TERMINAL = frozenset({S.NOT_REVIEWED, S.CONFIRMED, S.APPEALED})
AUTOMATIC_EVENTS = ("stop", "fallback_mass")


def rows_for(state: Status, event: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.state == state and t.event == event]


def events_from(state: Status) -> list[str]:
    seen: list[str] = []
    for t in TRANSITIONS:
        if t.state == state and t.event not in seen and t.actor != Actor.SYSTEM:
            seen.append(t.event)
    return seen


# --- Deadlines D1–D12 (digest table 4.2) as data --------------------------------------------

@dataclass(frozen=True)
class DeadlineRule:
    code: str
    label: str
    actor: Actor
    kind: str  # "month_day": a fixed day of the month after the half-year; "cd" calendar days; "wd" working days
    n: int
    start: str | None  # the event (or "D<k>" deadline) whose day starts the clock
    met_by: tuple[str, ...]  # events that meet it (all of them must have happened)
    only_if: str | None = None  # the term applies only if this event happened
    unless: str | None = None  # ... and not if this one happened
    point: str = ""
    optional: bool = False  # a branch: shown only once its clock has started


DEADLINES: tuple[DeadlineRule, ...] = (
    DeadlineRule("D1", N_("Submit the application and documents"), Actor.APPLICANT, "month_day", 20, None, ("submit",), point="3"),
    DeadlineRule("D2", N_("Request the state revenue bodies; forward the documents to the operator"), Actor.AUTHORITY, "month_day", 30, None,
                 ("request_srb", "forward"), point="4"),
    DeadlineRule("D3", N_("Provide import data"), Actor.SRB, "cd", 30, "request_srb", ("srb_answer",), point="4"),
    DeadlineRule("D4", N_("Forward the state revenue data to the operator"), Actor.AUTHORITY, "wd", 3, "srb_answer", ("forward_srb",), point="5"),
    DeadlineRule("D5", N_("Check completeness and legibility"), Actor.OPERATOR, "wd", 20, "forward", ("complete|request_missing",), unless="stop", point="6.1"),
    DeadlineRule("D6", N_("Supply the missing or legible documents"), Actor.APPLICANT, "wd", 15, "request_missing", ("supply_missing",), point="6.3", optional=True),
    DeadlineRule("D7", N_("Report the stopped review"), Actor.OPERATOR, "wd", 3, "D6", ("send_report",), only_if="stop", point="6.3"),
    DeadlineRule("D8", N_("Review against the Requirements"), Actor.OPERATOR, "wd", 20, "forward_srb", ("send_report",), unless="stop", point="6.4"),
    DeadlineRule("D9", N_("Supply the import documents"), Actor.APPLICANT, "wd", 5, "request_import_docs", ("supply_import_docs",), point="6.5", optional=True),
    DeadlineRule("D10", N_("Review after the import documents"), Actor.OPERATOR, "wd", 10, "supply_import_docs", ("send_report",), point="6.5", optional=True),
    DeadlineRule("D11", N_("Send the Appendix 2 report"), Actor.OPERATOR, "wd", 5, "D8|D10", ("send_report",), unless="stop", point="6.6"),
    DeadlineRule("D12", N_("Final decision to the applicant and the operator"), Actor.AUTHORITY, "wd", 10, "send_report", ("confirm|refuse",), point="8"),
)
