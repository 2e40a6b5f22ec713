"""The rule file: which checks run, with what severity and parameters. Validated strictly: an
unknown field, an unknown check or an impossible threshold (negative, a share above 100 %…) is
refused with the JSON Pointer of the offending value."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from qaldyq.core.errors import Problem, pydantic_field_errors
from qaldyq.core.schemas import Strict

Severity = Literal["low", "medium", "high"]
SEVERITY_WEIGHT = {"low": 1, "medium": 3, "high": 9}
RULES_FILE = Path(__file__).with_name("rules.json")


class Tolerance(Strict):
    tolerance_pct: float = Field(ge=0, le=100)


class NoParams(Strict):
    pass


class Travel(Strict):
    max_speed_kmh: float = Field(gt=0, le=300)


class RoundWeights(Strict):
    round_kg: int = Field(ge=10, le=100_000)
    min_count: int = Field(ge=2, le=100_000)
    min_share_pct: float = Field(gt=0, le=100)


class IdenticalWeights(Strict):
    min_count: int = Field(ge=2, le=100_000)
    min_kg: int = Field(ge=1, le=10**9)


class Jump(Strict):
    factor: float = Field(gt=1, le=1000)
    min_months: int = Field(ge=1, le=60)
    min_kg: int = Field(ge=0, le=10**9)


PARAMS: dict[str, type[Strict]] = {
    "mass_balance": Tolerance, "capacity": Tolerance, "certificate": NoParams, "order": NoParams, "payload": Tolerance,
    "travel": Travel, "claim_ledger": NoParams, "claim_contract": NoParams, "round_weights": RoundWeights,
    "identical_weights": IdenticalWeights, "jump": Jump,
}


class Rule(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    check: Literal[tuple(PARAMS)]  # type: ignore[valid-type]
    severity: Severity
    description: str = Field(min_length=1, max_length=300)
    params: dict = Field(default_factory=dict)
    enabled: bool = True


class RuleFile(Strict):
    rules: list[Rule] = Field(min_length=1, max_length=100)


def _problem(errors) -> Problem:
    return Problem(422, "invalid-rules", "The rule file is not valid.", errors[0].msgid, errors, **errors[0].params)


def parse_rules(data: dict) -> list[tuple[Rule, Strict]]:
    """Validate a rule file (already parsed JSON); returns each rule with its typed parameters."""
    try:
        rf = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise _problem(pydantic_field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])) from None
    out, seen = [], set()
    for i, rule in enumerate(rf.rules):
        if rule.id in seen:
            from qaldyq.core.errors import invalid
            from qaldyq.core.i18n import N_

            raise invalid(f"/rules/{i}/id", N_("Listed twice."), code="duplicate")
        seen.add(rule.id)
        try:
            params = PARAMS[rule.check].model_validate(rule.params)
        except ValidationError as exc:
            raise _problem(pydantic_field_errors([{**e, "loc": ("body", "rules", i, "params", *e["loc"])} for e in exc.errors()])) from None
        out.append((rule, params))
    return out


@lru_cache(maxsize=1)
def default_rules() -> tuple:
    return tuple(parse_rules(json.loads(RULES_FILE.read_text(encoding="utf-8"))))
