"""Inputs and outputs of the EPR operator-route API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from qaldyq.core.schemas import Strict


class RegistrationIn(Strict):
    organization_id: int | None = Field(default=None, description="the operator may register for any producer; others for their own")
    product_group: str = Field(min_length=1, max_length=40, description="a product group of the catalogue, or vehicles / agricultural-machinery")
    year: int = Field(ge=2016, le=2100)
    route: Literal["operator", "own_system"]


class RegistrationOut(BaseModel):
    id: int
    organization_id: int
    product_group: str
    year: int
    route: str


class EvidenceIn(Strict):
    kind: str = Field(min_length=1, max_length=60)
    number: str = Field(min_length=1, max_length=100)
    date: dt.date | None = None
    recycled_percent: Decimal | None = Field(default=None, ge=0, le=100)


class ExemptionIn(Strict):
    code: str = Field(min_length=1, max_length=40)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class LineIn(Strict):
    """product: hs_code and mass_kg (or quantity_units to use the reference book); packaging:
    material (packaging-*) and mass_kg; vehicle: category, vin and its Table 12 attribute."""

    kind: Literal["product", "packaging", "vehicle"] = "product"
    hs_code: str | None = Field(default=None, max_length=14)
    product_group: str | None = Field(default=None, max_length=40)
    item: str | None = Field(default=None, max_length=100)
    quantity_units: int | None = Field(default=None, strict=True, ge=1, le=10**9)
    mass_kg: Decimal | None = Field(default=None, gt=0, le=Decimal("10000000000"), decimal_places=3)
    material: str | None = Field(default=None, max_length=40)
    category: str | None = Field(default=None, max_length=40)
    vin: str | None = Field(default=None, max_length=20)
    engine_cc: int | None = Field(default=None, strict=True, ge=1, le=100_000)
    gross_mass_t: Decimal | None = Field(default=None, gt=0, le=1000, decimal_places=3)
    power_hp: Decimal | None = Field(default=None, gt=0, le=10000, decimal_places=3)
    electric: bool | None = Field(default=None, strict=True)
    exemption: ExemptionIn | None = None


class DeclarationIn(Strict):
    organization_id: int | None = None
    period_from: dt.date
    period_to: dt.date
    lines: list[LineIn] = Field(min_length=1, max_length=5000)


class ReviewIn(Strict):
    accept: bool
    note: str | None = Field(default=None, max_length=1000)


class PaymentBody(Strict):
    bank_reference: str = Field(min_length=1, max_length=64)
    paid_on: dt.date
    amount_kzt: Decimal = Field(gt=0, le=Decimal("100000000000"), decimal_places=2)
    payer_bin: str = Field(pattern=r"^\d{12}$")
    invoice_number: str | None = Field(default=None, max_length=32)
    purpose: str = Field(default="", max_length=500)


class AssignIn(Strict):
    invoice_number: str = Field(min_length=1, max_length=32)


class CancelIn(Strict):
    reason: str = Field(min_length=3, max_length=500)


class CustomsLineIn(Strict):
    bin: str = Field(pattern=r"^\d{12}$")
    declaration_number: str = Field(min_length=1, max_length=40)
    line_no: int = Field(default=1, ge=1, le=100000)
    declared_on: dt.date
    hs_code: str = Field(min_length=2, max_length=14)
    quantity: Decimal = Field(gt=0, le=Decimal("1e10"))
    mass_kg: Decimal = Field(gt=0, le=Decimal("1e10"))


class CustomsIn(Strict):
    lines: list[CustomsLineIn] = Field(min_length=1, max_length=50000)
