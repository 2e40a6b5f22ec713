from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from qaldyq.core.schemas import Strict

Operation = Literal["collection", "transportation", "processing", "single"]


class ContractIn(Strict):
    organization_id: int = Field(gt=0)
    operations: list[Operation] = Field(min_length=1, max_length=4)
    categories: list[str] = Field(min_length=1, max_length=20)
    valid_from: date
    valid_to: date | None = None


class ContractOut(BaseModel):
    id: int
    number: str
    organization_id: int
    operations: list[str]
    categories: list[str]
    valid_from: date
    valid_to: date | None
    status: str


class ClaimIn(Strict):
    organization_id: int = Field(gt=0)
    operation: Operation
    period_from: date
    period_to: date
    transaction_ids: list[int] | None = Field(default=None, min_length=1, max_length=10000)


class ActionIn(Strict):
    action: Literal["submit", "approve", "reject"]
    reason: str | None = Field(default=None, max_length=2000)


class LineOut(BaseModel):
    transaction_id: int
    operation: str
    waste_code: str
    category: str
    mass_kg: int
    effective_on: date
    reference: str | None
    rate_mrp: str
    amount_kzt: str
    explanation: list[str]


class ClaimOut(BaseModel):
    id: int
    number: str
    organization_id: int
    contract_id: int
    operation: str
    period_from: date
    period_to: date
    status: str
    mass_kg: int
    amount_kzt: str
    reason: str | None
    registry_id: int | None
    lines: list[LineOut] = []


class RegistryIn(Strict):
    claim_ids: list[int] = Field(min_length=1, max_length=1000)


class RegistryOut(BaseModel):
    id: int
    number: str
    status: str
    total_kzt: str
