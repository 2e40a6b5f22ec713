"""The lifecycle of a waste transfer document, as data.

TRANSITIONS: (state, action) -> next state, the party that fires it, and the guard that must
hold. Every action except `cancel` is a signing action: it carries an X.509 signature over the
canonical JSON of the document version and the action. FIELD_RULES: for each field, the action
from which it is required and the action from which it is sealed (read-only), after
Trackdéchets' rules table. The status diagram in docs/transfers.md and the `allowed_actions` of
the API are generated from these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qaldyq.core.i18n import N_


class State(StrEnum):
    DRAFT = "draft"
    SIGNED_BY_CONSIGNOR = "signed_by_consignor"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REFUSED = "refused"
    PROCESSED = "processed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    SIGN_CONSIGNOR = "sign_consignor"  # the consignor seals the declaration
    SIGN_CARRIER = "sign_carrier"  # the carrier of the next leg takes the waste over
    RECEIVE = "receive"  # the receiver weighs the load on a verified instrument
    ACCEPT = "accept"  # the receiver accepts all, part or none of the received mass
    PROCESS = "process"  # the receiver declares the operation done
    CANCEL = "cancel"  # the consignor withdraws the document before pick-up


class Party(StrEnum):
    CONSIGNOR = "consignor"
    CARRIER = "carrier"  # the carrier of the leg whose turn it is
    RECEIVER = "receiver"


STATE_LABELS = {
    State.DRAFT: N_("Draft"),
    State.SIGNED_BY_CONSIGNOR: N_("Signed by the consignor"),
    State.IN_TRANSIT: N_("In transit"),
    State.RECEIVED: N_("Received"),
    State.ACCEPTED: N_("Accepted"),
    State.PARTIALLY_ACCEPTED: N_("Partially accepted"),
    State.REFUSED: N_("Refused"),
    State.PROCESSED: N_("Processed"),
    State.CANCELLED: N_("Cancelled"),
}

ACTION_LABELS = {
    Action.SIGN_CONSIGNOR: N_("Sign as consignor"),
    Action.SIGN_CARRIER: N_("Take over as carrier"),
    Action.RECEIVE: N_("Sign the receipt"),
    Action.ACCEPT: N_("Accept or refuse"),
    Action.PROCESS: N_("Declare the operation done"),
    Action.CANCEL: N_("Cancel"),
}


@dataclass(frozen=True)
class Transition:
    state: State
    action: Action
    party: Party
    guard: str  # name of a guard in service.GUARDS; "" for none
    signed: bool = True


# The next state of ACCEPT depends on the outcome and of SIGN_CARRIER on whether legs remain;
# `next_state()` resolves those two.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DRAFT, Action.SIGN_CONSIGNOR, Party.CONSIGNOR, "complete_for_consignor"),
    Transition(State.DRAFT, Action.CANCEL, Party.CONSIGNOR, "", signed=False),
    Transition(State.SIGNED_BY_CONSIGNOR, Action.SIGN_CARRIER, Party.CARRIER, "carrier_leg_ready"),
    Transition(State.SIGNED_BY_CONSIGNOR, Action.CANCEL, Party.CONSIGNOR, "", signed=False),
    Transition(State.IN_TRANSIT, Action.SIGN_CARRIER, Party.CARRIER, "carrier_leg_ready"),
    Transition(State.IN_TRANSIT, Action.RECEIVE, Party.RECEIVER, "all_legs_signed"),
    Transition(State.RECEIVED, Action.ACCEPT, Party.RECEIVER, "acceptance_consistent"),
    Transition(State.ACCEPTED, Action.PROCESS, Party.RECEIVER, ""),
    Transition(State.PARTIALLY_ACCEPTED, Action.PROCESS, Party.RECEIVER, ""),
)

FINAL_STATES = frozenset({State.REFUSED, State.PROCESSED, State.CANCELLED})
# After acceptance, the document changes only through a revision request every party approves.
REVISABLE_STATES = frozenset({State.ACCEPTED, State.PARTIALLY_ACCEPTED, State.PROCESSED, State.REFUSED})


def transition(state: State, action: Action) -> Transition | None:
    for t in TRANSITIONS:
        if t.state == state and t.action == action:
            return t
    return None


def next_state(state: State, action: Action, *, legs_left: int = 0, accepted_kg: int = 0, refused_kg: int = 0) -> State:
    if action is Action.SIGN_CONSIGNOR:
        return State.SIGNED_BY_CONSIGNOR
    if action is Action.SIGN_CARRIER:
        return State.IN_TRANSIT
    if action is Action.RECEIVE:
        return State.RECEIVED
    if action is Action.ACCEPT:
        if accepted_kg == 0:
            return State.REFUSED
        return State.PARTIALLY_ACCEPTED if refused_kg > 0 else State.ACCEPTED
    if action is Action.PROCESS:
        return State.PROCESSED
    if action is Action.CANCEL:
        return State.CANCELLED
    raise ValueError(action)


@dataclass(frozen=True)
class FieldRule:
    field: str
    required_from: Action | None  # must be present for this action and every later one
    sealed_from: Action  # read-only once this action is signed


FIELD_RULES: tuple[FieldRule, ...] = (
    FieldRule("consignor_site_id", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("receiver_site_id", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("waste_code", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("description", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("physical_form", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("hazard_properties", None, Action.SIGN_CONSIGNOR),
    FieldRule("containers", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("declared_mass_kg", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("mass_basis", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("planned_operation", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("legs.carrier_org_id", Action.SIGN_CONSIGNOR, Action.SIGN_CONSIGNOR),
    FieldRule("legs.vehicle_id", Action.SIGN_CARRIER, Action.SIGN_CARRIER),
    FieldRule("weighing", Action.RECEIVE, Action.ACCEPT),
    FieldRule("accepted_kg", Action.ACCEPT, Action.ACCEPT),
    FieldRule("refusal_reason", None, Action.ACCEPT),
    FieldRule("operation_done", Action.PROCESS, Action.PROCESS),
)

ORDER = (Action.SIGN_CONSIGNOR, Action.SIGN_CARRIER, Action.RECEIVE, Action.ACCEPT, Action.PROCESS)


def sealed_fields(done: set[Action]) -> set[str]:
    return {r.field for r in FIELD_RULES if r.sealed_from in done}


def required_fields(action: Action) -> list[str]:
    upto = ORDER[: ORDER.index(action) + 1] if action in ORDER else ()
    return [r.field for r in FIELD_RULES if r.required_from in upto]


def mermaid() -> str:
    """The status diagram for the docs."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for t in TRANSITIONS:
        targets = {State.ACCEPTED, State.PARTIALLY_ACCEPTED, State.REFUSED} if t.action is Action.ACCEPT else {next_state(t.state, t.action)}
        for target in sorted(targets):
            lines.append(f"    {t.state.value} --> {target.value}: {t.action.value} ({t.party.value})")
    lines += [f"    {s.value} --> [*]" for s in sorted(FINAL_STATES)]
    return "\n".join(lines)


# Which of the registry's permitted operations (registry.vocab.OPERATIONS) allow each R/D
# operation of a transfer document (Basel Convention Annex IV codes). A site may also list the
# R/D codes themselves. D6, D7 and D11 (release to water, to the sea, incineration at sea) are
# never permitted.
_RECOVERY = {"recycling", "treatment", "dismantling"}
OPERATION_PERMITS: dict[str, frozenset[str]] = {
    "R1": frozenset({"energy_recovery"}),
    **{f"R{i}": frozenset(_RECOVERY) for i in range(2, 12)},
    "R12": frozenset({"sorting", "treatment", "dismantling"}),
    "R13": frozenset({"storage", "accumulation", "collection"}),
    "D1": frozenset({"landfilling"}), "D2": frozenset({"landfilling"}), "D3": frozenset({"landfilling"}),
    "D4": frozenset({"landfilling"}), "D5": frozenset({"landfilling"}), "D12": frozenset({"landfilling"}),
    "D8": frozenset({"neutralization", "treatment"}), "D9": frozenset({"neutralization", "treatment"}),
    "D10": frozenset({"incineration"}),
    "D13": frozenset({"treatment", "sorting"}), "D14": frozenset({"treatment", "sorting"}),
    "D15": frozenset({"storage", "accumulation", "collection"}),
}


def operation_permitted(site_operations, operation: str) -> bool:
    ops = set(site_operations or ())
    return operation in ops or bool(ops & OPERATION_PERMITS.get(operation, frozenset()))
