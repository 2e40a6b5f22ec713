from qaldyq.core.roles import Role, Scope

A, R, O = Scope.ALL, Scope.REGION, Scope.OWN

# Parties see their documents; regulators see all (or their region); the EPR operator reads all,
# because payouts are built from transfers. Only organizations that are party to a document act
# on it (OWN): no role signs for another organization.
PERMISSIONS = {
    "transfers.read": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.AKIMAT: R, Role.INSPECTOR: R, Role.ORG_ADMIN: O, Role.ORG_USER: O},
    "transfers.write": {Role.ORG_ADMIN: O, Role.ORG_USER: O},
}
