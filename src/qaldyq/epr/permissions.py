"""Who may do what on the operator route, as data: producers and importers their OWN data; the
operator ALL for review, payments, certificates and customs; the ministry ALL read."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

A, O = Scope.ALL, Scope.OWN

PERMISSIONS = {
    "epr.read": {Role.ORG_ADMIN: O, Role.ORG_USER: O, Role.OPERATOR: A, Role.AUTHORITY: A, Role.ADMIN: A},
    "epr.register": {Role.ORG_ADMIN: O, Role.ORG_USER: O, Role.OPERATOR: A},  # choose the route per group and year
    "epr.declare": {Role.ORG_ADMIN: O, Role.ORG_USER: O},  # register a route, submit declarations
    "epr.review": {Role.OPERATOR: A},  # accept declarations, payments, certificates, customs feed
    "epr.stats": {Role.AUTHORITY: A, Role.OPERATOR: A, Role.ADMIN: A},
}
