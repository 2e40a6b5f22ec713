"""Who may see and decide control findings: the operator and the authorized body nationally,
inspectors in their region; organizations do not see the findings about them (inspection)."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

A, R = Scope.ALL, Scope.REGION

PERMISSIONS = {
    "control.read": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.INSPECTOR: R},
    "control.decide": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.INSPECTOR: R},
    "control.run": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A},
}
