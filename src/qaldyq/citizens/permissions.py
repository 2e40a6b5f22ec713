"""Who may do what with citizen reports. Akimats and inspectors see the reports of their region;
the authorized body sees all (oversight, read only); the administrator everything.

Reporting, the reporter's private page and the public map need no account: those endpoints
declare `Depends(public)` (see `PUBLIC`) instead of a permission."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

A, R = Scope.ALL, Scope.REGION

PERMISSIONS = {
    "citizens.read": {Role.ADMIN: A, Role.AUTHORITY: A, Role.AKIMAT: R, Role.INSPECTOR: R},
    # confirm, forward or reject a report (the territorial ecology inspectors may also verify)
    "citizens.verify": {Role.ADMIN: A, Role.AKIMAT: R, Role.INSPECTOR: R},
    # schedule and confirm the cleanup: the akimat organizes municipal waste management
    "citizens.cleanup": {Role.ADMIN: A, Role.AKIMAT: R},
}

# Endpoints open to anyone, by design (documented in docs/citizens.md).
PUBLIC = ("submit a report", "reporter's private page by token", "public map and open data", "proof-of-work challenge")
