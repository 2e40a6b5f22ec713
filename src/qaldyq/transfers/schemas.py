from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qaldyq.core.errors import field_error
from qaldyq.core.i18n import N_
from qaldyq.core.schemas import Strict

# R1–R13 recovery and D1–D15 disposal operations (Basel Convention Annex IV, as used by the
# Environmental Code's classification of waste operations).
OPERATIONS = tuple(f"R{i}" for i in range(1, 14)) + tuple(f"D{i}" for i in range(1, 16))
PHYSICAL_FORMS = ("solid", "liquid", "sludge", "paste", "powder", "gas_in_container", "mixed")
HAZARD_PROPERTIES = tuple(f"HP{i}" for i in range(1, 16))
CONTAINER_TYPES = ("bulk", "bag", "big_bag", "drum", "container", "tank", "box", "pallet", "other")
FORM_LABELS = {"solid": N_("solid"), "liquid": N_("liquid"), "sludge": N_("sludge"), "paste": N_("paste"), "powder": N_("powder"),
               "gas_in_container": N_("gas in a container"), "mixed": N_("mixed")}
CONTAINER_LABELS = {"bulk": N_("in bulk"), "bag": N_("bags"), "big_bag": N_("big bags"), "drum": N_("drums"), "container": N_("containers"),
                    "tank": N_("tank"), "box": N_("boxes"), "pallet": N_("pallets"), "other": N_("other")}
MAX_MASS_KG = 60_000  # one road movement; a heavier declared mass is a typo or fraud
Operation = Literal[OPERATIONS]  # type: ignore[valid-type]


class Container(Strict):
    type: Literal[CONTAINER_TYPES]  # type: ignore[valid-type]
    count: int = Field(ge=1, le=10_000)


class LegIn(Strict):
    carrier_org_id: int = Field(ge=1)
    vehicle_id: int | None = Field(default=None, ge=1)


class TransferIn(Strict):
    consignor_site_id: int = Field(ge=1)
    receiver_site_id: int = Field(ge=1)
    legs: list[LegIn] = Field(min_length=1, max_length=5)
    waste_code: str = Field(min_length=2, max_length=16)
    description: str = Field(min_length=1, max_length=500)
    physical_form: Literal[PHYSICAL_FORMS]  # type: ignore[valid-type]
    hazard_properties: list[Literal[HAZARD_PROPERTIES]] = Field(default_factory=list, max_length=15)  # type: ignore[valid-type]
    containers: list[Container] = Field(min_length=1, max_length=20)
    declared_mass_kg: int = Field(gt=0, le=MAX_MASS_KG)
    mass_basis: Literal["weighed", "estimated"]
    planned_operation: Operation
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100)

    @model_validator(mode="after")
    def _different_sites(self):
        if self.consignor_site_id == self.receiver_site_id:
            raise field_error("The receiver must be another site than the consignor.")
        return self


class TransferEdit(Strict):
    """Changes to a draft (or to the fields whose turn it is); sealed fields are refused."""

    receiver_site_id: int | None = Field(default=None, ge=1)
    legs: list[LegIn] | None = Field(default=None, min_length=1, max_length=5)
    waste_code: str | None = Field(default=None, min_length=2, max_length=16)
    description: str | None = Field(default=None, min_length=1, max_length=500)
    physical_form: Literal[PHYSICAL_FORMS] | None = None  # type: ignore[valid-type]
    hazard_properties: list[Literal[HAZARD_PROPERTIES]] | None = None  # type: ignore[valid-type]
    containers: list[Container] | None = Field(default=None, min_length=1, max_length=20)
    declared_mass_kg: int | None = Field(default=None, gt=0, le=MAX_MASS_KG)
    mass_basis: Literal["weighed", "estimated"] | None = None
    planned_operation: Operation | None = None
    expected_version: int = Field(ge=1, description="the version the change is based on (optimistic locking)")


class LegVehicle(Strict):
    vehicle_id: int = Field(ge=1)
    expected_version: int = Field(ge=1)


class WeighingIn(Strict):
    instrument_id: int = Field(ge=1)
    gross_kg: int = Field(gt=0, le=200_000)
    tare_kg: int = Field(ge=0, le=200_000)
    weighed_at: datetime
    expected_version: int = Field(ge=1)

    @model_validator(mode="after")
    def _net_positive(self):
        if self.tare_kg >= self.gross_kg:
            raise field_error("The tare must be less than the gross mass.")
        return self


class AcceptanceIn(Strict):
    accepted_kg: int = Field(ge=0, le=200_000)
    refused_kg: int = Field(ge=0, le=200_000)
    refusal_reason: str | None = Field(default=None, max_length=1000)
    expected_version: int = Field(ge=1)

    @model_validator(mode="after")
    def _reason_for_refusal(self):
        if self.refused_kg > 0 and not (self.refusal_reason or "").strip():
            raise field_error("A reason is required when mass is refused.")
        return self


class ProcessingIn(Strict):
    operation_done: Operation
    expected_version: int = Field(ge=1)


class CancelIn(Strict):
    reason: str = Field(min_length=3, max_length=1000)
    expected_version: int = Field(ge=1)


class SignatureIn(Strict):
    action: Literal["sign_consignor", "sign_carrier", "receive", "accept", "process"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(min_length=16, max_length=4096, description="base64 signature over the payload bytes")


class SigningRequest(BaseModel):
    payload: str
    sha256: str
    version: int
    action: str


class LegOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    carrier_org_id: int
    vehicle_id: int | None
    taken_over_at: datetime | None


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    state: str
    version: int
    consignor_org_id: int
    consignor_site_id: int
    receiver_org_id: int
    receiver_site_id: int
    legs: list[LegOut]
    waste_code: str
    hazardous: bool
    description: str
    physical_form: str
    hazard_properties: list[str]
    containers: list[dict]
    declared_mass_kg: int
    mass_basis: str
    planned_operation: str
    picked_up_at: datetime | None
    instrument_id: int | None
    gross_kg: int | None
    tare_kg: int | None
    net_kg: int | None
    received_at: datetime | None
    accepted_kg: int | None
    refused_kg: int | None
    refusal_reason: str | None
    accepted_at: datetime | None
    operation_done: str | None
    processed_at: datetime | None
    warnings: list[dict]
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str] = Field(default_factory=list)


class RevisionIn(Strict):
    changes: dict[str, str | int | None] = Field(min_length=1, max_length=6)
    reason: str = Field(min_length=5, max_length=1000)


class RevisionDecision(Strict):
    approved: bool
    comment: str | None = Field(default=None, max_length=1000)


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    org_id: int
    approved: bool
    comment: str | None
    at: datetime


class RevisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    requested_by_org_id: int
    changes: dict
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    approvals: list[ApprovalOut]


class TransferPage(BaseModel):
    total: int
    items: list[TransferOut]


class WorkflowOut(BaseModel):
    transitions: list[dict]
    fields: list[dict]


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    action: str
    sha256: str
    created_at: datetime
    snapshot: dict


class SignatureCheckOut(BaseModel):
    action: str
    signed_at: datetime
    algorithm: str
    valid: bool
    chain_trusted: bool


class VerificationOut(BaseModel):
    number: str
    state: str
    version: int
    waste_code: str
    declared_mass_kg: int
    accepted_kg: int | None
    signatures: list[SignatureCheckOut]
    intact: bool
    problems: list[str]


# ---------------------------------------------------------------- bulk (transfers/bulk.py)

from typing import Any  # noqa: E402

BULK_OPS = ("create", "vehicle", "weighing", "acceptance", "operation", "sign")


class BulkItem(Strict):
    """One operation: `data` is the body of the matching single endpoint (create: TransferIn;
    vehicle: LegVehicle; weighing: WeighingIn; acceptance: AcceptanceIn; operation:
    ProcessingIn; sign: SignatureIn), `number` the document for every op but create."""

    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[\x21-\x7e]+$")
    op: Literal[BULK_OPS]  # type: ignore[valid-type]
    number: str | None = Field(default=None, pattern=r"^TD-\d{4}-\d{6,}$", max_length=20)
    data: dict


class BulkIn(Strict):
    # items are validated one by one (bulk.py), so one bad item does not refuse the others
    items: list[Any] = Field(min_length=1, max_length=1000)


class BulkItemOut(BaseModel):
    index: int
    idempotency_key: str | None
    ok: bool
    number: str | None = None
    state: str | None = None
    version: int | None = None
    replayed: bool = False
    problem: dict | None = None


class BulkOut(BaseModel):
    succeeded: int
    failed: int
    items: list[BulkItemOut]


class ImportOut(BaseModel):
    rows: int
    created: int
    numbers: list[str]
    dry_run: bool


class SigningRequestsIn(Strict):
    class Item(Strict):
        number: str = Field(pattern=r"^TD-\d{4}-\d{6,}$", max_length=20)
        action: Literal["sign_consignor", "sign_carrier", "receive", "accept", "process"]

    items: list[Item] = Field(min_length=1, max_length=1000)


class SigningRequestItem(BaseModel):
    index: int
    number: str
    ok: bool
    action: str | None = None
    version: int | None = None
    payload: str | None = None
    sha256: str | None = None
    problem: dict | None = None


class SigningRequestsOut(BaseModel):
    items: list[SigningRequestItem]
