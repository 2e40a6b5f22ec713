"""Who may act in the own-system confirmation. Each workflow actor maps to one permission
(`workflow.ACTOR_PERMISSION`); the applicant sees only its own applications.

The state revenue bodies have no accounts in Qaldyq: their answer is recorded by the authorized
body (or imported) under `ownsystem.srb` until the customs feed is wired in."""

from __future__ import annotations

from qaldyq.core.roles import Role, Scope

A, O = Scope.ALL, Scope.OWN

PERMISSIONS = {
    "ownsystem.read": {Role.ADMIN: A, Role.AUTHORITY: A, Role.OPERATOR: A, Role.ORG_ADMIN: O, Role.ORG_USER: O},
    # prepare, submit, supply missing/import documents, appeal (the producer or importer itself)
    "ownsystem.apply": {Role.ADMIN: A, Role.ORG_ADMIN: O, Role.ORG_USER: O},
    # register, request the state revenue bodies, forward, hearing, final decision
    "ownsystem.decide": {Role.ADMIN: A, Role.AUTHORITY: A},
    # the state revenue bodies' answer, recorded by the authorized body
    "ownsystem.srb": {Role.ADMIN: A, Role.AUTHORITY: A},
    # completeness check, notices, review, the Appendix 2 report
    "ownsystem.review": {Role.ADMIN: A, Role.OPERATOR: A},
}
