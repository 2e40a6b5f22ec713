"""Who may do what with payouts. Waste organizations claim for themselves; the operator keeps
contracts, reviews claims and pays; the authorized body and inspectors read."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

A, R, O = Scope.ALL, Scope.REGION, Scope.OWN

PERMISSIONS = {
    "payouts.read": {Role.ADMIN: A, Role.OPERATOR: A, Role.AUTHORITY: A, Role.INSPECTOR: R, Role.ORG_ADMIN: O, Role.ORG_USER: O},
    "payouts.claim": {Role.ADMIN: A, Role.ORG_ADMIN: O, Role.ORG_USER: O},
    "payouts.review": {Role.ADMIN: A, Role.OPERATOR: A},  # contracts, approval, registries, payment
}
