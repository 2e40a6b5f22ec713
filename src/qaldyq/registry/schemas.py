"""Pydantic models of the registry API: what comes in (strict, normalized) and what goes out.

Checks that need only the value live here (BIN checksum, plate format, dates in order); checks
that need the database (a region exists, a BIN is free, coordinates against the border when only
one of them is patched) live in the service.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, ValidationInfo, field_serializer, field_validator

from qaldyq.core.errors import field_error
from qaldyq.core.schemas import Strict
from qaldyq.registry import normalize
from qaldyq.registry.bin import is_valid_bin
from qaldyq.registry.vocab import (
    MAX_CAPACITY_T, MAX_CERTIFICATE_YEARS, MAX_INSTRUMENT_LOAD_KG, MAX_PAYLOAD_KG, OLDEST_INSTRUMENT_YEAR,
    InstrumentStatus, InstrumentType, LegalForm, Operation, OrgRole, OrgStatus, SiteStatus, SiteType, VehicleStatus, VehicleType,
)

T = TypeVar("T")


def _bin(value: str) -> str:
    value = value.replace(" ", "")
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise field_error("A BIN has exactly 12 digits.")
    if not is_valid_bin(value):
        raise field_error("The BIN {bin} is not valid: its check digit does not match.", bin=value)
    return value


def _plate(value: str) -> str:
    canon = normalize.plate(value)
    if canon is None:
        raise field_error("Not a vehicle plate of Kazakhstan (for example 123 AB 01).")
    return canon


def _waste_code(value: str) -> str:
    canon = normalize.waste_code(value)
    if canon is None:
        raise field_error("Not a waste code or chapter prefix (for example 17 01 01, 16 06 01* or 17 01).")
    return canon


def _phone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    canon = normalize.phone(value)
    if canon is None:
        raise field_error("Not a phone number (for example +7 717 200 00 00).")
    return canon


def _email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not normalize.EMAIL.match(value):
        raise field_error("Not an e-mail address.")
    return value.lower()


def _kato(value: str) -> str:
    if not (len(value) == 9 and value.isdigit()):
        raise field_error("A KATO code has 9 digits.")
    return value


def _tracker(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not (4 <= len(value) <= 64) or not all(c.isalnum() and c.isascii() or c in "-_.:" for c in value):
        raise field_error("A tracker id has 4 to 64 Latin letters, digits or - _ . :")
    return value


def _unique(items: list) -> list:
    seen: list = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


Bin = Annotated[str, Field(examples=["240140000019"]), AfterValidator(_bin)]
Kato = Annotated[str, Field(examples=["710000000"], description="KATO code of a region"), AfterValidator(_kato)]
Plate = Annotated[str, Field(max_length=20, examples=["123 AB 01"]), AfterValidator(_plate)]
WasteCode = Annotated[str, Field(max_length=20), AfterValidator(_waste_code)]
Phone = Annotated[str | None, Field(default=None, max_length=40), AfterValidator(_phone)]
Email = Annotated[str | None, Field(default=None, max_length=200), AfterValidator(_email)]
Tracker = Annotated[str | None, Field(default=None, max_length=64), AfterValidator(_tracker)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
OptText = Annotated[str | None, Field(default=None, max_length=300)]


class _Patch(Strict):
    """A partial update: only the fields sent change. Fields that may not be empty refuse null."""

    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.NOT_NULL:
            raise field_error("This field cannot be empty.")
        return value

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set}


# --- organizations ----------------------------------------------------------------------------

class OrganizationIn(Strict):
    bin: Bin
    name_kk: Name
    name_ru: Name
    legal_form: LegalForm
    region_kato: Kato
    roles: Annotated[list[OrgRole], Field(min_length=1, max_length=12), AfterValidator(_unique)]
    address: OptText = None
    phone: Phone = None
    email: Email = None
    hazardous_license: Annotated[str | None, Field(default=None, max_length=60)] = None
    status: OrgStatus = OrgStatus.ACTIVE


CONTACT_FIELDS = frozenset({"address", "phone", "email"})


class OrganizationPatch(_Patch):
    """The BIN is the organization's identity and cannot change; register a new organization."""

    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"name_kk", "name_ru", "legal_form", "region_kato", "roles", "status"})
    name_kk: Name | None = None
    name_ru: Name | None = None
    legal_form: LegalForm | None = None
    region_kato: Kato | None = None
    roles: Annotated[list[OrgRole] | None, Field(default=None, min_length=1, max_length=12), AfterValidator(lambda v: _unique(v) if v else v)] = None
    address: OptText = None
    phone: Phone = None
    email: Email = None
    hazardous_license: Annotated[str | None, Field(default=None, max_length=60)] = None
    status: OrgStatus | None = None


class RegionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kato: str
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    lat: float
    lon: float


class OrgRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    bin: str
    name_kk: str
    name_ru: str


class OrganizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    bin: str
    name_kk: str
    name_ru: str
    legal_form: str
    region_kato: str
    roles: list[str] = Field(validation_alias=AliasChoices("role_names", "roles"))
    address: str | None
    phone: str | None
    email: str | None
    hazardous_license: str | None
    status: str
    created_at: datetime


class OrganizationDetail(OrganizationOut):
    site_count: int = 0
    vehicle_count: int = 0
    instrument_count: int = 0


# --- sites ------------------------------------------------------------------------------------

class SiteIn(Strict):
    organization_id: int = Field(ge=1)
    name: Name
    site_type: SiteType
    region_kato: Kato
    settlement: Annotated[str, Field(min_length=1, max_length=200)]
    address: OptText = None
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    permitted_operations: Annotated[list[Operation], Field(default_factory=list, max_length=20), AfterValidator(_unique)]
    permitted_waste_codes: Annotated[list[WasteCode], Field(default_factory=list, max_length=500), AfterValidator(_unique)]
    design_capacity_t: Decimal | None = Field(default=None, ge=0, le=MAX_CAPACITY_T, decimal_places=3, allow_inf_nan=False)
    geofence_radius_m: int = Field(default=150, ge=10, le=10_000)
    loss_tolerance_pct: Decimal = Field(default=Decimal("5.00"), ge=0, le=50, decimal_places=2, allow_inf_nan=False)
    status: SiteStatus = SiteStatus.ACTIVE


class SitePatch(_Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"organization_id", "name", "site_type", "region_kato", "settlement", "lat", "lon", "permitted_operations",
                          "permitted_waste_codes", "geofence_radius_m", "loss_tolerance_pct", "status"})
    organization_id: int | None = Field(default=None, ge=1)
    name: Name | None = None
    site_type: SiteType | None = None
    region_kato: Kato | None = None
    settlement: Annotated[str | None, Field(default=None, min_length=1, max_length=200)] = None
    address: OptText = None
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    permitted_operations: Annotated[list[Operation] | None, Field(default=None, max_length=20), AfterValidator(lambda v: _unique(v) if v else v)] = None
    permitted_waste_codes: Annotated[list[WasteCode] | None, Field(default=None, max_length=500), AfterValidator(lambda v: _unique(v) if v else v)] = None
    design_capacity_t: Decimal | None = Field(default=None, ge=0, le=MAX_CAPACITY_T, decimal_places=3, allow_inf_nan=False)
    geofence_radius_m: int | None = Field(default=None, ge=10, le=10_000)
    loss_tolerance_pct: Decimal | None = Field(default=None, ge=0, le=50, decimal_places=2, allow_inf_nan=False)
    status: SiteStatus | None = None


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    organization_id: int
    organization: OrgRef
    name: str
    site_type: str
    region_kato: str
    settlement: str
    address: str | None
    lat: float
    lon: float
    geofence_radius_m: int
    permitted_operations: list[str]
    permitted_waste_codes: list[str]
    design_capacity_t: Decimal | None
    loss_tolerance_pct: Decimal
    status: str
    created_at: datetime

    # SQLite gives back the Decimal as stored, PostgreSQL with the column's scale: answer alike.
    @field_serializer("design_capacity_t")
    def _tonnes(self, v: Decimal | None) -> str | None:
        return None if v is None else str(Decimal(v).quantize(Decimal("0.001")))

    @field_serializer("loss_tolerance_pct")
    def _pct(self, v: Decimal) -> str:
        return str(Decimal(v).quantize(Decimal("0.01")))


# --- vehicles ---------------------------------------------------------------------------------

class VehicleIn(Strict):
    plate: Plate
    organization_id: int = Field(ge=1)
    vehicle_type: VehicleType
    payload_kg: int = Field(gt=0, le=MAX_PAYLOAD_KG)
    tracker_id: Tracker = None
    depot_site_id: int | None = Field(default=None, ge=1)
    hazardous_equipped: bool = False
    status: VehicleStatus = VehicleStatus.ACTIVE


class VehiclePatch(_Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"plate", "organization_id", "vehicle_type", "payload_kg", "hazardous_equipped", "status"})
    plate: Plate | None = None
    organization_id: int | None = Field(default=None, ge=1)
    vehicle_type: VehicleType | None = None
    payload_kg: int | None = Field(default=None, gt=0, le=MAX_PAYLOAD_KG)
    tracker_id: Tracker = None
    depot_site_id: int | None = Field(default=None, ge=1)
    hazardous_equipped: bool | None = None
    status: VehicleStatus | None = None


class VehicleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    plate: str
    organization_id: int
    organization: OrgRef
    vehicle_type: str
    payload_kg: int
    tracker_id: str | None
    depot_site_id: int | None
    hazardous_equipped: bool
    status: str
    created_at: datetime


# --- weighing instruments and certificates ----------------------------------------------------

def _year_made(value: int | None) -> int | None:
    if value is None:
        return None
    this_year = date.today().year
    if value > this_year:
        raise field_error("The year of manufacture cannot be in the future ({year} is after {this_year}).", year=value, this_year=this_year)
    if value < OLDEST_INSTRUMENT_YEAR:
        raise field_error("The year of manufacture must be {oldest} or later.", oldest=OLDEST_INSTRUMENT_YEAR)
    return value


YearMade = Annotated[int, AfterValidator(_year_made)]


class InstrumentIn(Strict):
    site_id: int = Field(ge=1)
    name: Annotated[str, Field(min_length=1, max_length=200)]
    instrument_type: InstrumentType
    serial_number: Annotated[str, Field(min_length=1, max_length=64)]
    year_made: YearMade
    max_load_kg: int | None = Field(default=None, gt=0, le=MAX_INSTRUMENT_LOAD_KG)
    status: InstrumentStatus = InstrumentStatus.ACTIVE


class InstrumentPatch(_Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"site_id", "name", "instrument_type", "serial_number", "year_made", "status"})
    site_id: int | None = Field(default=None, ge=1)
    name: Annotated[str | None, Field(default=None, min_length=1, max_length=200)] = None
    instrument_type: InstrumentType | None = None
    serial_number: Annotated[str | None, Field(default=None, min_length=1, max_length=64)] = None
    year_made: Annotated[int | None, AfterValidator(_year_made)] = None
    max_load_kg: int | None = Field(default=None, gt=0, le=MAX_INSTRUMENT_LOAD_KG)
    status: InstrumentStatus | None = None


class CertificateIn(Strict):
    number: Annotated[str, Field(min_length=1, max_length=64)]
    issuer: Annotated[str | None, Field(default=None, max_length=200)] = None
    valid_from: date
    valid_to: date
    note: Annotated[str | None, Field(default=None, max_length=2000)] = None

    @field_validator("valid_to")
    @classmethod
    def _in_order(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("valid_from")
        if start is None:
            return value
        if value < start:
            raise field_error("The end of validity ({valid_to}) is before its start ({valid_from}).", valid_to=value.isoformat(), valid_from=start.isoformat())
        if (value - start).days > MAX_CERTIFICATE_YEARS * 366:
            raise field_error("A verification certificate is valid for at most {years} years.", years=MAX_CERTIFICATE_YEARS)
        return value


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    instrument_id: int
    number: str
    issuer: str | None
    valid_from: date
    valid_to: date
    note: str | None


class InstrumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    site_id: int
    organization_id: int
    name: str
    instrument_type: str
    serial_number: str
    year_made: int
    max_load_kg: int | None
    status: str
    verification: str = Field(description="valid, expiring (within 30 days), expired or none, as of today")
    verified_until: date | None
    certificates: list[CertificateOut]


# --- lists ------------------------------------------------------------------------------------

class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    pages: int
