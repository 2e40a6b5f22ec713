"""Calculators with explanations: the utilization payment for a vehicle or a tonnage of products,
and the operator's payout for a tonnage of waste.

Money is `Decimal` tenge. The exact product of the rate, the MRP and the mass is rounded once,
at the end, to the tiyn (0.01 tenge) with ROUND_HALF_UP (half a tiyn goes up), the rounding
of Kazakh accounting. Each result names the act, the reference row, the MRP and its year, and
the arithmetic, so that an official can check it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from qaldyq.catalog import models as m
from qaldyq.catalog.tables import CHOICE_LABELS, OPERATIONS, PACKAGING_OPERATIONS, VEHICLE_CATEGORIES
from qaldyq.core.errors import invalid
from qaldyq.core.i18n import N_, translate

TIYN = Decimal("0.01")
MAX_MASS_T = Decimal(10_000_000)
ROUNDING = N_("Rounded to the tiyn (0.01 tenge), half up.")
# Which quote attribute carries which measure of Table 12.
MEASURE_FIELDS = {"engine_cc": "engine_cc", "gross_mass_t": "gross_mass_t", "power_hp": "power_hp"}
MEASURE_UNITS = {"engine_cc": "cm³", "gross_mass_t": "t", "power_hp": "hp"}


def money(value: Decimal) -> Decimal:
    return value.quantize(TIYN, rounding=ROUND_HALF_UP)


def plain(value: Decimal | int) -> str:
    """Numbers in explanations: no exponent, no grouping, dot decimals ("3932", "7.66")."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class Step:
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, locale: str) -> str:
        return translate(locale, self.msgid, **{k: _localize(v, k, locale) for k, v in self.params.items()})


def _localize(value: Any, key: str, locale: str) -> Any:
    """Parameters in several languages are dicts by locale; `*_label` parameters are message ids."""
    if isinstance(value, dict):
        return value.get(locale) or value.get("en")
    if key.endswith("_label"):
        return translate(locale, value)
    return value


def by_locale(obj, field: str) -> dict[str, str]:
    return {loc: getattr(obj, f"{field}_{loc}") for loc in ("kk", "ru", "en")}


def act_text(act: m.LegalAct) -> dict[str, str]:
    from qaldyq.catalog.service import act_label

    return {loc: act_label(act, loc) for loc in ("kk", "ru", "en")}


@dataclass
class Quote:
    kind: str
    category: str
    on_date: date
    amount_kzt: Decimal
    steps: list[Step]
    act: m.LegalAct
    rows: list[tuple[str, Any]]  # (table slug, reference row) used, the main one first
    arithmetic: str
    inputs: dict[str, Any]
    mrp_row: m.Mrp | None = None
    rate: dict[str, Any] = field(default_factory=dict)

    @property
    def explanation(self) -> list[str]:
        return self.explain("en")

    def explain(self, locale: str) -> list[str]:
        return [s.text(locale) for s in self.steps]

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        from qaldyq.catalog.service import act_ref, row_ref

        out: dict[str, Any] = {
            "kind": self.kind,
            "category": self.category,
            "date": self.on_date.isoformat(),
            "amount_kzt": format(self.amount_kzt, "f"),
            "currency": "KZT",
            "explanation": self.explain(locale),
            "arithmetic": self.arithmetic,
            "rounding": translate(locale, ROUNDING),
            "act": act_ref(self.act, locale),
            "row": row_ref(self.rows[0][0], self.rows[0][1], locale),
            "rows": [row_ref(t, r, locale) for t, r in self.rows],
            "rate": self.rate,
            "mrp": None,
            "inputs": self.inputs,
        }
        if self.mrp_row is not None:
            out["mrp"] = {"year": self.on_date.year, "value_kzt": format(money(self.mrp_row.value_kzt), "f"), "act": act_ref(self.mrp_row.act, locale),
                          "valid_from": self.mrp_row.valid_from.isoformat()}
        return out


def _mass(mass_t: Any, pointer: str = "/mass_t") -> Decimal:
    try:
        value = mass_t if isinstance(mass_t, Decimal) else Decimal(str(mass_t).strip())
    except (InvalidOperation, ValueError):
        raise invalid(pointer, N_("Must be a number."), code="decimal_parsing") from None
    if not value.is_finite():
        raise invalid(pointer, N_("Must be a finite number."), code="finite_number")
    if value <= 0:
        raise invalid(pointer, N_("Must be greater than {gt}."), code="greater_than", gt=0)
    if value > MAX_MASS_T:
        raise invalid(pointer, N_("Must be at most {le}."), code="less_than_equal", le="10000000")
    if -value.as_tuple().exponent > 3:
        raise invalid(pointer, N_("Must have at most {decimal_places} decimal places."), code="decimal_max_places", decimal_places=3)
    return value


def _day(on_date: date | None) -> date:
    from qaldyq.catalog.calendar import today_almaty

    return on_date or today_almaty()


def _mrp_step(db: Session, day: date) -> tuple[m.Mrp, Step]:
    from qaldyq.catalog.service import mrp_on

    row = mrp_on(db, day)
    return row, Step(N_("MRP in force on {date} (year {year}): {mrp} tenge; {act}."),
                     {"date": day.isoformat(), "year": day.year, "mrp": plain(money(row.value_kzt)), "act": act_text(row.act)})


def quote_vehicle(db: Session, *, category: str, on_date: date | None = None, engine_cc: int | None = None,
                  gross_mass_t: Decimal | float | str | None = None, power_hp: Decimal | float | str | None = None,
                  electric: bool = False) -> Quote:
    """The utilization payment for one vehicle or self-propelled agricultural machine:
    base rate (MRP) × coefficient of its band (Table 12) × MRP of the date."""
    from qaldyq.catalog.service import vehicle_rates

    day = _day(on_date)
    if category not in VEHICLE_CATEGORIES:
        raise invalid("/category", N_("Must be one of: {expected}."), code="unknown-category", expected=", ".join(VEHICLE_CATEGORIES))
    rows = vehicle_rates(db, category, day)
    if not rows:
        raise invalid("/date", N_("No vehicle rate for {category} is in force on {date}."), code="no-rate-in-force", category=category, date=day.isoformat())
    measures = {r.measure for r in rows} - {"electric"}
    measure = next(iter(measures)) if measures else None
    given = {"engine_cc": engine_cc, "gross_mass_t": gross_mass_t, "power_hp": power_hp}
    for name, value in given.items():
        if value is not None and name != measure:
            raise invalid(f"/{name}", N_("{field} is not used for category {category}."), code="not-for-category", field=name, category=category)
    inputs: dict[str, Any] = {"category": category, "electric": bool(electric)}
    if electric:
        row = next((r for r in rows if r.measure == "electric"), None)
        if row is None:
            raise invalid("/electric", N_("Table 12 has no row for electric {category}; give its power instead."), code="not-for-category", category=category)
        first = Step(N_("Category {category}, electric motor (hybrids are not electric): row {row} “{band}”, coefficient {coefficient}."),
                     {"category": category, "row": row.code, "band": by_locale(row, "label"), "coefficient": plain(row.coefficient)})
    else:
        if measure is None:
            raise invalid("/electric", N_("Only electric {category} have a rate in force on {date}."), code="no-rate-in-force", category=category, date=day.isoformat())
        raw = given[measure]
        if raw is None:
            raise invalid(f"/{measure}", N_("{field} is required for category {category}."), code="missing", field=measure, category=category)
        value = _measure(measure, raw)
        inputs[measure] = int(value) if measure == "engine_cc" else plain(value)
        matches = [r for r in rows if r.measure == measure and (r.lower is None or value > r.lower) and (r.upper is None or value <= r.upper)]
        if not matches:
            raise invalid(f"/{measure}", N_("No band of Table 12 covers {value} {unit} for category {category}."), code="no-band",
                          value=plain(value), unit=MEASURE_UNITS[measure], category=category)
        row = matches[0]
        first = Step(N_("Category {category}, {measure_label}: {value}; band “{band}” (row {row}), coefficient {coefficient}."),
                     {"category": category, "measure_label": _measure_label(measure), "value": plain(value), "band": by_locale(row, "label"),
                      "row": row.code, "coefficient": plain(row.coefficient)})
    mrp_row, mrp_step = _mrp_step(db, day)
    units = row.base_mrp * row.coefficient
    exact = units * mrp_row.value_kzt
    amount = money(exact)
    arithmetic = f"{plain(row.base_mrp)} MRP × {plain(row.coefficient)} × {plain(money(mrp_row.value_kzt))} KZT = {amount:.2f} KZT"
    steps = [
        first,
        Step(N_("Base rate {base} MRP × coefficient {coefficient} = {units} MRP."), {"base": plain(row.base_mrp), "coefficient": plain(row.coefficient), "units": plain(units)}),
        mrp_step,
        Step(N_("{units} MRP × {mrp} tenge = {amount} tenge."), {"units": plain(units), "mrp": plain(money(mrp_row.value_kzt)), "amount": f"{amount:.2f}"}),
        Step(N_("Act: {act}; {source}."), {"act": _act(row.act), "source": row.source or row.code}),
    ]
    return Quote("vehicle", category, day, amount, steps, row.act, [("vehicle-rates", row), ("mrp", mrp_row)], arithmetic, inputs, mrp_row,
                 {"base_mrp": plain(row.base_mrp), "coefficient": plain(row.coefficient), "unit": "MRP per unit"})


def _measure(measure: str, raw: Any) -> Decimal:
    pointer = f"/{measure}"
    if measure == "engine_cc":
        if isinstance(raw, bool) or not isinstance(raw, int):
            try:
                if isinstance(raw, str) and raw.strip().isdigit():
                    raw = int(raw.strip())
                else:
                    raise ValueError
            except ValueError:
                raise invalid(pointer, N_("Must be a whole number."), code="int_type") from None
        if raw < 1 or raw > 100_000:
            raise invalid(pointer, N_("Must be between {ge} and {le}."), code="out-of-range", ge=1, le=100000)
        return Decimal(raw)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise invalid(pointer, N_("Must be a number."), code="decimal_parsing") from None
    limit = Decimal(1000) if measure == "gross_mass_t" else Decimal(10000)
    if not value.is_finite() or value <= 0 or value > limit:
        raise invalid(pointer, N_("Must be between {ge} and {le}."), code="out-of-range", ge="0 (exclusive)", le=plain(limit))
    if -value.as_tuple().exponent > 3:
        raise invalid(pointer, N_("Must have at most {decimal_places} decimal places."), code="decimal_max_places", decimal_places=3)
    return value


def _measure_label(measure: str) -> str:
    return CHOICE_LABELS[measure]


def _act(act: m.LegalAct) -> dict[str, str]:
    return act_text(act)


def _category_row(db: Session, category: str, day: date) -> m.EprCategory:
    from qaldyq.catalog.service import category as get_category

    return get_category(db, category, day)


def quote_product(db: Session, *, category: str, mass_t: Decimal | str | float, on_date: date | None = None) -> Quote:
    """The utilization payment for a tonnage of products or packaging: rate per tonne × mass
    (× MRP when the rate is in MRP)."""
    from qaldyq.catalog.service import fee_rate

    day = _day(on_date)
    cat = _category_row(db, category, day)
    mass = _mass(mass_t)
    rate = fee_rate(db, category, day)
    steps = [Step(N_("Utilization payment for {category}: {rate} {unit} per tonne (row “{source}”)."),
                  {"category": by_locale(cat, "name"), "rate": plain(rate.rate), "unit": rate.unit, "source": rate.source or category})]
    rows: list[tuple[str, Any]] = [("fee-rates", rate)]
    mrp_row = None
    if rate.unit == "MRP":
        mrp_row, mrp_step = _mrp_step(db, day)
        steps.append(mrp_step)
        per_tonne = rate.rate * mrp_row.value_kzt
        steps.append(Step(N_("{rate} MRP × {mrp} tenge = {per_tonne} tenge per tonne."), {"rate": plain(rate.rate), "mrp": plain(money(mrp_row.value_kzt)), "per_tonne": plain(per_tonne)}))
        rows.append(("mrp", mrp_row))
        arithmetic = f"{plain(mass)} t × {plain(rate.rate)} MRP/t × {plain(money(mrp_row.value_kzt))} KZT"
    else:
        per_tonne = rate.rate
        arithmetic = f"{plain(mass)} t × {plain(rate.rate)} KZT/t"
    amount = money(mass * per_tonne)
    arithmetic += f" = {amount:.2f} KZT"
    steps.append(Step(N_("{mass} t × {per_tonne} tenge per tonne = {amount} tenge."), {"mass": plain(mass), "per_tonne": plain(per_tonne), "amount": f"{amount:.2f}"}))
    steps.append(Step(N_("Act: {act}; {source}."), {"act": _act(rate.act), "source": rate.source or category}))
    return Quote("product", category, day, amount, steps, rate.act, rows, arithmetic, {"category": category, "mass_t": plain(mass)}, mrp_row,
                 {"rate": plain(rate.rate), "unit": f"{rate.unit} per tonne"})


def quote_payout(db: Session, *, category: str, operation: str, mass_t: Decimal | str | float, on_date: date | None = None) -> Quote:
    """The operator's payout for a tonnage of waste: rate (MRP per tonne) × MRP × mass."""
    from qaldyq.catalog.service import payout_rate

    day = _day(on_date)
    cat = _category_row(db, category, day)
    if operation not in OPERATIONS:
        raise invalid("/operation", N_("Must be one of: {expected}."), code="literal_error", expected=", ".join(OPERATIONS))
    if cat.kind == "packaging" and operation not in PACKAGING_OPERATIONS:
        raise invalid("/operation", N_("Packaging is paid per operation: collection, transportation or processing."), code="not-for-category")
    if cat.kind == "product" and operation != "single":
        raise invalid("/operation", N_("This category has one single rate (operation single)."), code="not-for-category")
    mass = _mass(mass_t)
    rate = payout_rate(db, category, operation, day)
    mrp_row, mrp_step = _mrp_step(db, day)
    per_tonne = rate.rate_mrp * mrp_row.value_kzt
    amount = money(mass * per_tonne)
    steps = [
        Step(N_("Payout for {category}, {operation_label}: {rate} MRP per tonne (row “{source}”)."),
             {"category": by_locale(cat, "name"), "operation_label": CHOICE_LABELS[operation], "rate": plain(rate.rate_mrp), "source": rate.source or category}),
        mrp_step,
        Step(N_("{rate} MRP × {mrp} tenge = {per_tonne} tenge per tonne."), {"rate": plain(rate.rate_mrp), "mrp": plain(money(mrp_row.value_kzt)), "per_tonne": plain(per_tonne)}),
        Step(N_("{mass} t × {per_tonne} tenge per tonne = {amount} tenge."), {"mass": plain(mass), "per_tonne": plain(per_tonne), "amount": f"{amount:.2f}"}),
        Step(N_("Act: {act}; {source}."), {"act": _act(rate.act), "source": rate.source or category}),
    ]
    arithmetic = f"{plain(mass)} t × {plain(rate.rate_mrp)} MRP/t × {plain(money(mrp_row.value_kzt))} KZT = {amount:.2f} KZT"
    return Quote("payout", category, day, amount, steps, rate.act, [("payout-rates", rate), ("mrp", mrp_row)], arithmetic,
                 {"category": category, "operation": operation, "mass_t": plain(mass)}, mrp_row, {"rate_mrp": plain(rate.rate_mrp), "unit": "MRP per tonne"})
