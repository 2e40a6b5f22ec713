"""Web pages of the registries: lists (search, filters, pagination with HTMX), details, create and
edit forms, and the two registries of the Concept with their exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from qaldyq.core.auth import Principal, get_db, require
from qaldyq.core.errors import Problem
from qaldyq.core.i18n import N_, Translator
from qaldyq.core.roles import Scope
from qaldyq.registry import forms, registries, service
from qaldyq.registry.geo import KAZAKHSTAN_OUTLINE
from qaldyq.registry.models import Organization, Site
from qaldyq.registry.normalize import plate_display
from qaldyq.registry.permissions import OWN_ORGANIZATION_FIELDS
from qaldyq.registry.schemas import (
    CertificateIn, InstrumentIn, InstrumentPatch, OrganizationIn, OrganizationPatch, SiteIn, SitePatch, VehicleIn, VehiclePatch,
)
from qaldyq.registry.vocab import (
    INSTRUMENT_STATUSES, INSTRUMENT_TYPES, LABELS, LEGAL_FORMS, OPERATIONS, ORG_ROLES, ORG_STATUSES, SITE_STATUSES, SITE_TYPES,
    VEHICLE_STATUSES, VEHICLE_TYPES, VERIFICATION_STATES, WASTE_MANAGEMENT_ROLES,
)
from qaldyq.web import NavItem, render

router = APIRouter(prefix="/registry", include_in_schema=False)

NAV = [
    NavItem(N_("Organizations"), "/registry/organizations", "registry.read", order=10),
    NavItem(N_("Sites"), "/registry/sites", "registry.read", order=11),
    NavItem(N_("Vehicles"), "/registry/vehicles", "registry.read", order=12),
    NavItem(N_("Weighing instruments"), "/registry/instruments", "registry.read", order=13),
    NavItem(N_("Hazardous waste generators"), "/registry/hazardous-waste-generators", "registry.read", order=14),
    NavItem(N_("Waste management organizations"), "/registry/waste-management-organizations", "registry.read", order=15),
]

READ = Depends(require("registry.read"))
WRITE = Depends(require("registry.write"))
REGISTER = Depends(require("registry.register"))
PER_PAGE = 25
BADGE = {"active": "ok", "valid": "ok", "planned": "", "expiring": "warn", "repair": "warn", "suspended": "warn", "out_of_service": "warn",
         "expired": "bad", "none": "bad", "liquidated": "bad", "closed": "bad", "decommissioned": "bad"}


async def form_data(request: Request) -> FormData:
    return await request.form()


# --- helpers for every page -------------------------------------------------------------------

def helpers(request: Request) -> dict[str, Any]:
    locale = getattr(request.state, "locale", "kk")
    _ = Translator(locale)

    def qs(**changes) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and k != "lang"]
        params += [(k, v) for k, v in changes.items() if v not in (None, "")]
        return "?" + urlencode(params)

    return {
        "lbl": lambda kind, code: _(LABELS[kind].get(code, code)) if code else "",
        "oname": lambda org: registries.org_name(org, locale),
        "rname": lambda region: registries.region_name(region, locale),
        "badge": lambda code: BADGE.get(code, ""),
        "plate": plate_display,
        "tonnes": _tonnes,
        "phone": _phone,
        "kg": lambda v: "" if v is None else f"{int(v):,}".replace(",", " "),
        "qs": qs,
        "args": request.query_params,
        "today": date.today(),
    }


def _tonnes(value) -> str:
    """Tonnes with a thin-space thousands separator and no trailing zeros (32 500, 12.5)."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.3f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f")


def _phone(value: str | None) -> str:
    """+77012345678 -> +7 701 234 56 78."""
    if value and len(value) == 12 and value.startswith("+7"):
        return f"+7 {value[2:5]} {value[5:8]} {value[8:10]} {value[10:]}"
    return value or ""


def page(request: Request, template: str, context: dict[str, Any], status_code: int = 200):
    ctx = helpers(request)
    ctx.update(context)
    if request.query_params.get("saved"):
        _ = Translator(getattr(request.state, "locale", "kk"))
        ctx.setdefault("flash", _("Saved."))
    return render(request, template, ctx, status_code=status_code)


def listing(request: Request, template: str, rows: str, context: dict[str, Any]):
    """The full page, or only the results when HTMX asks for them (filters, pager)."""
    partial = request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == "results"
    response = page(request, rows if partial else template, context)
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _int(value: str | None) -> int | None:
    try:
        n = int(value or "")
    except ValueError:
        return None
    return n if 0 < n < 2**31 else None


def _choice(value: str | None, allowed) -> str | None:
    return value if value in allowed else None


def _page_no(request: Request) -> int:
    return min(_int(request.query_params.get("page")) or 1, 100_000)


def region_options(db: Session, locale: str) -> list[tuple[str, str]]:
    return [(r.kato, registries.region_name(r, locale)) for r in service.list_regions(db)]


def _region_filter(request: Request, db: Session) -> str | None:
    value = request.query_params.get("region")
    return value if value and service.region_exists(db, value) else None


def kz_map(points: list[tuple[float, float, str]], width: int = 360) -> dict[str, Any]:
    """Kazakhstan's outline and some points, projected for an inline SVG (no tiles, no CDN)."""
    lon0, lon1, lat0, lat1 = 46.0, 88.0, 40.3, 55.7
    scale = width / ((lon1 - lon0) * 0.68)  # cos(47°) keeps the shape

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round((lon - lon0) * 0.68 * scale, 1), round((lat1 - lat) * scale, 1)

    outline = " ".join(f"{x},{y}" for x, y in (xy(lat, lon) for lon, lat in KAZAKHSTAN_OUTLINE))
    return {"width": width, "height": round((lat1 - lat0) * scale), "outline": outline,
            "points": [(*xy(lat, lon), label) for lat, lon, label in points]}


# --- forms ------------------------------------------------------------------------------------

def writable_orgs(db: Session, principal: Principal, locale: str) -> list[tuple[str, str]]:
    q = select(Organization).where(Organization.status != "liquidated")
    if principal.scope("registry.write") is not Scope.ALL:
        q = q.where(Organization.id == principal.org_id)
    orgs = db.scalars(q.order_by(Organization.name_ru).limit(5000))
    return [(str(o.id), f"{registries.org_name(o, locale)} · {o.bin}") for o in orgs]


def writable_sites(db: Session, principal: Principal, locale: str) -> list[tuple[str, str]]:
    q = select(Site).join(Organization, Site.organization_id == Organization.id)
    if principal.scope("registry.write") is not Scope.ALL:
        q = q.where(Site.organization_id == principal.org_id)
    sites = db.scalars(q.order_by(Organization.name_ru, Site.name).limit(5000))
    return [(str(s.id), f"{s.name} · {registries.org_name(s.organization, locale)}") for s in sites]


def depot_options(db: Session, org_id: int | None) -> list[tuple[str, str]]:
    if not org_id:
        return []
    return [(str(s.id), f"{s.name} · {s.settlement}") for s in service.sites_of(db, org_id)]


def show_form(request: Request, db: Session, principal: Principal, *, title: str, fields: tuple[forms.Field, ...], values: dict[str, Any],
              action: str, cancel: str, errors: forms.FormErrors | None = None, readonly: frozenset[str] = frozenset(),
              status_code: int = 200, note: str | None = None):
    locale = request.state.locale
    dynamic: dict[str, Callable[[], list[tuple[str, str]]]] = {
        "regions": lambda: region_options(db, locale),
        "organizations": lambda: writable_orgs(db, principal, locale),
        "sites": lambda: writable_sites(db, principal, locale),
        "depots": lambda: depot_options(db, _int(str(values.get("organization_id") or ""))),
    }
    _ = Translator(locale)
    options: dict[str, list[tuple[str, str]]] = {}
    for f in fields:
        if isinstance(f.options, dict):
            options[f.name] = [(code, _(text)) for code, text in f.options.items()]
        elif isinstance(f.options, str):
            options[f.name] = dynamic[f.options]()
    return page(request, "registry/form.html", {
        "title": title, "fields": fields, "values": values, "options": options, "action": action, "cancel": cancel,
        "errors": errors or forms.FormErrors({}, []), "readonly": readonly, "note": note,
    }, status_code=status_code)


def submit(request: Request, db: Session, principal: Principal, form: FormData, *, fields: tuple[forms.Field, ...], model: type[BaseModel],
           partial: bool, save: Callable[[Any], Any], done: Callable[[Any], str], title: str, action: str, cancel: str,
           readonly: frozenset[str] = frozenset(), original: dict[str, Any] | None = None, note: str | None = None):
    """Validate with the API's model, save with the API's service; on error show the form again
    with the messages next to their fields (nothing is saved)."""
    editable = tuple(f for f in fields if f.name not in readonly)
    try:
        obj = save(model.model_validate(forms.payload(form, editable, partial)))
    except (ValidationError, Problem) as exc:
        db.rollback()
        if isinstance(exc, Problem) and exc.status in (401, 404):
            raise
        errors = forms.errors_of(exc, request.state.locale, {f.name for f in fields})
        values = forms.form_values(form, fields)
        values.update({k: v for k, v in (original or {}).items() if k in readonly})
        return show_form(request, db, principal, title=title, fields=fields, values=values, action=action, cancel=cancel, errors=errors,
                         readonly=readonly, status_code=exc.status if isinstance(exc, Problem) else 422, note=note)
    db.commit()
    return RedirectResponse(done(obj) + "?saved=1", status_code=303)


# --- organizations ----------------------------------------------------------------------------

def _org_filters(request: Request, db: Session) -> service.OrgFilters:
    a = request.query_params
    return service.OrgFilters(q=a.get("q") or None, roles=[r for r in a.getlist("role") if r in ORG_ROLES], region=_region_filter(request, db),
                              legal_form=_choice(a.get("legal_form"), LEGAL_FORMS), status=_choice(a.get("status"), ORG_STATUSES))


@router.get("/organizations", response_class=HTMLResponse)
def organizations(request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    result = service.list_organizations(db, principal, _org_filters(request, db), _page_no(request), PER_PAGE)
    return listing(request, "registry/organizations.html", "registry/_organization_rows.html", {
        "result": result, "regions": region_options(db, request.state.locale), "can_register": principal.can("registry.register"),
        "roles": ORG_ROLES, "legal_forms": LEGAL_FORMS, "statuses": ORG_STATUSES,
    })


@router.get("/organizations/new", response_class=HTMLResponse)
def organization_new(request: Request, principal: Principal = REGISTER, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    return show_form(request, db, principal, title=_("Register an organization"), fields=forms.ORGANIZATION,
                     values={"status": "active", "legal_form": "llp", "roles": []}, action="/registry/organizations/new", cancel="/registry/organizations")


@router.post("/organizations/new", response_class=HTMLResponse)
def organization_create(request: Request, form: FormData = Depends(form_data), principal: Principal = REGISTER, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.ORGANIZATION, model=OrganizationIn, partial=False,
                  save=lambda data: service.create_organization(db, principal, data), done=lambda o: f"/registry/organizations/{o.id}",
                  title=_("Register an organization"), action="/registry/organizations/new", cancel="/registry/organizations")


@router.get("/organizations/{org_id}", response_class=HTMLResponse)
def organization(org_id: int, request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    org = service.visible_organization(db, principal, org_id)
    sites = service.list_sites(db, principal, service.SiteFilters(organization_id=org.id), 1, 500).items
    vehicles = service.list_vehicles(db, principal, service.VehicleFilters(organization_id=org.id), 1, 500).items
    instruments = service.list_instruments(db, principal, service.InstrumentFilters(organization_id=org.id), 1, 500).items
    return page(request, "registry/organization.html", {
        "org": org, "sites": sites, "vehicles": vehicles, "instruments": [service.instrument_out(i) for i in instruments],
        "can_write": principal.can("registry.write") and service.can_write(principal, org),
        "map": kz_map([(s.lat, s.lon, s.name) for s in sites]) if sites else None,
    })


def _org_readonly(principal: Principal) -> frozenset[str]:
    if principal.scope("registry.write") is Scope.ALL:
        return frozenset()
    return frozenset(f.name for f in forms.ORGANIZATION_EDIT if f.name not in OWN_ORGANIZATION_FIELDS)


@router.get("/organizations/{org_id}/edit", response_class=HTMLResponse)
def organization_edit(org_id: int, request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    org = service.writable_organization(db, principal, org_id)
    _ = Translator(request.state.locale)
    readonly = _org_readonly(principal)
    return show_form(request, db, principal, title=_("Edit {name}", name=registries.org_name(org, request.state.locale)), fields=forms.ORGANIZATION_EDIT,
                     values=forms.values_of(org, forms.ORGANIZATION_EDIT), action=f"/registry/organizations/{org.id}/edit",
                     cancel=f"/registry/organizations/{org.id}", readonly=readonly,
                     note=_("You may change the contact details; the other fields are kept by the authorized body.") if readonly else None)


@router.post("/organizations/{org_id}/edit", response_class=HTMLResponse)
def organization_update(org_id: int, request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    org = service.writable_organization(db, principal, org_id)
    readonly = _org_readonly(principal)
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.ORGANIZATION_EDIT, model=OrganizationPatch, partial=True,
                  save=lambda data: service.update_organization(db, principal, org_id, data), done=lambda o: f"/registry/organizations/{o.id}",
                  title=_("Edit {name}", name=registries.org_name(org, request.state.locale)), action=f"/registry/organizations/{org_id}/edit",
                  cancel=f"/registry/organizations/{org_id}", readonly=readonly, original=forms.values_of(org, forms.ORGANIZATION_EDIT),
                  note=_("You may change the contact details; the other fields are kept by the authorized body.") if readonly else None)


# --- the registries of the Concept ------------------------------------------------------------

def _registry_page(slug: str):
    reg = registries.REGISTRIES[slug]

    def view(request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
        f = _org_filters(request, db)
        result, counts = registries.entries(db, principal, reg, f, _page_no(request), PER_PAGE)
        base = f"/api/v1/registries/{slug}/export?"
        params = [(k, v) for k, v in request.query_params.multi_items() if k in ("q", "region", "role", "status") and v]
        return listing(request, "registry/registry.html", "registry/_registry_rows.html", {
            "reg": reg, "result": result, "counts": counts, "regions": region_options(db, request.state.locale),
            "roles": {r: ORG_ROLES[r] for r in reg.roles} if len(reg.roles) > 1 else {}, "statuses": ORG_STATUSES,
            "export_xlsx": base + urlencode(params + [("format", "xlsx"), ("lang", request.state.locale)]),
            "export_csv": base + urlencode(params + [("format", "csv"), ("lang", request.state.locale)]),
            "wm_roles": WASTE_MANAGEMENT_ROLES,
        })

    view.__name__ = f"registry_{slug.replace('-', '_')}"
    router.add_api_route(f"/{slug}", view, methods=["GET"], response_class=HTMLResponse)


for _slug in registries.REGISTRIES:
    _registry_page(_slug)


# --- sites ------------------------------------------------------------------------------------

def _site_filters(request: Request, db: Session) -> service.SiteFilters:
    a = request.query_params
    return service.SiteFilters(q=a.get("q") or None, organization_id=_int(a.get("organization_id")), site_type=_choice(a.get("site_type"), SITE_TYPES),
                               region=_region_filter(request, db), status=_choice(a.get("status"), SITE_STATUSES), operation=_choice(a.get("operation"), OPERATIONS))


@router.get("/sites", response_class=HTMLResponse)
def sites(request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    result = service.list_sites(db, principal, _site_filters(request, db), _page_no(request), PER_PAGE)
    return listing(request, "registry/sites.html", "registry/_site_rows.html", {
        "result": result, "regions": region_options(db, request.state.locale), "site_types": SITE_TYPES, "statuses": SITE_STATUSES,
        "operations": OPERATIONS, "can_write": principal.can("registry.write"),
    })


@router.get("/sites/new", response_class=HTMLResponse)
def site_new(request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    owner = _int(request.query_params.get("organization_id")) or (principal.org_id if principal.scope("registry.write") is not Scope.ALL else None)
    region = db.scalar(select(Organization.region_kato).where(Organization.id == owner)) if owner else None
    return show_form(request, db, principal, title=_("New site"), fields=forms.SITE,
                     values={"organization_id": owner or "", "region_kato": region or "", "status": "active", "geofence_radius_m": 150,
                             "loss_tolerance_pct": "5.00", "permitted_operations": []},
                     action="/registry/sites/new", cancel=f"/registry/organizations/{owner}" if owner else "/registry/sites")


@router.post("/sites/new", response_class=HTMLResponse)
def site_create(request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.SITE, model=SiteIn, partial=False,
                  save=lambda data: service.create_site(db, principal, data), done=lambda s: f"/registry/sites/{s.id}",
                  title=_("New site"), action="/registry/sites/new", cancel="/registry/sites")


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site(site_id: int, request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    s = service.visible_site(db, principal, site_id)
    instruments = service.list_instruments(db, principal, service.InstrumentFilters(site_id=s.id), 1, 500).items
    vehicles = service.list_vehicles(db, principal, service.VehicleFilters(organization_id=s.organization_id), 1, 500).items
    return page(request, "registry/site.html", {
        "site": s, "instruments": [service.instrument_out(i) for i in instruments],
        "vehicles": [v for v in vehicles if v.depot_site_id == s.id],
        "can_write": principal.can("registry.write") and service.can_write(principal, s.organization), "map": kz_map([(s.lat, s.lon, s.name)]),
    })


@router.get("/sites/{site_id}/edit", response_class=HTMLResponse)
def site_edit(site_id: int, request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    s = service.writable_site(db, principal, site_id)
    _ = Translator(request.state.locale)
    return show_form(request, db, principal, title=_("Edit {name}", name=s.name), fields=forms.SITE, values=forms.values_of(s, forms.SITE),
                     action=f"/registry/sites/{s.id}/edit", cancel=f"/registry/sites/{s.id}")


@router.post("/sites/{site_id}/edit", response_class=HTMLResponse)
def site_update(site_id: int, request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    s = service.writable_site(db, principal, site_id)
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.SITE, model=SitePatch, partial=True,
                  save=lambda data: service.update_site(db, principal, site_id, data), done=lambda x: f"/registry/sites/{x.id}",
                  title=_("Edit {name}", name=s.name), action=f"/registry/sites/{site_id}/edit", cancel=f"/registry/sites/{site_id}")


# --- vehicles ---------------------------------------------------------------------------------

def _vehicle_filters(request: Request, db: Session) -> service.VehicleFilters:
    a = request.query_params
    tracked = {"yes": True, "no": False}.get(a.get("tracked") or "")
    return service.VehicleFilters(q=a.get("q") or None, organization_id=_int(a.get("organization_id")), vehicle_type=_choice(a.get("vehicle_type"), VEHICLE_TYPES),
                                  status=_choice(a.get("status"), VEHICLE_STATUSES), region=_region_filter(request, db), tracked=tracked)


@router.get("/vehicles", response_class=HTMLResponse)
def vehicles(request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    result = service.list_vehicles(db, principal, _vehicle_filters(request, db), _page_no(request), PER_PAGE)
    return listing(request, "registry/vehicles.html", "registry/_vehicle_rows.html", {
        "result": result, "regions": region_options(db, request.state.locale), "vehicle_types": VEHICLE_TYPES, "statuses": VEHICLE_STATUSES,
        "can_write": principal.can("registry.write"),
    })


@router.get("/depot-options", response_class=HTMLResponse)
def vehicle_depots(request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    """The depot choices of the owner picked on the vehicle form (HTMX)."""
    owner = _int(request.query_params.get("organization_id"))
    org = db.get(Organization, owner) if owner else None
    choices = depot_options(db, owner) if org is not None and service.can_write(principal, org) else []
    return page(request, "registry/_options.html", {"choices": choices, "empty": True})


@router.get("/vehicles/new", response_class=HTMLResponse)
def vehicle_new(request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    owner = _int(request.query_params.get("organization_id")) or (principal.org_id if principal.scope("registry.write") is not Scope.ALL else None)
    return show_form(request, db, principal, title=_("New vehicle"), fields=forms.VEHICLE,
                     values={"organization_id": owner or "", "status": "active", "vehicle_type": "rear_loader"},
                     action="/registry/vehicles/new", cancel=f"/registry/organizations/{owner}" if owner else "/registry/vehicles")


@router.post("/vehicles/new", response_class=HTMLResponse)
def vehicle_create(request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.VEHICLE, model=VehicleIn, partial=False,
                  save=lambda data: service.create_vehicle(db, principal, data), done=lambda v: f"/registry/vehicles/{v.id}",
                  title=_("New vehicle"), action="/registry/vehicles/new", cancel="/registry/vehicles")


@router.get("/vehicles/{vehicle_id}", response_class=HTMLResponse)
def vehicle(vehicle_id: int, request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    v = service.visible_vehicle(db, principal, vehicle_id)
    depot = db.get(Site, v.depot_site_id) if v.depot_site_id else None
    return page(request, "registry/vehicle.html", {
        "vehicle": v, "depot": depot, "can_write": principal.can("registry.write") and service.can_write(principal, v.organization),
    })


@router.get("/vehicles/{vehicle_id}/edit", response_class=HTMLResponse)
def vehicle_edit(vehicle_id: int, request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    v = service.writable_vehicle(db, principal, vehicle_id)
    values = forms.values_of(v, forms.VEHICLE)
    values["plate"] = plate_display(v.plate)
    _ = Translator(request.state.locale)
    return show_form(request, db, principal, title=_("Edit {name}", name=plate_display(v.plate)), fields=forms.VEHICLE, values=values,
                     action=f"/registry/vehicles/{v.id}/edit", cancel=f"/registry/vehicles/{v.id}")


@router.post("/vehicles/{vehicle_id}/edit", response_class=HTMLResponse)
def vehicle_update(vehicle_id: int, request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    v = service.writable_vehicle(db, principal, vehicle_id)
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.VEHICLE, model=VehiclePatch, partial=True,
                  save=lambda data: service.update_vehicle(db, principal, vehicle_id, data), done=lambda x: f"/registry/vehicles/{x.id}",
                  title=_("Edit {name}", name=plate_display(v.plate)), action=f"/registry/vehicles/{vehicle_id}/edit", cancel=f"/registry/vehicles/{vehicle_id}")


# --- weighing instruments ---------------------------------------------------------------------

def _instrument_filters(request: Request, db: Session) -> service.InstrumentFilters:
    a = request.query_params
    return service.InstrumentFilters(q=a.get("q") or None, site_id=_int(a.get("site_id")), organization_id=_int(a.get("organization_id")),
                                     region=_region_filter(request, db), instrument_type=_choice(a.get("instrument_type"), INSTRUMENT_TYPES),
                                     status=_choice(a.get("status"), INSTRUMENT_STATUSES), verification=_choice(a.get("verification"), VERIFICATION_STATES))


@router.get("/instruments", response_class=HTMLResponse)
def instruments(request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    result = service.list_instruments(db, principal, _instrument_filters(request, db), _page_no(request), PER_PAGE)
    return listing(request, "registry/instruments.html", "registry/_instrument_rows.html", {
        "result": result, "rows": [service.instrument_out(i) for i in result.items], "regions": region_options(db, request.state.locale),
        "instrument_types": INSTRUMENT_TYPES, "statuses": INSTRUMENT_STATUSES, "states": VERIFICATION_STATES, "can_write": principal.can("registry.write"),
        "site_names": {i.id: (i.site.name, i.site.organization) for i in result.items},
    })


@router.get("/instruments/new", response_class=HTMLResponse)
def instrument_new(request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    site_id = _int(request.query_params.get("site_id"))
    return show_form(request, db, principal, title=_("New weighing instrument"), fields=forms.INSTRUMENT,
                     values={"site_id": site_id or "", "status": "active", "instrument_type": "truck_scale"},
                     action="/registry/instruments/new", cancel=f"/registry/sites/{site_id}" if site_id else "/registry/instruments")


@router.post("/instruments/new", response_class=HTMLResponse)
def instrument_create(request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.INSTRUMENT, model=InstrumentIn, partial=False,
                  save=lambda data: service.create_instrument(db, principal, data), done=lambda i: f"/registry/instruments/{i.id}",
                  title=_("New weighing instrument"), action="/registry/instruments/new", cancel="/registry/instruments")


def _instrument_page(request: Request, db: Session, principal: Principal, instrument_id: int, *, cert_values=None, cert_errors=None, status_code=200):
    inst = service.visible_instrument(db, principal, instrument_id)
    return page(request, "registry/instrument.html", {
        "inst": inst, "out": service.instrument_out(inst), "site": inst.site,
        "can_write": principal.can("registry.write") and service.can_write(principal, inst.site.organization),
        "cert_fields": forms.CERTIFICATE, "cert_values": cert_values or {}, "cert_errors": cert_errors or forms.FormErrors({}, []),
    }, status_code=status_code)


@router.get("/instruments/{instrument_id}", response_class=HTMLResponse)
def instrument(instrument_id: int, request: Request, principal: Principal = READ, db: Session = Depends(get_db)):
    return _instrument_page(request, db, principal, instrument_id)


@router.post("/instruments/{instrument_id}/certificates", response_class=HTMLResponse)
def certificate_add(instrument_id: int, request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    try:
        data = CertificateIn.model_validate(forms.payload(form, forms.CERTIFICATE, partial=False))
        service.add_certificate(db, principal, instrument_id, data)
    except (ValidationError, Problem) as exc:
        db.rollback()
        if isinstance(exc, Problem) and exc.status == 404:
            raise
        errors = forms.errors_of(exc, request.state.locale, {f.name for f in forms.CERTIFICATE})
        return _instrument_page(request, db, principal, instrument_id, cert_values=forms.form_values(form, forms.CERTIFICATE), cert_errors=errors,
                                status_code=422 if not isinstance(exc, Problem) else exc.status)
    db.commit()
    return RedirectResponse(f"/registry/instruments/{instrument_id}?saved=1", status_code=303)


@router.get("/instruments/{instrument_id}/edit", response_class=HTMLResponse)
def instrument_edit(instrument_id: int, request: Request, principal: Principal = WRITE, db: Session = Depends(get_db)):
    inst = service.writable_instrument(db, principal, instrument_id)
    _ = Translator(request.state.locale)
    return show_form(request, db, principal, title=_("Edit {name}", name=f"{inst.name} · {inst.serial_number}"), fields=forms.INSTRUMENT,
                     values=forms.values_of(inst, forms.INSTRUMENT), action=f"/registry/instruments/{inst.id}/edit", cancel=f"/registry/instruments/{inst.id}")


@router.post("/instruments/{instrument_id}/edit", response_class=HTMLResponse)
def instrument_update(instrument_id: int, request: Request, form: FormData = Depends(form_data), principal: Principal = WRITE, db: Session = Depends(get_db)):
    inst = service.writable_instrument(db, principal, instrument_id)
    _ = Translator(request.state.locale)
    return submit(request, db, principal, form, fields=forms.INSTRUMENT, model=InstrumentPatch, partial=True,
                  save=lambda data: service.update_instrument(db, principal, instrument_id, data), done=lambda x: f"/registry/instruments/{x.id}",
                  title=_("Edit {name}", name=f"{inst.name} · {inst.serial_number}"), action=f"/registry/instruments/{instrument_id}/edit",
                  cancel=f"/registry/instruments/{instrument_id}")
