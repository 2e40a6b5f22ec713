"""Read-only look-ups in the registries that the citizen channel needs: the akimat of a region
(organizations holding the role `akimat`) and the active separate-collection points (sites of type
`collection_point`). The registry service offers no such queries yet; when it does, these two
functions should call it instead of reading its tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.registry.models import Organization, OrganizationRole, Site

AKIMAT_ROLE = "akimat"
COLLECTION_POINT = "collection_point"


@dataclass(frozen=True)
class OrgRef:
    id: int
    name_kk: str
    name_ru: str
    region_kato: str

    def name(self, locale: str) -> str:
        return self.name_kk if locale == "kk" else self.name_ru


@dataclass(frozen=True)
class PointRef:
    id: int
    name: str
    region_kato: str
    settlement: str
    address: str | None
    lat: float
    lon: float
    operator: str


def akimat_of(db: Session, region_kato: str) -> OrgRef | None:
    """The active akimat organization of the region (the lowest id if a region has several)."""
    org = db.scalar(
        select(Organization)
        .join(OrganizationRole, OrganizationRole.organization_id == Organization.id)
        .where(OrganizationRole.role == AKIMAT_ROLE, Organization.region_kato == region_kato, Organization.status == "active")
        .order_by(Organization.id).limit(1)
    )
    return OrgRef(org.id, org.name_kk, org.name_ru, org.region_kato) if org else None


def organization_ref(db: Session, org_id: int | None) -> OrgRef | None:
    org = db.get(Organization, org_id) if org_id else None
    return OrgRef(org.id, org.name_kk, org.name_ru, org.region_kato) if org else None


def collection_points(db: Session, region_kato: str | None = None, limit: int = 5000) -> list[PointRef]:
    q = select(Site).where(Site.site_type == COLLECTION_POINT, Site.status == "active").order_by(Site.id).limit(limit)
    if region_kato:
        q = q.where(Site.region_kato == region_kato)
    return [PointRef(s.id, s.name, s.region_kato, s.settlement, s.address, s.lat, s.lon, s.organization.name_ru) for s in db.scalars(q)]


# --- demo fallbacks: used only by demo.py when the registry demo has not created these ----------

def demo_akimat(db: Session, region_kato: str, name_kk: str, name_ru: str, bin_: str) -> OrgRef:
    org = Organization(bin=bin_, name_kk=name_kk, name_ru=name_ru, legal_form="gov", region_kato=region_kato)
    org.roles = [OrganizationRole(role=AKIMAT_ROLE)]
    db.add(org)
    db.flush()
    return OrgRef(org.id, org.name_kk, org.name_ru, org.region_kato)


def demo_collection_point(db: Session, org_id: int, region_kato: str, name: str, settlement: str, address: str, lat: float, lon: float) -> int:
    site = Site(organization_id=org_id, name=name, site_type=COLLECTION_POINT, region_kato=region_kato, settlement=settlement, address=address,
                lat=lat, lon=lon, permitted_operations=["collection"], permitted_waste_codes=["15 01", "20 01"])
    db.add(site)
    db.flush()
    return site.id


def users_with_role(db: Session, org_id: int, role: str) -> list[str]:
    from qaldyq.core.models import User

    return list(db.scalars(select(User.username).where(User.organization_id == org_id, User.role == role).order_by(User.id)))
