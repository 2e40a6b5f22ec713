"""Registries: organizations (by BIN), sites, vehicles, weighing instruments and their
verification certificates.

Every function takes a Session and never commits. Functions that act for a user take `viewer`
(a `Principal`; None means the system itself, e.g. the CLI or the demo loader, which sees and may
change everything). Reads are narrowed to what the viewer's scope reaches; writes check that the
viewer may change the owning organization. Every check runs before anything is added to the
session, so bad input leaves no trace, not even in the audit log.

Other domains use: get_organization, organization_by_bin, organizations_with_role, has_role,
organization_regions, get_site, sites_of, get_vehicle, vehicle_by_plate, vehicle_by_tracker,
get_instrument, certificate_valid_on, certificate_covering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from math import ceil
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.errors import FieldError, Problem, not_found
from qaldyq.core.i18n import N_
from qaldyq.core.roles import Scope
from qaldyq.registry import normalize
from qaldyq.registry.geo import inside_kazakhstan
from qaldyq.registry.models import Organization, OrganizationRole, Region, Site, Vehicle, VerificationCertificate, WeighingInstrument
from qaldyq.registry.permissions import OWN_ORGANIZATION_FIELDS, STATE_ROLE_GRANTORS
from qaldyq.registry.schemas import (
    CertificateIn, InstrumentIn, InstrumentPatch, OrganizationIn, OrganizationPatch, SiteIn, SitePatch, VehicleIn, VehiclePatch,
)
from qaldyq.registry.vocab import EXPIRING_WITHIN_DAYS, STATE_ROLES

READ, WRITE = "registry.read", "registry.write"


# --- errors -----------------------------------------------------------------------------------

@dataclass
class Checks:
    """Collects every problem with one request, so the caller learns them all at once."""

    errors: list[FieldError] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)

    def add(self, pointer: str, msgid: str, code: str = "invalid", status: int = 422, **params: Any) -> None:
        self.errors.append(FieldError(msgid, pointer=pointer, params=params, code=code))
        self.statuses.add(status)

    def raise_any(self) -> None:
        if not self.errors:
            return
        first = self.errors[0]
        if self.statuses == {409}:
            raise Problem(409, first.code, "The request conflicts with the current state.", first.msgid, self.errors, **first.params)
        if 403 in self.statuses:
            raise Problem(403, "forbidden", "Forbidden.", first.msgid, self.errors, **first.params)
        raise Problem(422, first.code, "The request is not valid.", first.msgid, self.errors, **first.params)


def _forbidden_on(where: str, msgid: str, *, parameter: bool = False, **params) -> Problem:
    err = FieldError(msgid, parameter=where, params=params, code="forbidden") if parameter else FieldError(msgid, pointer=where, params=params, code="forbidden")
    return Problem(403, "forbidden", "Forbidden.", msgid, [err], **params)


def _missing(parameter: str, msgid: str, **params) -> Problem:
    return Problem(404, "not-found", "Not found.", msgid, [FieldError(msgid, parameter=parameter, params=params, code="not-found")], **params)


def _flush(db: Session, pointer: str, msgid: str, **params) -> None:
    """Flush; a unique constraint hit by a concurrent writer becomes the same 409 the pre-checks give."""
    try:
        db.flush()
    except IntegrityError as exc:
        raise Problem(409, "duplicate", "The request conflicts with the current state.", msgid,
                      [FieldError(msgid, pointer=pointer, params=params, code="duplicate")], **params) from exc


# --- scopes -----------------------------------------------------------------------------------

def _orgs_in_region(region: str):
    """Ids of organizations registered in a region or having a site there."""
    return select(Organization.id).where(Organization.region_kato == region).union(
        select(Site.organization_id).where(Site.region_kato == region)
    )


def org_visibility(viewer: Principal | None, permission: str = READ) -> ColumnElement[bool]:
    """SQL condition on Organization: the organizations the viewer's permission reaches."""
    if viewer is None:
        return true()
    scope = viewer.scope(permission)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.REGION and viewer.region_kato:
        return or_(Organization.id == viewer.org_id, Organization.id.in_(_orgs_in_region(viewer.region_kato)))
    if scope is not None:
        return Organization.id == viewer.org_id
    return false()


def site_visibility(viewer: Principal | None) -> ColumnElement[bool]:
    """SQL condition on Site: a region sees the sites located in it and those of organizations
    registered in it (not every site of a national company that has one site there)."""
    if viewer is None:
        return true()
    scope = viewer.scope(READ)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.REGION and viewer.region_kato:
        registered = select(Organization.id).where(Organization.region_kato == viewer.region_kato)
        return or_(Site.organization_id == viewer.org_id, Site.region_kato == viewer.region_kato, Site.organization_id.in_(registered))
    if scope is not None:
        return Site.organization_id == viewer.org_id
    return false()


def _owner_visible(column, viewer: Principal | None) -> ColumnElement[bool]:
    if viewer is None or viewer.scope(READ) is Scope.ALL:
        return true()
    return column.in_(select(Organization.id).where(org_visibility(viewer)))


def vehicle_visibility(viewer: Principal | None) -> ColumnElement[bool]:
    """Vehicles travel between regions: they are seen with their owner."""
    return _owner_visible(Vehicle.organization_id, viewer)


def instrument_visibility(viewer: Principal | None) -> ColumnElement[bool]:
    if viewer is None or viewer.scope(READ) is Scope.ALL:
        return true()
    return WeighingInstrument.site_id.in_(select(Site.id).where(site_visibility(viewer)))


def can_write(viewer: Principal | None, org: Organization) -> bool:
    if viewer is None:
        return True
    scope = viewer.scope(WRITE)
    if scope is Scope.ALL:
        return True
    if scope is Scope.REGION:
        return viewer.region_kato is not None and org.region_kato == viewer.region_kato
    if scope is Scope.OWN:
        return org.id == viewer.org_id
    return False


def _visible(db: Session, model, condition, ident: int) -> Any | None:
    return db.scalar(select(model).where(model.id == ident, condition))


def _for_write(db: Session, viewer: Principal | None, model, ident: int, parameter: str, missing: str, refused: str, owner) -> Any:
    """The record to change, or 404 if there is none, or 403 naming the path parameter if the
    viewer may not change its owner's data (even when they may not read it: saying "not yours"
    is more helpful than pretending it does not exist, and ids are not secret)."""
    obj = db.get(model, ident)
    if obj is None:
        raise _missing(parameter, missing, id=ident)
    if not can_write(viewer, owner(obj)):
        raise _forbidden_on(parameter, refused, parameter=True)
    return obj


def writable_organization(db: Session, viewer: Principal | None, org_id: int) -> Organization:
    return _for_write(db, viewer, Organization, org_id, "org_id", N_("Organization {id} does not exist."),
                      N_("You may change only the data of your own organization."), lambda o: o)


def writable_site(db: Session, viewer: Principal | None, site_id: int) -> Site:
    return _for_write(db, viewer, Site, site_id, "site_id", N_("Site {id} does not exist."),
                      N_("You may change only the sites of your own organization."), lambda s: s.organization)


def writable_vehicle(db: Session, viewer: Principal | None, vehicle_id: int) -> Vehicle:
    return _for_write(db, viewer, Vehicle, vehicle_id, "vehicle_id", N_("Vehicle {id} does not exist."),
                      N_("You may change only the vehicles of your own organization."), lambda v: v.organization)


def writable_instrument(db: Session, viewer: Principal | None, instrument_id: int) -> WeighingInstrument:
    return _for_write(db, viewer, WeighingInstrument, instrument_id, "instrument_id", N_("Weighing instrument {id} does not exist."),
                      N_("You may change only the instruments of your own organization."), lambda i: i.site.organization)


# --- pages ------------------------------------------------------------------------------------

@dataclass
class PageResult:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page)) if self.per_page else 1


def _page(db: Session, query: Select, page: int, per_page: int) -> PageResult:
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(db.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return PageResult(items, total, page, per_page)


def _search(column, query: str | None) -> ColumnElement[bool]:
    terms = normalize.search_terms(query)
    if not terms:
        return true()
    return and_(*(column.contains(t, autoescape=True) for t in terms))


# --- regions ----------------------------------------------------------------------------------

def list_regions(db: Session) -> list[Region]:
    return list(db.scalars(select(Region).order_by(Region.kind.desc(), Region.name_ru)))


def region_exists(db: Session, kato: str) -> bool:
    return db.get(Region, kato) is not None


# --- organizations ----------------------------------------------------------------------------

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


def has_role(org: Organization, role: str) -> bool:
    return role in org.role_names


def organizations_with_role(db: Session, role: str, region: str | None = None) -> list[Organization]:
    """Active and suspended organizations holding `role` (optionally registered in `region`)."""
    q = select(Organization).where(Organization.id.in_(select(OrganizationRole.organization_id).where(OrganizationRole.role == role)),
                                   Organization.status != "liquidated")
    if region:
        q = q.where(Organization.region_kato == region)
    return list(db.scalars(q.order_by(Organization.name_ru, Organization.id)))


def organization_regions(db: Session, org_id: int) -> set[str]:
    """The region an organization is registered in and those of its sites (for
    `Principal.sees_org` in other domains)."""
    regions = set(db.scalars(select(Site.region_kato).where(Site.organization_id == org_id).distinct()))
    reg = db.scalar(select(Organization.region_kato).where(Organization.id == org_id))
    return regions | ({reg} if reg else set())


def visible_organization(db: Session, viewer: Principal | None, org_id: int) -> Organization:
    org = _visible(db, Organization, org_visibility(viewer), org_id)
    if org is None:
        raise _missing("org_id", N_("Organization {id} does not exist."), id=org_id)
    return org


@dataclass
class OrgFilters:
    q: str | None = None
    roles: list[str] = field(default_factory=list)  # any of these
    region: str | None = None
    legal_form: str | None = None
    status: str | None = None


def organizations_query(viewer: Principal | None, f: OrgFilters) -> Select:
    q = select(Organization).where(org_visibility(viewer), _search(Organization.search_key, f.q))
    if f.roles:
        q = q.where(Organization.id.in_(select(OrganizationRole.organization_id).where(OrganizationRole.role.in_(f.roles))))
    if f.region:
        q = q.where(Organization.region_kato == f.region)
    if f.legal_form:
        q = q.where(Organization.legal_form == f.legal_form)
    if f.status:
        q = q.where(Organization.status == f.status)
    return q.order_by(Organization.name_ru, Organization.id)


def list_organizations(db: Session, viewer: Principal | None, f: OrgFilters, page: int = 1, per_page: int = 50) -> PageResult:
    return _page(db, organizations_query(viewer, f), page, per_page)


def organization_counts(db: Session, org_ids: list[int]) -> dict[int, dict[str, int]]:
    """Sites, vehicles and weighing instruments per organization (for lists and exports)."""
    out = {i: {"sites": 0, "vehicles": 0, "instruments": 0} for i in org_ids}
    if not org_ids:
        return out
    for oid, n in db.execute(select(Site.organization_id, func.count()).where(Site.organization_id.in_(org_ids)).group_by(Site.organization_id)):
        out[oid]["sites"] = n
    for oid, n in db.execute(select(Vehicle.organization_id, func.count()).where(Vehicle.organization_id.in_(org_ids)).group_by(Vehicle.organization_id)):
        out[oid]["vehicles"] = n
    q = select(Site.organization_id, func.count()).join(WeighingInstrument, WeighingInstrument.site_id == Site.id).where(Site.organization_id.in_(org_ids))
    for oid, n in db.execute(q.group_by(Site.organization_id)):
        out[oid]["instruments"] = n
    return out


def _check_state_roles(checks: Checks, viewer: Principal | None, added: set[str]) -> None:
    granted = sorted(added & STATE_ROLES)
    if granted and viewer is not None and viewer.role not in STATE_ROLE_GRANTORS:
        checks.add("/roles", N_("Only the administrator or the authorized body may assign the role {role}."), code="forbidden", status=403, role=granted[0])


def _check_region(db: Session, checks: Checks, kato: str | None, pointer: str = "/region_kato") -> None:
    if kato is not None and not region_exists(db, kato):
        checks.add(pointer, N_("Unknown region code {kato}."), code="unknown-region", kato=kato)


def create_organization(db: Session, viewer: Principal | None, data: OrganizationIn) -> Organization:
    checks = Checks()
    if db.scalar(select(Organization.id).where(Organization.bin == data.bin)) is not None:
        checks.add("/bin", N_("An organization with BIN {bin} is already registered."), code="duplicate-bin", status=409, bin=data.bin)
    _check_region(db, checks, data.region_kato)
    _check_state_roles(checks, viewer, {str(r) for r in data.roles})
    checks.raise_any()
    org = Organization(**_plain(data.model_dump(exclude={"roles"})))
    org.roles = [OrganizationRole(role=str(r)) for r in data.roles]
    db.add(org)
    _flush(db, "/bin", N_("An organization with BIN {bin} is already registered."), bin=data.bin)
    return org


def update_organization(db: Session, viewer: Principal | None, org_id: int, patch: OrganizationPatch) -> Organization:
    org = writable_organization(db, viewer, org_id)
    changes = patch.changes()
    checks = Checks()
    if viewer is not None and viewer.scope(WRITE) is Scope.OWN:
        for name in sorted(set(changes) - OWN_ORGANIZATION_FIELDS):
            checks.add(f"/{name}", N_("Only the authorized body may change this field; you may change the address, phone and e-mail."), code="forbidden", status=403)
    _check_region(db, checks, changes.get("region_kato"))
    roles = changes.pop("roles", None)
    if roles is not None:
        _check_state_roles(checks, viewer, {str(r) for r in roles} - set(org.role_names))
    checks.raise_any()
    for key, value in _plain(changes).items():
        setattr(org, key, value)
    if roles is not None:
        wanted = [str(r) for r in roles]
        org.roles = [r for r in org.roles if r.role in wanted] + [OrganizationRole(role=r) for r in wanted if r not in org.role_names]
    db.flush()
    return org


# --- sites ------------------------------------------------------------------------------------

def get_site(db: Session, site_id: int) -> Site:
    site = db.get(Site, site_id)
    if site is None:
        raise not_found("Site {id} does not exist.", id=site_id)
    return site


def sites_of(db: Session, org_id: int, site_type: str | None = None) -> list[Site]:
    q = select(Site).where(Site.organization_id == org_id)
    if site_type:
        q = q.where(Site.site_type == site_type)
    return list(db.scalars(q.order_by(Site.name, Site.id)))


def visible_site(db: Session, viewer: Principal | None, site_id: int, parameter: str = "site_id") -> Site:
    site = _visible(db, Site, site_visibility(viewer), site_id)
    if site is None:
        raise _missing(parameter, N_("Site {id} does not exist."), id=site_id)
    return site


@dataclass
class SiteFilters:
    q: str | None = None
    organization_id: int | None = None
    site_type: str | None = None
    region: str | None = None
    status: str | None = None
    operation: str | None = None


def sites_query(viewer: Principal | None, f: SiteFilters) -> Select:
    q = select(Site).where(site_visibility(viewer), _search(Site.search_key, f.q))
    for column, value in ((Site.organization_id, f.organization_id), (Site.site_type, f.site_type), (Site.region_kato, f.region), (Site.status, f.status)):
        if value is not None:
            q = q.where(column == value)
    q = q.order_by(Site.name, Site.id)
    return q


def list_sites(db: Session, viewer: Principal | None, f: SiteFilters, page: int = 1, per_page: int = 50) -> PageResult:
    q = sites_query(viewer, f)
    if f.operation:
        # JSON arrays are not searchable the same way on both databases; narrow in Python.
        rows = db.execute(q.with_only_columns(Site.id, Site.permitted_operations)).all()
        ids = [i for i, ops in rows if f.operation in (ops or [])]
        q = select(Site).where(Site.id.in_(ids)).order_by(Site.name, Site.id)
    return _page(db, q, page, per_page)


def _owner_for_write(db: Session, viewer: Principal | None, checks: Checks, org_id: int, pointer: str = "/organization_id") -> Organization | None:
    org = db.get(Organization, org_id)
    if org is None:
        checks.add(pointer, N_("Organization {id} does not exist."), code="unknown-organization", id=org_id)
        return None
    if not can_write(viewer, org):
        checks.add(pointer, N_("You may change only the data of your own organization."), code="forbidden", status=403)
        return None
    return org


def _check_coordinates(checks: Checks, lat: float, lon: float) -> None:
    if not inside_kazakhstan(lat, lon):
        for pointer in ("/lat", "/lon"):
            checks.add(pointer, N_("The point {lat}, {lon} is not inside Kazakhstan (check that latitude and longitude are not swapped)."),
                       code="outside-kazakhstan", lat=round(lat, 6), lon=round(lon, 6))


def create_site(db: Session, viewer: Principal | None, data: SiteIn) -> Site:
    checks = Checks()
    _owner_for_write(db, viewer, checks, data.organization_id)
    _check_region(db, checks, data.region_kato)
    _check_coordinates(checks, data.lat, data.lon)
    checks.raise_any()
    site = Site(**_plain(data.model_dump()))
    db.add(site)
    db.flush()
    return site


def update_site(db: Session, viewer: Principal | None, site_id: int, patch: SitePatch) -> Site:
    site = writable_site(db, viewer, site_id)
    changes = patch.changes()
    checks = Checks()
    new_owner = changes.get("organization_id")
    if new_owner is not None and new_owner != site.organization_id:
        _owner_for_write(db, viewer, checks, new_owner)
        depots = db.scalar(select(func.count()).select_from(Vehicle).where(Vehicle.depot_site_id == site.id)) or 0
        if depots:
            checks.add("/organization_id", N_("{count} vehicles of the current owner use this site as their depot; reassign them first."),
                       code="depot-in-use", status=409, count=depots)
    _check_region(db, checks, changes.get("region_kato"))
    if "lat" in changes or "lon" in changes:
        _check_coordinates(checks, changes.get("lat", site.lat), changes.get("lon", site.lon))
    checks.raise_any()
    for key, value in _plain(changes).items():
        setattr(site, key, value)
    db.flush()
    return site


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enums to their codes (the JSON columns and the audit log keep plain strings)."""
    def one(v):
        if isinstance(v, list):
            return [one(x) for x in v]
        return str(v) if hasattr(v, "value") else v
    return {k: one(v) for k, v in values.items()}


# --- vehicles ---------------------------------------------------------------------------------

def get_vehicle(db: Session, vehicle_id: int) -> Vehicle:
    vehicle = db.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise not_found("Vehicle {id} does not exist.", id=vehicle_id)
    return vehicle


def vehicle_by_plate(db: Session, plate: str) -> Vehicle | None:
    """The vehicle with this plate in any spelling ('123 ab 01', '123АВ01'), or None: a plate read
    at a weighbridge or on a document may well be unknown, which the caller decides about."""
    canon = normalize.plate(plate)
    return db.scalar(select(Vehicle).where(Vehicle.plate == canon)) if canon else None


def vehicle_by_tracker(db: Session, tracker_id: str) -> Vehicle | None:
    """The vehicle carrying this GPS tracker, or None (telemetry from unregistered trackers is
    expected and handled by the caller)."""
    return db.scalar(select(Vehicle).where(Vehicle.tracker_id == tracker_id.strip()))


def visible_vehicle(db: Session, viewer: Principal | None, vehicle_id: int) -> Vehicle:
    vehicle = _visible(db, Vehicle, vehicle_visibility(viewer), vehicle_id)
    if vehicle is None:
        raise _missing("vehicle_id", N_("Vehicle {id} does not exist."), id=vehicle_id)
    return vehicle


@dataclass
class VehicleFilters:
    q: str | None = None  # part of a plate
    organization_id: int | None = None
    vehicle_type: str | None = None
    status: str | None = None
    region: str | None = None  # the owner's region
    tracked: bool | None = None


def vehicles_query(viewer: Principal | None, f: VehicleFilters) -> Select:
    q = select(Vehicle).where(vehicle_visibility(viewer))
    if f.q:
        fragment = "".join(normalize.search_terms(f.q)).upper().translate(str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX"))
        q = q.where(Vehicle.plate.contains(fragment.replace("-", ""), autoescape=True))
    for column, value in ((Vehicle.organization_id, f.organization_id), (Vehicle.vehicle_type, f.vehicle_type), (Vehicle.status, f.status)):
        if value is not None:
            q = q.where(column == value)
    if f.region:
        q = q.where(Vehicle.organization_id.in_(select(Organization.id).where(Organization.region_kato == f.region)))
    if f.tracked is not None:
        q = q.where(Vehicle.tracker_id.is_not(None) if f.tracked else Vehicle.tracker_id.is_(None))
    return q.order_by(Vehicle.plate)


def list_vehicles(db: Session, viewer: Principal | None, f: VehicleFilters, page: int = 1, per_page: int = 50) -> PageResult:
    return _page(db, vehicles_query(viewer, f), page, per_page)


def _check_vehicle(db: Session, checks: Checks, vehicle_id: int | None, plate: str | None, tracker: str | None, owner_id: int, depot_id: int | None) -> None:
    if plate is not None:
        other = db.scalar(select(Vehicle.id).where(Vehicle.plate == plate))
        if other is not None and other != vehicle_id:
            checks.add("/plate", N_("A vehicle with plate {plate} is already registered."), code="duplicate-plate", status=409, plate=normalize.plate_display(plate))
    if tracker is not None:
        other = db.scalar(select(Vehicle.id).where(Vehicle.tracker_id == tracker))
        if other is not None and other != vehicle_id:
            checks.add("/tracker_id", N_("The tracker {tracker} is already installed on another vehicle."), code="duplicate-tracker", status=409, tracker=tracker)
    if depot_id is not None:
        depot = db.get(Site, depot_id)
        if depot is None:
            checks.add("/depot_site_id", N_("Site {id} does not exist."), code="unknown-site", id=depot_id)
        elif depot.organization_id != owner_id:
            checks.add("/depot_site_id", N_("The depot must be a site of the vehicle's owner."), code="foreign-depot")


def create_vehicle(db: Session, viewer: Principal | None, data: VehicleIn) -> Vehicle:
    checks = Checks()
    _owner_for_write(db, viewer, checks, data.organization_id)
    _check_vehicle(db, checks, None, data.plate, data.tracker_id, data.organization_id, data.depot_site_id)
    checks.raise_any()
    vehicle = Vehicle(**_plain(data.model_dump()))
    db.add(vehicle)
    _flush(db, "/plate", N_("A vehicle with plate {plate} is already registered."), plate=normalize.plate_display(data.plate))
    return vehicle


def update_vehicle(db: Session, viewer: Principal | None, vehicle_id: int, patch: VehiclePatch) -> Vehicle:
    vehicle = writable_vehicle(db, viewer, vehicle_id)
    changes = patch.changes()
    checks = Checks()
    owner = changes.get("organization_id", vehicle.organization_id)
    if owner != vehicle.organization_id:
        _owner_for_write(db, viewer, checks, owner)
    depot = changes["depot_site_id"] if "depot_site_id" in changes else vehicle.depot_site_id
    _check_vehicle(db, checks, vehicle.id, changes.get("plate"), changes.get("tracker_id"), owner, depot)
    checks.raise_any()
    for key, value in _plain(changes).items():
        setattr(vehicle, key, value)
    _flush(db, "/plate", N_("A vehicle with plate {plate} is already registered."), plate=normalize.plate_display(vehicle.plate))
    return vehicle


# --- weighing instruments and certificates ----------------------------------------------------

def get_instrument(db: Session, instrument_id: int) -> WeighingInstrument:
    inst = db.get(WeighingInstrument, instrument_id)
    if inst is None:
        raise not_found("Weighing instrument {id} does not exist.", id=instrument_id)
    return inst


def visible_instrument(db: Session, viewer: Principal | None, instrument_id: int) -> WeighingInstrument:
    inst = _visible(db, WeighingInstrument, instrument_visibility(viewer), instrument_id)
    if inst is None:
        raise _missing("instrument_id", N_("Weighing instrument {id} does not exist."), id=instrument_id)
    return inst


def _covering(day: date):
    return and_(VerificationCertificate.valid_from <= day, VerificationCertificate.valid_to >= day)


def certificate_valid_on(db: Session, instrument_id: int, day: date) -> VerificationCertificate | None:
    """The verification certificate in force on `day` (the one running longest if several), or
    None: an instrument without one may not be used for weighing acts (Order 690, point 3.3)."""
    q = (select(VerificationCertificate).where(VerificationCertificate.instrument_id == instrument_id, _covering(day))
         .order_by(VerificationCertificate.valid_to.desc(), VerificationCertificate.id.desc()).limit(1))
    return db.scalar(q)


def certificate_covering(db: Session, instrument_id: int, start: date, end: date) -> VerificationCertificate | None:
    """A single certificate valid over the whole period [start, end] (Order 690 asks for
    certificates valid during the reporting half-year), or None."""
    q = (select(VerificationCertificate).where(VerificationCertificate.instrument_id == instrument_id,
                                               VerificationCertificate.valid_from <= start, VerificationCertificate.valid_to >= end)
         .order_by(VerificationCertificate.valid_to.desc()).limit(1))
    return db.scalar(q)


def verification_state(inst: WeighingInstrument, day: date | None = None) -> tuple[str, date | None]:
    """(valid | expiring | expired | none, the last day the instrument is verified without a gap)."""
    day = day or date.today()
    certs = inst.certificates
    if not certs:
        return "none", None
    until = None
    for cert in sorted(certs, key=lambda c: c.valid_from):
        if cert.valid_from <= (until + timedelta(days=1) if until else day) and cert.valid_to >= (until or day):
            until = cert.valid_to
    if until is None:
        return "expired", None
    return ("expiring" if until < day + timedelta(days=EXPIRING_WITHIN_DAYS) else "valid"), until


def _valid_on_sql(day: date):
    return exists(select(VerificationCertificate.id).where(VerificationCertificate.instrument_id == WeighingInstrument.id, _covering(day)))


def verification_condition(state: str, day: date | None = None) -> ColumnElement[bool]:
    """SQL for the list filter, matching verification_state for the common case (no gaps
    between consecutive certificates)."""
    day = day or date.today()
    later = day + timedelta(days=EXPIRING_WITHIN_DAYS)
    any_cert = exists(select(VerificationCertificate.id).where(VerificationCertificate.instrument_id == WeighingInstrument.id))
    return {
        "valid": and_(_valid_on_sql(day), _valid_on_sql(later)),
        "expiring": and_(_valid_on_sql(day), ~_valid_on_sql(later)),
        "expired": and_(any_cert, ~_valid_on_sql(day)),
        "none": ~any_cert,
    }[state]


@dataclass
class InstrumentFilters:
    q: str | None = None
    site_id: int | None = None
    organization_id: int | None = None
    region: str | None = None
    instrument_type: str | None = None
    status: str | None = None
    verification: str | None = None


def instruments_query(viewer: Principal | None, f: InstrumentFilters) -> Select:
    q = select(WeighingInstrument).join(Site, WeighingInstrument.site_id == Site.id).where(instrument_visibility(viewer))
    for term in normalize.search_terms(f.q):
        q = q.where(or_(func.lower(WeighingInstrument.serial_number).contains(term, autoescape=True), Site.search_key.contains(term, autoescape=True),
                        func.lower(WeighingInstrument.name).contains(term, autoescape=True)))
    for column, value in ((WeighingInstrument.site_id, f.site_id), (Site.organization_id, f.organization_id), (Site.region_kato, f.region),
                          (WeighingInstrument.instrument_type, f.instrument_type), (WeighingInstrument.status, f.status)):
        if value is not None:
            q = q.where(column == value)
    if f.verification:
        q = q.where(verification_condition(f.verification))
    return q.order_by(Site.name, WeighingInstrument.name, WeighingInstrument.id)


def list_instruments(db: Session, viewer: Principal | None, f: InstrumentFilters, page: int = 1, per_page: int = 50) -> PageResult:
    return _page(db, instruments_query(viewer, f), page, per_page)


def _site_for_write(db: Session, viewer: Principal | None, checks: Checks, site_id: int) -> Site | None:
    site = db.get(Site, site_id)
    if site is None:
        checks.add("/site_id", N_("Site {id} does not exist."), code="unknown-site", id=site_id)
        return None
    if not can_write(viewer, site.organization):
        checks.add("/site_id", N_("You may change only the sites of your own organization."), code="forbidden", status=403)
        return None
    return site


def _check_serial(db: Session, checks: Checks, site_id: int, serial: str, instrument_id: int | None) -> None:
    other = db.scalar(select(WeighingInstrument.id).where(WeighingInstrument.site_id == site_id, WeighingInstrument.serial_number == serial))
    if other is not None and other != instrument_id:
        checks.add("/serial_number", N_("This site already has an instrument with serial number {serial}."), code="duplicate-serial", status=409, serial=serial)


def create_instrument(db: Session, viewer: Principal | None, data: InstrumentIn) -> WeighingInstrument:
    checks = Checks()
    if _site_for_write(db, viewer, checks, data.site_id) is not None:
        _check_serial(db, checks, data.site_id, data.serial_number, None)
    checks.raise_any()
    inst = WeighingInstrument(**_plain(data.model_dump()))
    db.add(inst)
    _flush(db, "/serial_number", N_("This site already has an instrument with serial number {serial}."), serial=data.serial_number)
    return inst


def update_instrument(db: Session, viewer: Principal | None, instrument_id: int, patch: InstrumentPatch) -> WeighingInstrument:
    inst = writable_instrument(db, viewer, instrument_id)
    changes = patch.changes()
    checks = Checks()
    site_id = changes.get("site_id", inst.site_id)
    if site_id != inst.site_id:
        _site_for_write(db, viewer, checks, site_id)
    if "serial_number" in changes or site_id != inst.site_id:
        _check_serial(db, checks, site_id, changes.get("serial_number", inst.serial_number), inst.id)
    checks.raise_any()
    for key, value in _plain(changes).items():
        setattr(inst, key, value)
    _flush(db, "/serial_number", N_("This site already has an instrument with serial number {serial}."), serial=inst.serial_number)
    return inst


def add_certificate(db: Session, viewer: Principal | None, instrument_id: int, data: CertificateIn) -> VerificationCertificate:
    inst = writable_instrument(db, viewer, instrument_id)
    checks = Checks()
    if db.scalar(select(VerificationCertificate.id).where(VerificationCertificate.instrument_id == inst.id, VerificationCertificate.number == data.number)):
        checks.add("/number", N_("This instrument already has a certificate numbered {number}."), code="duplicate-certificate", status=409, number=data.number)
    checks.raise_any()
    cert = VerificationCertificate(instrument_id=inst.id, **data.model_dump())
    db.add(cert)
    _flush(db, "/number", N_("This instrument already has a certificate numbered {number}."), number=data.number)
    db.refresh(inst, ["certificates"])
    return cert


def instrument_out(inst: WeighingInstrument, day: date | None = None) -> dict[str, Any]:
    state, until = verification_state(inst, day)
    return {
        "id": inst.id, "site_id": inst.site_id, "organization_id": inst.site.organization_id, "name": inst.name,
        "instrument_type": inst.instrument_type, "serial_number": inst.serial_number, "year_made": inst.year_made,
        "max_load_kg": inst.max_load_kg, "status": inst.status, "verification": state, "verified_until": until,
        "certificates": list(inst.certificates),
    }
