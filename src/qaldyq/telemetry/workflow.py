"""The lifecycle of a suspected-dumping alert, as data: (state, event) -> next state, and
whether the event needs a reason. Who may fire an event: permission telemetry.alerts.manage."""

from __future__ import annotations

from qaldyq.core.i18n import N_

STATES = {
    "open": N_("Open"),
    "acknowledged": N_("Acknowledged"),
    "dismissed": N_("Dismissed"),
}

EVENTS = {
    "acknowledge": N_("Acknowledge"),
    "dismiss": N_("Dismiss"),
}

# (state, event): (next state, reason required)
TRANSITIONS: dict[tuple[str, str], tuple[str, bool]] = {
    ("open", "acknowledge"): ("acknowledged", False),
    ("open", "dismiss"): ("dismissed", True),
    ("acknowledged", "dismiss"): ("dismissed", True),
}


def allowed_events(state: str) -> list[str]:
    return [e for (s, e) in TRANSITIONS if s == state]
