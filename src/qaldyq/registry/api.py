"""REST API of the registries under /api/v1. No logic here: check the caller, call the service,
commit, shape the answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import invalid_param, request_locale
from qaldyq.registry import registries, service
from qaldyq.registry.schemas import (
    CertificateIn, CertificateOut, InstrumentIn, InstrumentOut, InstrumentPatch, OrganizationDetail, OrganizationIn, OrganizationOut,
    OrganizationPatch, Page, RegionOut, SiteIn, SiteOut, SitePatch, VehicleIn, VehicleOut, VehiclePatch,
)
from qaldyq.registry.vocab import InstrumentStatus, InstrumentType, LegalForm, Operation, OrgRole, OrgStatus, SiteStatus, SiteType, VehicleStatus, VehicleType

router = APIRouter(tags=["registry"])

READ = Depends(require("registry.read"))
WRITE = Depends(require("registry.write"))
REGISTER = Depends(require("registry.register"))

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]
Search = Annotated[str | None, Query(max_length=200, description="words that must all occur (BIN, names; for sites also settlement and address)")]
RegionQ = Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="KATO code of a region")]
RefId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _region(db: Session, region: str | None) -> str | None:
    if region is not None and not service.region_exists(db, region):
        raise invalid_param("region", "Unknown region code {kato}.", code="unknown-region", kato=region)
    return region


def _page(result: service.PageResult, convert) -> dict:
    return {"items": [convert(i) for i in result.items], "total": result.total, "page": result.page, "per_page": result.per_page, "pages": result.pages}


# --- regions ----------------------------------------------------------------------------------

@router.get("/regions", response_model=list[RegionOut])
def regions(principal: Principal = READ, db: Session = Depends(get_db)):
    """The 17 oblasts and 3 cities of republican significance with their KATO codes."""
    return service.list_regions(db)


# --- organizations ----------------------------------------------------------------------------

@dataclass
class OrgQuery:
    q: Search = None
    role: Annotated[list[OrgRole] | None, Query()] = None
    region: RegionQ = None
    legal_form: LegalForm | None = None
    status: OrgStatus | None = None

    def filters(self, db: Session) -> service.OrgFilters:
        return service.OrgFilters(q=self.q, roles=[str(r) for r in self.role or []], region=_region(db, self.region),
                                  legal_form=self.legal_form and str(self.legal_form), status=self.status and str(self.status))


@router.get("/organizations", response_model=Page[OrganizationOut])
def list_organizations(query: Annotated[OrgQuery, Depends()], page: PageNo = 1, per_page: PerPage = 50,
                       principal: Principal = READ, db: Session = Depends(get_db)):
    """Organizations the caller may see, filtered; `role` may repeat (any of them)."""
    result = service.list_organizations(db, principal, query.filters(db), page, per_page)
    return _page(result, OrganizationOut.model_validate)


@router.post("/organizations", response_model=OrganizationOut, status_code=201)
def create_organization(body: OrganizationIn, principal: Principal = REGISTER, db: Session = Depends(get_db)):
    org = service.create_organization(db, principal, body)
    db.commit()
    return OrganizationOut.model_validate(org)


@router.get("/organizations/{org_id}", response_model=OrganizationDetail)
def get_organization(org_id: Id, principal: Principal = READ, db: Session = Depends(get_db)):
    org = service.visible_organization(db, principal, org_id)
    counts = service.organization_counts(db, [org.id])[org.id]
    return OrganizationDetail.model_validate(org).model_copy(update={"site_count": counts["sites"], "vehicle_count": counts["vehicles"], "instrument_count": counts["instruments"]})


@router.patch("/organizations/{org_id}", response_model=OrganizationOut)
def update_organization(org_id: Id, body: OrganizationPatch, principal: Principal = WRITE, db: Session = Depends(get_db)):
    """Only the fields sent change. An organization's own administrator may change its address,
    phone and e-mail; the rest is for the authorized body."""
    org = service.update_organization(db, principal, org_id, body)
    db.commit()
    return OrganizationOut.model_validate(org)


# --- the registries of the Concept ------------------------------------------------------------

@dataclass
class RegistryQuery:
    q: Search = None
    role: Annotated[list[OrgRole] | None, Query(description="narrows within the registry's roles")] = None
    region: RegionQ = None
    status: OrgStatus | None = None

    def filters(self, db: Session) -> service.OrgFilters:
        return service.OrgFilters(q=self.q, roles=[str(r) for r in self.role or []], region=_region(db, self.region), status=self.status and str(self.status))


class RegistryEntry(OrganizationOut):
    site_count: int
    vehicle_count: int
    instrument_count: int


def _registry_routes(reg: registries.Registry) -> None:
    def entries(query: Annotated[RegistryQuery, Depends()], page: PageNo = 1, per_page: PerPage = 50,
                principal: Principal = READ, db: Session = Depends(get_db)):
        result, counts = registries.entries(db, principal, reg, query.filters(db), page, per_page)
        return _page(result, lambda o: RegistryEntry.model_validate({
            **OrganizationOut.model_validate(o).model_dump(), "site_count": counts[o.id]["sites"],
            "vehicle_count": counts[o.id]["vehicles"], "instrument_count": counts[o.id]["instruments"]}))

    def export(request: Request, query: Annotated[RegistryQuery, Depends()], format: Literal["xlsx", "csv"] = "xlsx",
               principal: Principal = READ, db: Session = Depends(get_db)):
        content, media, name = registries.export(db, principal, reg, query.filters(db), request_locale(request), format)
        return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    router.add_api_route(f"/registries/{reg.slug}", entries, methods=["GET"], response_model=Page[RegistryEntry],
                         summary=reg.title, name=f"registry_{reg.slug}", description=reg.description)
    router.add_api_route(f"/registries/{reg.slug}/export", export, methods=["GET"], response_class=Response,
                         summary=f"{reg.title}: XLSX or CSV", name=f"registry_{reg.slug}_export",
                         description="Column headings in the caller's language (Accept-Language or ?lang=).")


for _reg in registries.REGISTRIES.values():
    _registry_routes(_reg)


# --- sites ------------------------------------------------------------------------------------

@dataclass
class SiteQuery:
    q: Search = None
    organization_id: RefId = None
    site_type: SiteType | None = None
    region: RegionQ = None
    status: SiteStatus | None = None
    operation: Operation | None = None

    def filters(self, db: Session) -> service.SiteFilters:
        return service.SiteFilters(q=self.q, organization_id=self.organization_id, site_type=self.site_type and str(self.site_type),
                                   region=_region(db, self.region), status=self.status and str(self.status), operation=self.operation and str(self.operation))


@router.get("/sites", response_model=Page[SiteOut])
def list_sites(query: Annotated[SiteQuery, Depends()], page: PageNo = 1, per_page: PerPage = 50,
               principal: Principal = READ, db: Session = Depends(get_db)):
    return _page(service.list_sites(db, principal, query.filters(db), page, per_page), SiteOut.model_validate)


@router.post("/sites", response_model=SiteOut, status_code=201)
def create_site(body: SiteIn, principal: Principal = WRITE, db: Session = Depends(get_db)):
    site = service.create_site(db, principal, body)
    db.commit()
    return SiteOut.model_validate(site)


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_site(site_id: Id, principal: Principal = READ, db: Session = Depends(get_db)):
    return SiteOut.model_validate(service.visible_site(db, principal, site_id))


@router.patch("/sites/{site_id}", response_model=SiteOut)
def update_site(site_id: Id, body: SitePatch, principal: Principal = WRITE, db: Session = Depends(get_db)):
    site = service.update_site(db, principal, site_id, body)
    db.commit()
    return SiteOut.model_validate(site)


# --- vehicles ---------------------------------------------------------------------------------

@dataclass
class VehicleQuery:
    q: Annotated[str | None, Query(max_length=20, description="part of a plate")] = None
    organization_id: RefId = None
    vehicle_type: VehicleType | None = None
    status: VehicleStatus | None = None
    region: RegionQ = None
    tracked: bool | None = None

    def filters(self, db: Session) -> service.VehicleFilters:
        return service.VehicleFilters(q=self.q, organization_id=self.organization_id, vehicle_type=self.vehicle_type and str(self.vehicle_type),
                                      status=self.status and str(self.status), region=_region(db, self.region), tracked=self.tracked)


@router.get("/vehicles", response_model=Page[VehicleOut])
def list_vehicles(query: Annotated[VehicleQuery, Depends()], page: PageNo = 1, per_page: PerPage = 50,
                  principal: Principal = READ, db: Session = Depends(get_db)):
    return _page(service.list_vehicles(db, principal, query.filters(db), page, per_page), VehicleOut.model_validate)


@router.post("/vehicles", response_model=VehicleOut, status_code=201)
def create_vehicle(body: VehicleIn, principal: Principal = WRITE, db: Session = Depends(get_db)):
    vehicle = service.create_vehicle(db, principal, body)
    db.commit()
    return VehicleOut.model_validate(vehicle)


@router.get("/vehicles/{vehicle_id}", response_model=VehicleOut)
def get_vehicle(vehicle_id: Id, principal: Principal = READ, db: Session = Depends(get_db)):
    return VehicleOut.model_validate(service.visible_vehicle(db, principal, vehicle_id))


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut)
def update_vehicle(vehicle_id: Id, body: VehiclePatch, principal: Principal = WRITE, db: Session = Depends(get_db)):
    vehicle = service.update_vehicle(db, principal, vehicle_id, body)
    db.commit()
    return VehicleOut.model_validate(vehicle)


# --- weighing instruments ---------------------------------------------------------------------

@dataclass
class InstrumentQuery:
    q: Search = None
    site_id: RefId = None
    organization_id: RefId = None
    region: RegionQ = None
    instrument_type: InstrumentType | None = None
    status: InstrumentStatus | None = None
    verification: Annotated[Literal["valid", "expiring", "expired", "none"] | None, Query(description="state of verification today")] = None

    def filters(self, db: Session) -> service.InstrumentFilters:
        return service.InstrumentFilters(q=self.q, site_id=self.site_id, organization_id=self.organization_id, region=_region(db, self.region),
                                         instrument_type=self.instrument_type and str(self.instrument_type), status=self.status and str(self.status),
                                         verification=self.verification)


@router.get("/instruments", response_model=Page[InstrumentOut])
def list_instruments(query: Annotated[InstrumentQuery, Depends()], page: PageNo = 1, per_page: PerPage = 50,
                     principal: Principal = READ, db: Session = Depends(get_db)):
    return _page(service.list_instruments(db, principal, query.filters(db), page, per_page), lambda i: InstrumentOut.model_validate(service.instrument_out(i)))


@router.post("/instruments", response_model=InstrumentOut, status_code=201)
def create_instrument(body: InstrumentIn, principal: Principal = WRITE, db: Session = Depends(get_db)):
    inst = service.create_instrument(db, principal, body)
    db.commit()
    return service.instrument_out(inst)


@router.get("/instruments/{instrument_id}", response_model=InstrumentOut)
def get_instrument(instrument_id: Id, principal: Principal = READ, db: Session = Depends(get_db)):
    return service.instrument_out(service.visible_instrument(db, principal, instrument_id))


@router.patch("/instruments/{instrument_id}", response_model=InstrumentOut)
def update_instrument(instrument_id: Id, body: InstrumentPatch, principal: Principal = WRITE, db: Session = Depends(get_db)):
    inst = service.update_instrument(db, principal, instrument_id, body)
    db.commit()
    return service.instrument_out(inst)


@router.get("/instruments/{instrument_id}/certificates", response_model=list[CertificateOut])
def list_certificates(instrument_id: Id, principal: Principal = READ, db: Session = Depends(get_db)):
    return service.visible_instrument(db, principal, instrument_id).certificates


@router.post("/instruments/{instrument_id}/certificates", response_model=CertificateOut, status_code=201)
def add_certificate(instrument_id: Id, body: CertificateIn, principal: Principal = WRITE, db: Session = Depends(get_db)):
    """A verification certificate (Law "On ensuring the uniformity of measurements")."""
    cert = service.add_certificate(db, principal, instrument_id, body)
    db.commit()
    return cert
