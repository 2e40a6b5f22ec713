"""Roles of users and what each may do, as data.

A user belongs to one organization and holds one role. A permission maps each role that has it
to a scope: ALL organizations, the organizations of the user's REGION, or the user's OWN
organization. Domains add their permissions in `<domain>/permissions.py`.
"""

from __future__ import annotations

from functools import cache

from enum import StrEnum

from qaldyq.core.i18n import N_


class Scope(StrEnum):
    ALL = "all"
    REGION = "region"
    OWN = "own"


class Role(StrEnum):
    ADMIN = "admin"  # system administrator
    AUTHORITY = "authority"  # Ministry of Ecology, the authorized body
    OPERATOR = "operator"  # EPR operator (National Center for Waste Management)
    AKIMAT = "akimat"  # local executive body of a region
    INSPECTOR = "inspector"  # territorial ecology department of a region
    ORG_ADMIN = "org_admin"  # manages its own organization's data and users
    ORG_USER = "org_user"  # works with its own organization's documents


ROLE_LABELS = {
    Role.ADMIN: N_("System administrator"),
    Role.AUTHORITY: N_("Authorized body"),
    Role.OPERATOR: N_("EPR operator"),
    Role.AKIMAT: N_("Akimat"),
    Role.INSPECTOR: N_("Inspector"),
    Role.ORG_ADMIN: N_("Organization administrator"),
    Role.ORG_USER: N_("Organization user"),
}

A, R, O = Scope.ALL, Scope.REGION, Scope.OWN

READ_ACROSS = {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.AKIMAT: R, Role.INSPECTOR: R, Role.ORG_ADMIN: O, Role.ORG_USER: O}

CORE_PERMISSIONS: dict[str, dict[Role, Scope]] = {
    "users.read": {Role.ADMIN: A, Role.ORG_ADMIN: O},
    "users.manage": {Role.ADMIN: A, Role.ORG_ADMIN: O},
    "audit.read": {Role.ADMIN: A, Role.AUTHORITY: A},
}


@cache
def all_permissions() -> dict[str, dict[Role, Scope]]:
    """Every domain's permission table (the modules do not change while the process runs; every
    request asks, so it is built once)."""
    from qaldyq.domains import modules

    table = dict(CORE_PERMISSIONS)
    for mod in modules("permissions"):
        table.update(getattr(mod, "PERMISSIONS", {}))
    return table
