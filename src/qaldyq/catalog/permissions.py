"""Who may change the reference catalogue. Reading it, quoting a fee and computing a deadline
are public: the law is public, and anyone may check an amount without an account."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

PERMISSIONS = {
    # load and supersede reference tables (the authorized body; the administrator for the system)
    "catalog.write": {Role.ADMIN: Scope.ALL, Role.AUTHORITY: Scope.ALL},
}
