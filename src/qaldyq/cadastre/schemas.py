"""Cadastre data in and out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator, model_validator

from qaldyq.cadastre.indicators_def import INPUT_CODES
from qaldyq.cadastre.models import NATIONAL
from qaldyq.core.errors import field_error
from qaldyq.core.i18n import N_
from qaldyq.core.schemas import Strict
from qaldyq.registry.regions import REGION_CODES

MAX_KG = 10**11
YEARS = (2020, 2035)


def _blank(value):
    return None if isinstance(value, str) and not value.strip() else value


class IndicatorInputIn(Strict):
    """A share entered for a region (or the country: region_kato 000000000). Give `value_pct`, or
    `numerator` and `denominator` (the share is computed), or all three (they must agree)."""

    indicator: str = Field(description="students | top50_reports")
    year: int = Field(ge=YEARS[0], le=YEARS[1])
    region_kato: str = Field(description="KATO of the region, or 000000000 for the whole country")
    value_pct: Decimal | None = Field(default=None, ge=0, le=100, max_digits=6, decimal_places=2, allow_inf_nan=False)
    numerator: int | None = Field(default=None, ge=0, le=10**9)
    denominator: int | None = Field(default=None, gt=0, le=10**9)
    source: str = Field(min_length=2, max_length=200, description="Where the figure comes from (a letter, a statistical form)")

    _blanks = field_validator("value_pct", "numerator", "denominator", mode="before")(_blank)

    @field_validator("indicator")
    @classmethod
    def _indicator(cls, v: str) -> str:
        if v not in INPUT_CODES:
            raise field_error(N_("Unknown indicator {value}; expected one of {allowed}."), value=v, allowed=", ".join(INPUT_CODES))
        return v

    @field_validator("region_kato")
    @classmethod
    def _region(cls, v: str) -> str:
        if v != NATIONAL and v not in REGION_CODES:
            raise field_error(N_("Unknown region {value}."), value=v)
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.indicator == "top50_reports" and self.region_kato != NATIONAL:
            raise field_error(N_("The TOP-50 indicator is national: use region 000000000."))
        if (self.numerator is None) != (self.denominator is None):
            raise field_error(N_("Give both the numerator and the denominator, or neither."))
        if self.numerator is not None and self.numerator > self.denominator:
            raise field_error(N_("The numerator cannot exceed the denominator: a share is between 0 and 100 %."))
        if self.value_pct is None and self.numerator is None:
            raise field_error(N_("Give the share in % or the numerator and the denominator."))
        return self


class IndicatorInputOut(BaseModel):
    indicator: str
    year: int
    region_kato: str
    value_pct: Decimal
    numerator: int | None
    denominator: int | None
    source: str
    entered_at: datetime


class InventoryLineIn(Strict):
    """One line of a generator's annual inventory report (kilograms)."""

    site_id: int = Field(gt=0)
    year: int = Field(ge=YEARS[0], le=YEARS[1])
    waste_code: str = Field(min_length=2, max_length=12, description="e.g. 10 01 01")
    generated_kg: int = Field(ge=0, le=MAX_KG)
    transferred_kg: int = Field(ge=0, le=MAX_KG)
    treated_on_site_kg: int = Field(ge=0, le=MAX_KG)
    stock_end_kg: int = Field(ge=0, le=MAX_KG, description="Held on site at 31 December")


class InventoryIn(Strict):
    lines: list[InventoryLineIn] = Field(min_length=1, max_length=5000)
    source: str = Field(default="form", min_length=2, max_length=200)


class InventoryOutcome(BaseModel):
    created: int
    replaced: int
    rows: int


class ReconRow(BaseModel):
    site_id: int
    site_name: str
    organization_id: int
    region_kato: str
    year: int
    waste_code: str
    reported_generated_kg: int
    ledger_generated_kg: int
    reported_transferred_kg: int
    ledger_transferred_kg: int
    reported_stock_kg: int
    ledger_stock_kg: int
    status: str  # matches, differs


class FlowOut(BaseModel):
    region: str | None = None
    waste_code: str | None = None
    hazard: str | None = None
    generator_type: str | None = None
    site: int | None = None
    generated: int
    collected: int
    processed: int
    disposed: int
    exported: int
    stock: int
    organizations: int


class TargetOut(BaseModel):
    value_pct: Decimal
    version: int
    is_fact: bool
    act_number: str
    act_date: date
    act_title: str


class IndicatorOut(BaseModel):
    indicator: str
    number: str
    name: str
    year: int
    region_kato: str
    target: TargetOut | None
    fact_pct: Decimal | None
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    status: str
    provisional: bool


class QualityOut(BaseModel):
    region_kato: str
    generating_sites: int
    reported_sites: int
    missing_reports: int
    differing_lines: int
    reports_without_ledger: int
    unknown_codes: list[str]
    in_transit_kg: int


class DueOut(BaseModel):
    step: str
    due: date
    reporting_year: int
    status: str  # done, due, overdue, upcoming
