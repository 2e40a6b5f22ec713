"""Who may read and write the ledger. Reading follows the usual reach (own organization; the
authority and the operator everything; akimats and inspectors their region). Writing is for the
organization whose site performs the operation; transfers are posted by the transfers domain."""

from __future__ import annotations

from qaldyq.core.roles import READ_ACROSS, Role, Scope

PERMISSIONS = {
    "ledger.read": dict(READ_ACROSS),
    "ledger.write": {Role.ORG_ADMIN: Scope.OWN, Role.ORG_USER: Scope.OWN},
    "ledger.verify": {Role.ADMIN: Scope.ALL, Role.AUTHORITY: Scope.ALL},
}
