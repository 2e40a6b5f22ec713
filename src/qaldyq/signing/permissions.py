"""Who may manage what in signing: everyone their own certificates; the trust store is public to
logged-in users and managed by the system administrator."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

EVERYONE_OWN = {role: Scope.OWN for role in Role}
EVERYONE_ALL = {role: Scope.ALL for role in Role}

PERMISSIONS = {
    "signing.own": EVERYONE_OWN,  # register, list and revoke one's own certificates
    "pki.read": EVERYONE_ALL,  # see the trusted certification authorities
    "pki.manage": {Role.ADMIN: Scope.ALL},  # add and remove trusted certification authorities
}
