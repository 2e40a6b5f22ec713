"""Who may read and change the registries (see docs/registry.md, "Permissions").

- registry.read: the authorized body, the EPR operator and the administrator see every
  organization; an akimat or an inspector sees the organizations registered in its region or having
  a site there (and the sites located in its region); everyone else sees their own organization.
- registry.write: the administrator and the authorized body change any record; an organization's
  administrator changes their own organization's sites, vehicles, weighing instruments and
  certificates, and its contact fields (address, phone, e-mail), nothing else.
- registry.register: registering a new organization (its BIN, names, roles) is for the
  administrator, the authorized body and the EPR operator, which admits organizations to the system.
"""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

A, R, O = Scope.ALL, Scope.REGION, Scope.OWN

PERMISSIONS: dict[str, dict[Role, Scope]] = {
    "registry.read": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.AKIMAT: R, Role.INSPECTOR: R, Role.ORG_ADMIN: O, Role.ORG_USER: O},
    "registry.write": {Role.ADMIN: A, Role.AUTHORITY: A, Role.ORG_ADMIN: O},
    "registry.register": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A},
}

# An OWN-scoped writer may change only these fields of their own organization.
OWN_ORGANIZATION_FIELDS = frozenset({"address", "phone", "email"})

# Only these user roles may give an organization a state role (EPR operator, authorized body,
# akimat): those roles mark state bodies in the registries and their exports, so the operator that
# registers market participants cannot grant them.
STATE_ROLE_GRANTORS = frozenset({Role.ADMIN, Role.AUTHORITY})
