"""Who may see and feed the cadastre. Reading follows the usual reach (the ministry and the
operator everything, akimats and inspectors their region, organizations their own sites).
Indicator inputs are entered by the ministry (national) and akimats (their region); inventory
reports by the generator itself or the ministry. Open data needs no account (`PUBLIC`)."""

from __future__ import annotations

from qaldyq.core.roles import READ_ACROSS, Role, Scope

A, R, O = Scope.ALL, Scope.REGION, Scope.OWN

PERMISSIONS = {
    "cadastre.read": dict(READ_ACROSS),
    "cadastre.inputs": {Role.ADMIN: A, Role.AUTHORITY: A, Role.AKIMAT: R},
    "cadastre.inventory": {Role.ADMIN: A, Role.AUTHORITY: A, Role.ORG_ADMIN: O, Role.ORG_USER: O},
}

PUBLIC = ("open data page and files", "format descriptions")
