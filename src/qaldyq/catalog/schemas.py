"""Request and response bodies of the catalogue API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from qaldyq.core.schemas import Strict

Mass = Annotated[Decimal, Field(gt=0, le=10_000_000, decimal_places=3, description="Tonnes, at most 3 decimals (kilograms).")]


class QuoteIn(Strict):
    """One quote. Which fields each kind takes (the others are refused):
    vehicle: category (M1, N1, N2, N3, truck_tractor, M2, M3, tractor, combine) and the attribute
    of its category (engine_cc; gross_mass_t; power_hp) or electric; product: category (a waste
    category slug) and mass_t; payout: category, operation and mass_t. date defaults to today."""

    kind: Literal["vehicle", "product", "payout"]
    category: str = Field(min_length=1, max_length=40)
    engine_cc: int | None = Field(default=None, strict=True, ge=1, le=100_000, description="M1, M2, M3: engine volume, cm³")
    gross_mass_t: Decimal | None = Field(default=None, gt=0, le=1000, decimal_places=3, description="N1, N2, N3, truck_tractor: technically permissible maximum mass, t")
    power_hp: Decimal | None = Field(default=None, gt=0, le=10000, decimal_places=3, description="tractor, combine: rated engine power, hp")
    electric: bool | None = Field(default=None, strict=True, description="vehicle: electric motor only; a hybrid is not electric")
    operation: Literal["collection", "transportation", "processing", "single"] | None = Field(default=None, description="payout: per operation for packaging, single otherwise")
    mass_t: Mass | None = None
    date: dt.date | None = Field(default=None, description="Default: today (Asia/Almaty)")


# Which fields each kind takes, and which it needs (rules as data).
KIND_FIELDS = {
    "vehicle": ({"kind", "category", "engine_cc", "gross_mass_t", "power_hp", "electric", "date"}, set()),
    "product": ({"kind", "category", "mass_t", "date"}, {"mass_t"}),
    "payout": ({"kind", "category", "operation", "mass_t", "date"}, {"operation", "mass_t"}),
}


class ActOut(BaseModel):
    code: str
    kind: str
    issuer: str
    number: str
    date: str
    title: str
    registration: str | None = None
    url: str | None = None


class RowOut(BaseModel):
    table: str
    id: int
    key: dict[str, Any]
    source: str | None
    valid_from: str
    valid_to: str | None
    values: dict[str, Any]
    act: ActOut


class MrpOut(BaseModel):
    year: int
    value_kzt: str
    valid_from: str
    act: ActOut


class QuoteOut(BaseModel):
    kind: str
    category: str
    date: str
    amount_kzt: str = Field(description="Decimal string, tenge, rounded to the tiyn (ROUND_HALF_UP)")
    currency: Literal["KZT"]
    explanation: list[str]
    arithmetic: str
    rounding: str
    act: ActOut
    row: RowOut
    rows: list[RowOut]
    rate: dict[str, Any]
    mrp: MrpOut | None
    inputs: dict[str, Any]


class DateOut(BaseModel):
    date: dt.date


class DayOut(BaseModel):
    date: dt.date
    working: bool
    reason: str
    name: str


class TableOut(BaseModel):
    slug: str
    title: str
    description: str
    key: list[str]
    versioned: bool
    rows: int
    columns: list[dict[str, Any]]


class RowsOut(BaseModel):
    table: str
    total: int
    rows: list[dict[str, Any]]


class ImportOut(BaseModel):
    table: str
    rows: int
    created: int
    superseded: int
    closed: int
    unchanged: int
    dry_run: bool


class WasteCodeOut(BaseModel):
    code: str
    display: str
    level: str
    chapter: str
    subchapter: str | None
    hazardous: bool
    names: dict[str, str]
    epr_category: str | None
    act: ActOut
    valid_from: dt.date
    valid_to: dt.date | None


class HsOut(BaseModel):
    hs_code: str
    under_epr: bool
    prefix: str | None = None
    product_group: str | None = None
    names: dict[str, str] | None = None
    waste_category: str | None = None
    act: ActOut | None = None


class ProductLineIn(Strict):
    category: str = Field(min_length=1, max_length=40)
    tonnes: Decimal = Field(ge=0, le=100_000_000, decimal_places=3)
    collected_tonnes: Decimal | None = Field(default=None, ge=0, le=100_000_000, decimal_places=3)
    fee_kzt_per_t: Decimal | None = Field(default=None, ge=0, le=100_000_000, decimal_places=2)
    payout_mrp_per_t: Decimal | None = Field(default=None, ge=0, le=100_000, decimal_places=4)


class VehicleLineIn(Strict):
    row: str = Field(min_length=1, max_length=20)
    units: int = Field(ge=0, le=100_000_000)
    coefficient: Decimal | None = Field(default=None, ge=0, le=1000, decimal_places=3)


class SimulatorIn(Strict):
    date: dt.date = Field(description="The rates and MRP in force on this date are used.")
    products: list[ProductLineIn] = Field(default_factory=list, max_length=100)
    vehicles: list[VehicleLineIn] = Field(default_factory=list, max_length=200)
