"""Registries: organizations, sites, vehicles, weighing instruments. (Being extended.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.errors import not_found
from qaldyq.registry.models import Organization


def get_organization(db: Session, org_id: int) -> Organization:
    org = db.get(Organization, org_id)
    if org is None:
        raise not_found("Organization {id} does not exist.", id=org_id)
    return org


def organization_by_bin(db: Session, bin_: str) -> Organization:
    org = db.scalar(select(Organization).where(Organization.bin == bin_))
    if org is None:
        raise not_found("No organization with BIN {bin}.", bin=bin_)
    return org
