"""The registry's web forms as data: which fields, of what kind, with which options. One template
renders them all; submitted values go through the same Pydantic models and services as the API,
so a form and the API refuse exactly the same input with the same messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from qaldyq.core.errors import Problem, pydantic_field_errors
from qaldyq.core.i18n import N_, translate
from qaldyq.registry.vocab import (
    INSTRUMENT_STATUSES, INSTRUMENT_TYPES, LEGAL_FORMS, OPERATIONS, ORG_ROLES, ORG_STATUSES, SITE_STATUSES, SITE_TYPES, VEHICLE_STATUSES, VEHICLE_TYPES,
)

Options = dict[str, str] | str | None  # a vocabulary, or the name of a dynamic list the view supplies


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, number, select, checkboxes, checkbox, textarea, codes, date, email, tel
    options: Options = None
    required: bool = False
    help: str | None = None
    wide: bool = False
    step: str | None = None
    maxlength: int | None = None


ORGANIZATION = (
    Field("bin", N_("BIN"), required=True, help=N_("12 digits; the last one is a check digit."), maxlength=12),
    Field("legal_form", N_("Legal form"), "select", LEGAL_FORMS, required=True),
    Field("name_kk", N_("Name in Kazakh"), required=True, wide=True, maxlength=300),
    Field("name_ru", N_("Name in Russian"), required=True, wide=True, maxlength=300),
    Field("region_kato", N_("Region"), "select", "regions", required=True),
    Field("status", N_("Status"), "select", ORG_STATUSES, required=True),
    Field("roles", N_("Roles"), "checkboxes", ORG_ROLES, required=True, wide=True),
    Field("hazardous_license", N_("Hazardous waste licence"), help=N_("Number of the licence to handle hazardous waste, if any."), maxlength=60),
    Field("address", N_("Address"), wide=True, maxlength=300),
    Field("phone", N_("Phone"), "tel", maxlength=40),
    Field("email", N_("E-mail"), "email", maxlength=200),
)
ORGANIZATION_EDIT = tuple(f for f in ORGANIZATION if f.name != "bin")

SITE = (
    Field("organization_id", N_("Owner"), "select", "organizations", required=True, wide=True),
    Field("name", N_("Name"), required=True, wide=True, maxlength=300),
    Field("site_type", N_("Type"), "select", SITE_TYPES, required=True),
    Field("status", N_("Status"), "select", SITE_STATUSES, required=True),
    Field("region_kato", N_("Region"), "select", "regions", required=True),
    Field("settlement", N_("Settlement"), required=True, maxlength=200),
    Field("address", N_("Address"), wide=True, maxlength=300),
    Field("lat", N_("Latitude"), "number", required=True, step="any", help=N_("Decimal degrees, for example 51.1282")),
    Field("lon", N_("Longitude"), "number", required=True, step="any", help=N_("Decimal degrees, for example 71.4306")),
    Field("geofence_radius_m", N_("Geofence radius, m"), "number", step="1"),
    Field("design_capacity_t", N_("Design capacity, t/year"), "number", step="0.001"),
    Field("loss_tolerance_pct", N_("Tolerated loss, %"), "number", step="0.01"),
    Field("permitted_operations", N_("Permitted operations"), "checkboxes", OPERATIONS, wide=True),
    Field("permitted_waste_codes", N_("Permitted waste codes"), "codes", wide=True,
          help=N_("Codes or chapter prefixes of the waste classifier, separated by commas or new lines: 17 01 01, 16 06 01*, 20 03.")),
)

VEHICLE = (
    Field("organization_id", N_("Owner"), "select", "organizations", required=True, wide=True),
    Field("plate", N_("Plate"), required=True, help=N_("For example 123 AB 01"), maxlength=20),
    Field("vehicle_type", N_("Type"), "select", VEHICLE_TYPES, required=True),
    Field("payload_kg", N_("Payload, kg"), "number", required=True, step="1"),
    Field("status", N_("Status"), "select", VEHICLE_STATUSES, required=True),
    Field("tracker_id", N_("GPS tracker id"), help=N_("The identifier the tracker sends (often its IMEI)."), maxlength=64),
    Field("depot_site_id", N_("Depot"), "select", "depots"),
    Field("hazardous_equipped", N_("Equipped to carry hazardous waste"), "checkbox"),
)

INSTRUMENT = (
    Field("site_id", N_("Site"), "select", "sites", required=True, wide=True),
    Field("name", N_("Name of the measuring instrument"), required=True, wide=True, maxlength=200),
    Field("instrument_type", N_("Type"), "select", INSTRUMENT_TYPES, required=True),
    Field("serial_number", N_("Serial number"), required=True, maxlength=64),
    Field("year_made", N_("Year of manufacture"), "number", required=True, step="1"),
    Field("max_load_kg", N_("Maximum load, kg"), "number", step="1"),
    Field("status", N_("Status"), "select", INSTRUMENT_STATUSES, required=True),
)

CERTIFICATE = (
    Field("number", N_("Certificate number"), required=True, maxlength=64),
    Field("issuer", N_("Issued by"), maxlength=200),
    Field("valid_from", N_("Valid from"), "date", required=True),
    Field("valid_to", N_("Valid to"), "date", required=True),
    Field("note", N_("Note"), "textarea", wide=True),
)


def payload(form: FormData, fields: tuple[Field, ...], partial: bool) -> dict[str, Any]:
    """Form values as the API body: empty fields are left out of a new record (so a required one
    is reported as required) and sent as null in an edit (so an optional one is cleared)."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkboxes":
            out[f.name] = [v for v in form.getlist(f.name) if isinstance(v, str)]
            continue
        if f.kind == "checkbox":
            out[f.name] = form.get(f.name) in ("on", "true", "1")
            continue
        raw = form.get(f.name)
        if raw is None and f.name not in form:
            continue  # not on this form (e.g. a field the user may not change)
        value = raw.strip() if isinstance(raw, str) else ""
        if f.kind == "codes":
            out[f.name] = [c for c in re.split(r"[,;\n]+", value) if c.strip()]
        elif value == "":
            if partial:
                out[f.name] = None
        else:
            out[f.name] = value
    return out


def values_of(obj: Any, fields: tuple[Field, ...]) -> dict[str, Any]:
    """A record's values for an edit form."""
    out = {}
    for f in fields:
        value = getattr(obj, "role_names" if f.name == "roles" else f.name, None)
        if f.kind == "codes":
            value = ", ".join(value or [])
        out[f.name] = "" if value is None else value
    return out


def form_values(form: FormData, fields: tuple[Field, ...]) -> dict[str, Any]:
    """What the user typed, to show it again next to the errors."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkboxes":
            out[f.name] = form.getlist(f.name)
        elif f.kind == "checkbox":
            out[f.name] = form.get(f.name) in ("on", "true", "1")
        else:
            out[f.name] = form.get(f.name, "")
    return out


def field_name(pointer: str | None) -> str | None:
    if not pointer:
        return None
    return pointer.lstrip("/").split("/")[0] or None


@dataclass
class FormErrors:
    fields: dict[str, str]
    general: list[str]


def errors_of(exc: Exception, locale: str, known: set[str]) -> FormErrors:
    """Field messages (translated) from a Pydantic error or a Problem; what names no field of the
    form goes on top of it."""
    fields: dict[str, str] = {}
    general: list[str] = []
    if isinstance(exc, ValidationError):
        items = pydantic_field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        title = None
    elif isinstance(exc, Problem):
        items = exc.errors
        title = exc.detail or exc.title
    else:  # pragma: no cover
        raise exc
    for e in items:
        text = translate(locale, e.msgid, **e.params)
        name = field_name(e.pointer)
        if name in known:
            fields.setdefault(name, text)
        elif text not in general:
            general.append(text)
    if not items and title:
        general.append(translate(locale, title, **getattr(exc, "params", {})))
    return FormErrors(fields, general)

