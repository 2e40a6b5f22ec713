"""Input and output of the own-system API. Masses are tonnes with 3 decimal places, never negative."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from qaldyq.core.schemas import Strict

Tonnes = Annotated[Decimal, Field(ge=0, le=Decimal("99999999999.999"), max_digits=14, decimal_places=3)]
Name = Annotated[str, Field(min_length=1, max_length=300)]


class LineA(Strict):
    """Section A: waste collection (columns of the form in order)."""

    waste_name: Name
    opening_t: Tonnes
    collected_t: Tonnes
    closing_t: Tonnes
    waste_code: str | None = Field(default=None, max_length=16)


class LineB(Strict):
    """Section B: recycling in the half-year."""

    waste_name: Name
    recycled_t: Tonnes
    product_name: Name
    product_t: Tonnes
    sold_rk_t: Tonnes
    export_t: Tonnes
    waste_code: str | None = Field(default=None, max_length=16)


class LineC(Strict):
    """Section C: production and/or import of products (goods)."""

    product_name: Name
    produced_t: Tonnes
    imported_t: Tonnes
    product_group: str | None = Field(default=None, max_length=40)  # EPR product group (catalogue code)


class SectionD(Strict):
    """Section D: fulfilment of EPR."""

    placed_t: Tonnes  # sold from produced (producers) / imported (importers)
    recycled_t: Tonnes


class TotalsA(Strict):
    opening_t: Tonnes
    collected_t: Tonnes
    closing_t: Tonnes


class TotalsB(Strict):
    recycled_t: Tonnes
    product_t: Tonnes
    sold_rk_t: Tonnes
    export_t: Tonnes


class TotalsC(Strict):
    produced_t: Tonnes
    imported_t: Tonnes


class ApplicationIn(Strict):
    year: int = Field(ge=2022, le=2100)
    half: Literal[1, 2]
    applicant_kind: Literal["producer", "importer", "both"]
    section_a: list[LineA] = Field(default_factory=list, max_length=500)
    section_b: list[LineB] = Field(default_factory=list, max_length=500)
    section_c: list[LineC] = Field(default_factory=list, max_length=500)
    section_d: SectionD
    # totals as the applicant states them; when given they must equal the sums of the lines
    totals_a: TotalsA | None = None
    totals_b: TotalsB | None = None
    totals_c: TotalsC | None = None
    prefill: bool = False  # fill Sections A and B from the ledger, C from the customs data, when they are empty
    collection_on_site: bool = False  # collection points on the recycling site: no transport documents (3.4)
    standards_apply: bool = True  # national standards apply to the product (3.5)
    other_operations: bool = False  # sorting, processing, neutralization... under the regulation (point 3)


class SrbItem(Strict):
    product_group: str = Field(min_length=1, max_length=32)
    item: str = Field(default="", max_length=64)
    mass_t: Tonnes | None = None  # None: the answer gives no mass (point 6.5)
    units: int | None = Field(default=None, ge=0, le=10**12)


class EventIn(Strict):
    event: str = Field(min_length=1, max_length=32)
    day: date | None = None  # the business day (received/sent); today in Almaty if absent
    note: str | None = Field(default=None, max_length=4000)
    incoming_number: str | None = Field(default=None, max_length=40)
    reasons: str | None = Field(default=None, max_length=8000)
    conclusion: Literal["conforms", "not_conforms"] | None = None
    srb_items: list[SrbItem] | None = Field(default=None, max_length=200)
    missing: list[str] | None = Field(default=None, max_length=50)


class DeadlineOut(BaseModel):
    code: str
    label: str
    actor: str
    point: str
    start: date | None
    due: date | None
    met_on: date | None
    state: str


class EventOut(BaseModel):
    event: str
    label: str
    actor: str
    day: date
    at: datetime
    from_status: str
    to_status: str
    note: str | None
    data: dict | None


class LedgerDiff(BaseModel):
    section: str
    name: str
    column: str
    declared_t: Decimal
    ledger_t: Decimal
    difference_t: Decimal


class SourceDiff(BaseModel):
    """Section C against another source, per product group: `customs` (the customs feed in
    Qaldyq) or `srb` (the state revenue bodies' answer); `source_t` None: mass not established."""

    product_group: str | None
    name: str
    source: str
    column: str
    declared_t: Decimal
    source_t: Decimal | None
    difference_t: Decimal | None


class SectionCSource(BaseModel):
    """What Qaldyq knows of an organization's EPR products in a half-year, per product group."""

    product_group: str
    name: str
    route: str | None  # operator | own_system | None (no registration that year)
    customs_t: Decimal  # imports in the customs feed
    declared_t: Decimal  # declared to the operator (operator route only)
    prefilled: bool  # used to prefill Section C (not on the operator route and imported)


class PrefillOut(BaseModel):
    year: int
    half: int
    section_a: list[LineA]
    section_b: list[LineB]
    section_c: list[LineC]
    section_c_sources: list[SectionCSource]


class ApplicationOut(BaseModel):
    id: int
    number: str
    organization_id: int
    org_name: str
    org_bin: str
    year: int
    half: int
    applicant_kind: str
    status: str
    status_label: str
    incoming_number: str | None
    section_a: list[LineA]
    section_b: list[LineB]
    section_c: list[LineC]
    section_d: SectionD
    mass_method: str | None
    srb_items: list[dict] | None = None  # the state revenue bodies' answer as recorded
    conclusion: str | None
    decision_reasons: str | None
    deadlines: list[DeadlineOut]
    history: list[EventOut]
    allowed_events: list[str]
    ledger_differences: list[LedgerDiff] | None = None
    section_c_differences: list[SourceDiff] | None = None


class PeriodDeadlines(BaseModel):
    year: int
    half: int
    application_due: date
    authority_request_due: date
    authority_forward_due: date
