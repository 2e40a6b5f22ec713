from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from qaldyq.core.schemas import Strict


class RunIn(Strict):
    period_from: date
    period_to: date
    rules: list[str] | None = Field(default=None, max_length=100)


class RunOut(BaseModel):
    found: int
    new: int
    by_rule: dict[str, int]


class DecisionIn(Strict):
    action: Literal["acknowledge", "dismiss", "reopen"]
    reason: str = Field(min_length=1, max_length=2000)


class FindingOut(BaseModel):
    id: int
    rule_id: str
    source: str
    severity: str
    organization_id: int | None
    site_id: int | None
    region_kato: str | None
    period_from: date
    period_to: date
    subject: str
    value: float | None
    limit: float | None
    evidence: dict
    status: str
    reason: str | None


class RiskOut(BaseModel):
    organization_id: int
    name: str
    name_kk: str
    region_kato: str
    score: int
    open_findings: int
    high: int
