"""What the ledger needs to know about sites: owner, region, status and loss tolerance.

This is the ledger's only read of the registry's `sites` table (besides foreign keys). The
registry service was being written in parallel when this was; once it offers a site lookup, this
module should call it instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.errors import invalid, not_found
from qaldyq.core.roles import Scope
from qaldyq.registry.models import Organization, Site

ACTIVE = "active"


@dataclass(frozen=True)
class SiteInfo:
    id: int
    name: str
    organization_id: int
    organization_name: str
    organization_bin: str
    region_kato: str
    status: str
    site_type: str
    loss_tolerance_pct: Decimal


def _query():
    return select(Site.id, Site.name, Site.organization_id, Organization.name_ru, Organization.bin, Site.region_kato, Site.status,
                  Site.site_type, Site.loss_tolerance_pct).join(Organization, Organization.id == Site.organization_id)


_BY_IDS = _query().where(Site.id.in_(bindparam("ids", expanding=True)))


def site_infos(db: Session, ids) -> dict[int, SiteInfo]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return {r[0]: SiteInfo(*r) for r in db.connection().execute(_BY_IDS, {"ids": ids})}


def site_info(db: Session, site_id: int, pointer: str | None = None) -> SiteInfo:
    """The site, or a Problem: invalid at `pointer` when the id came in a request body, else 404."""
    info = site_infos(db, [site_id]).get(site_id)
    if info is None:
        if pointer is not None:
            raise invalid(pointer, "Site {id} does not exist.", code="unknown-site", id=site_id)
        raise not_found("Site {id} does not exist.", id=site_id)
    return info


def require_active(info: SiteInfo, pointer: str) -> None:
    if info.status != ACTIVE:
        raise invalid(pointer, "Site {id} is not active ({status}).", code="site-inactive", id=info.id, status=info.status)


def can_read(principal: Principal, info: SiteInfo, permission: str = "ledger.read") -> bool:
    scope = principal.scope(permission)
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN:
        return info.organization_id == principal.org_id
    if scope is Scope.REGION:
        return info.organization_id == principal.org_id or (principal.region_kato is not None and info.region_kato == principal.region_kato)
    return False


def visible_sites(db: Session, principal: Principal, search: str | None = None, limit: int = 50, offset: int = 0) -> list[SiteInfo]:
    q = _query().order_by(Site.name, Site.id)
    scope = principal.scope("ledger.read")
    if scope is Scope.OWN:
        q = q.where(Site.organization_id == principal.org_id)
    elif scope is Scope.REGION:
        q = q.where(or_(Site.organization_id == principal.org_id, Site.region_kato == (principal.region_kato or "")))
    elif scope is None:
        return []
    if search:
        like = f"%{search.strip().lower()}%"
        q = q.where(or_(Site.name.ilike(like), Organization.name_ru.ilike(like), Organization.bin.like(like)))
    return [SiteInfo(*r) for r in db.execute(q.limit(limit).offset(offset))]


def active_sites(db: Session) -> list[SiteInfo]:
    return [SiteInfo(*r) for r in db.execute(_query().where(Site.status == ACTIVE).order_by(Site.id))]
