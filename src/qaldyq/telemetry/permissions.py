"""Who may do what with telemetry (permission -> role -> scope).

Carriers post positions of their own vehicles and see their own tracks; the operator (the
National Center, which tracks waste vehicles) may post for any vehicle and sees all; akimats and
inspectors see their region; alerts about suspected dumping go to the akimat and inspectors of
the region where the stop happened (and to the operator and the authorized body), not to the
carrier they concern."""

from __future__ import annotations

from qaldyq.core.roles import READ_ACROSS, Role, Scope

A, R, O = Scope.ALL, Scope.REGION, Scope.OWN

PERMISSIONS = {
    "telemetry.ingest": {Role.ORG_ADMIN: O, Role.ORG_USER: O, Role.OPERATOR: A},
    "telemetry.read": dict(READ_ACROSS),
    "telemetry.alerts.read": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.AKIMAT: R, Role.INSPECTOR: R},
    "telemetry.alerts.manage": {Role.AUTHORITY: A, Role.OPERATOR: A, Role.AKIMAT: R, Role.INSPECTOR: R},
}
