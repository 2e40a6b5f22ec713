"""The EPR fund simulator: a year's fee income against payout obligations, per stream.

Income: the utilization payment on products and packaging placed on the market (tonnes × fee
per tonne) and on vehicles and agricultural machinery (units × base × coefficient × MRP).
Obligations: the operator's payouts on the waste collected and processed (tonnes × the sum of
the payout rates of the category × MRP). A stream whose obligations exceed its income is
subsidised by the others; the simulator shows by how much, and what a changed rate would do.

Per tonne, the comparison needs no volumes at all: it reproduces the report's finding that
packaging payouts are 6.6–19 times the fee (Table 21).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog import models as m
from qaldyq.catalog.quotes import money
from qaldyq.catalog.service import categories, in_force, mrp_on
from qaldyq.core.errors import invalid
from qaldyq.core.i18n import N_

# Volumes of 2023 (report Tables 17 and 18), the latest published; see DEFAULT_ASSUMPTIONS.
TABLE18_TONNES = {
    "tyres": Decimal("91247.49"),  # "Rubber and articles thereof"
    "batteries": Decimal("7882.60"),
    "oils": Decimal("85276.42"),
    "lamps": Decimal("12.47"),
    "eee-large": Decimal("8617.43"),
    "eee-heat-transfer": Decimal("10553.66"),
    "eee-screens": Decimal("3202.82"),
    "eee-small": Decimal("7648.96"),
    "eee-small-it": Decimal("191.45"),
}
TABLE18_PACKAGING = Decimal("136229.41")
PACKAGING_SPLIT = ("packaging-glass", "packaging-paper", "packaging-polymer", "packaging-combined")
# Table 17 units (production + import, with the G variants) placed in one band each.
TABLE17_UNITS = (
    ("M1-2", 239852 + 12086),
    ("N-2", 5378 + 6207),
    ("N-4", 1620 + 144),
    ("N-6", 10807 + 3736),
    ("M23-2", 1199 + 145),
    ("M23-3", 3614 + 151),
    ("TR-2", 6111),
    ("CB-3", 993),
)
DEFAULT_ASSUMPTIONS = (
    N_("Volumes are those of 2023 (report Tables 17 and 18), the latest published."),
    N_("Table 18 gives packaging as one total (136,229.41 t); it is split equally among glass, paper, polymer and combined packaging."),
    N_("All rubber products of Table 18 are counted as passenger and truck tyres."),
    N_("Table 17 gives vehicles by category only; each category is placed in one band: M1 1,001–2,000 cm³, N1 2.501–3.5 t, N2 5.01–8 t, N3 12.01–20 t, M2 2,501–5,000 cm³, M3 5,001–10,000 cm³, tractors 61–130 hp, combines 221–255 hp."),
    N_("Payouts are counted on as many tonnes as were placed on the market (every tonne collected and processed); lower the collected tonnes to model real collection."),
)
RATIO = Decimal("0.1")


@dataclass
class ProductLine:
    category: str
    tonnes: Decimal
    collected_tonnes: Decimal | None = None
    fee_kzt_per_t: Decimal | None = None  # override of the fee in force
    payout_mrp_per_t: Decimal | None = None  # override of the payout rates in force (their sum)


@dataclass
class VehicleLine:
    row: str  # code of a Table 12 row
    units: int
    coefficient: Decimal | None = None  # override


@dataclass
class Scenario:
    on_date: date
    products: list[ProductLine] = field(default_factory=list)
    vehicles: list[VehicleLine] = field(default_factory=list)


def default_scenario(on_date: date = date(2024, 7, 1)) -> Scenario:
    share = (TABLE18_PACKAGING / len(PACKAGING_SPLIT)).quantize(Decimal("0.001"), ROUND_HALF_UP)
    products = [ProductLine(c, share) for c in PACKAGING_SPLIT]
    products += [ProductLine(c, t) for c, t in TABLE18_TONNES.items()]
    return Scenario(on_date, products, [VehicleLine(code, units) for code, units in TABLE17_UNITS])


def _rates(db: Session, day: date) -> tuple[dict[str, m.FeeRate], dict[str, list[m.PayoutRate]]]:
    fees = {r.category: r for r in db.scalars(select(m.FeeRate).where(in_force(m.FeeRate, day)))}
    payouts: dict[str, list[m.PayoutRate]] = {}
    for r in db.scalars(select(m.PayoutRate).where(in_force(m.PayoutRate, day)).order_by(m.PayoutRate.operation)):
        payouts.setdefault(r.category, []).append(r)
    return fees, payouts


def ratio(payout: Decimal | None, fee: Decimal | None) -> Decimal | None:
    if payout is None or not fee:
        return None
    return (payout / fee).quantize(RATIO, ROUND_HALF_UP)


def per_tonne(db: Session, on_date: date) -> list[dict[str, Any]]:
    """Fee and payout per tonne of every category in force: the report's Table 21 comparison."""
    mrp_row = mrp_on(db, on_date)
    fees, payouts = _rates(db, on_date)
    out = []
    for cat in categories(db, on_date):
        fee = fees.get(cat.slug)
        fee_kzt = None if fee is None else (fee.rate if fee.unit == "KZT" else fee.rate * mrp_row.value_kzt)
        rows = payouts.get(cat.slug, [])
        payout_mrp = sum((r.rate_mrp for r in rows), Decimal(0)) if rows else None
        payout_kzt = None if payout_mrp is None else money(payout_mrp * mrp_row.value_kzt)
        out.append({
            "category": cat.slug, "kind": cat.kind, "stream": cat.stream, "names": {"kk": cat.name_kk, "ru": cat.name_ru, "en": cat.name_en},
            "fee_kzt_per_t": None if fee_kzt is None else money(fee_kzt), "payout_mrp_per_t": payout_mrp, "payout_kzt_per_t": payout_kzt,
            "deviation_kzt_per_t": None if fee_kzt is None or payout_kzt is None else money(fee_kzt - payout_kzt),
            "ratio": ratio(payout_kzt, fee_kzt),
            "fee_source": fee.source if fee else None, "payout_sources": [r.source for r in rows],
        })
    return out


def simulate(db: Session, scenario: Scenario) -> dict[str, Any]:
    """Income, obligations and balance per stream for the scenario, and the same for the rates in
    force (so that the effect of a changed rate is the difference)."""
    day = scenario.on_date
    mrp_row = mrp_on(db, day)
    mrp_value = mrp_row.value_kzt
    fees, payouts = _rates(db, day)
    known = {c.slug: c for c in categories(db, day)}
    notes: list[tuple[str, dict]] = []
    lines = []
    seen = set()
    for i, p in enumerate(scenario.products):
        cat = known.get(p.category)
        if cat is None:
            raise invalid(f"/products/{i}/category", N_("Unknown waste category {category}; the categories are: {known}."), code="unknown-category",
                          category=p.category, known=", ".join(known))
        if p.category in seen:
            raise invalid(f"/products/{i}/category", N_("The category {category} is listed twice."), code="duplicate", category=p.category)
        seen.add(p.category)
        collected = p.tonnes if p.collected_tonnes is None else p.collected_tonnes
        fee = fees.get(p.category)
        fee_now = None if fee is None else (fee.rate if fee.unit == "KZT" else fee.rate * mrp_value)
        pay_rows = payouts.get(p.category, [])
        pay_now = sum((r.rate_mrp for r in pay_rows), Decimal(0)) if pay_rows else None
        if fee_now is None and p.fee_kzt_per_t is None:
            notes.append((N_("No utilization payment rate for {category} is in force on {date}; its income is counted as zero."), {"category": p.category, "date": day.isoformat()}))
        if pay_now is None and p.payout_mrp_per_t is None:
            notes.append((N_("No payout rate for {category} is in force on {date}; its obligations are counted as zero."), {"category": p.category, "date": day.isoformat()}))
        fee_used = p.fee_kzt_per_t if p.fee_kzt_per_t is not None else fee_now
        pay_used = p.payout_mrp_per_t if p.payout_mrp_per_t is not None else pay_now
        base = _money_line(p.tonnes, collected, fee_now, pay_now, mrp_value)
        scen = _money_line(p.tonnes, collected, fee_used, pay_used, mrp_value)
        lines.append({
            "category": p.category, "stream": cat.stream, "kind": cat.kind, "names": {"kk": cat.name_kk, "ru": cat.name_ru, "en": cat.name_en},
            "tonnes": p.tonnes, "collected_tonnes": collected,
            "fee_kzt_per_t": None if fee_used is None else money(fee_used),
            "payout_kzt_per_t": None if pay_used is None else money(pay_used * mrp_value),
            "ratio": ratio(None if pay_used is None else pay_used * mrp_value, fee_used),
            "changed": p.fee_kzt_per_t is not None or p.payout_mrp_per_t is not None,
            **scen, "baseline": base,
        })
    vehicle_lines = []
    rows = {r.code: r for r in db.scalars(select(m.VehicleRate).where(in_force(m.VehicleRate, day)))}
    seen = set()
    for i, v in enumerate(scenario.vehicles):
        row = rows.get(v.row)
        if row is None:
            raise invalid(f"/vehicles/{i}/row", N_("No row {row} of the vehicle rates is in force on {date}."), code="unknown-row", row=v.row, date=day.isoformat())
        if v.row in seen:
            raise invalid(f"/vehicles/{i}/row", N_("The row {row} is listed twice."), code="duplicate", row=v.row)
        seen.add(v.row)
        coefficient = row.coefficient if v.coefficient is None else v.coefficient
        per_unit = money(row.base_mrp * coefficient * mrp_value)
        base_unit = money(row.base_mrp * row.coefficient * mrp_value)
        vehicle_lines.append({
            "row": row.code, "categories": row.categories.split(), "labels": {"kk": row.label_kk, "ru": row.label_ru, "en": row.label_en},
            "units": v.units, "coefficient": coefficient, "per_unit_kzt": per_unit, "income_kzt": money(per_unit * v.units),
            "changed": v.coefficient is not None,
            "baseline": {"income_kzt": money(base_unit * v.units)},
        })
    streams = _streams(lines, vehicle_lines)
    totals = _totals(streams)
    return {
        "date": day.isoformat(), "mrp": {"year": day.year, "value_kzt": money(mrp_value)},
        "products": lines, "vehicles": vehicle_lines, "streams": streams, "totals": totals,
        "packaging_ratio": _packaging_ratio(lines),
        "notes": notes,
    }


def _money_line(tonnes: Decimal, collected: Decimal, fee_kzt: Decimal | None, payout_mrp: Decimal | None, mrp_value: Decimal) -> dict[str, Decimal]:
    income = money(tonnes * fee_kzt) if fee_kzt is not None else Decimal("0.00")
    obligations = money(collected * payout_mrp * mrp_value) if payout_mrp is not None else Decimal("0.00")
    return {"income_kzt": income, "obligations_kzt": obligations, "balance_kzt": income - obligations}


STREAM_ORDER = ("vehicles", "packaging", "tyres", "oils", "batteries", "eee", "lamps")
STREAM_LABELS = {
    "vehicles": N_("Vehicles and agricultural machinery"), "packaging": N_("Packaging"), "tyres": N_("Tyres"), "oils": N_("Oils"),
    "batteries": N_("Batteries"), "eee": N_("Electrical and electronic equipment"), "lamps": N_("Lamps"),
}


def _streams(lines: list[dict], vehicle_lines: list[dict]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in STREAM_ORDER:
        out[s] = {"stream": s, "label": STREAM_LABELS[s], "income_kzt": Decimal("0.00"), "obligations_kzt": Decimal("0.00"),
                  "baseline": {"income_kzt": Decimal("0.00"), "obligations_kzt": Decimal("0.00")}}
    for v in vehicle_lines:
        out["vehicles"]["income_kzt"] += v["income_kzt"]
        out["vehicles"]["baseline"]["income_kzt"] += v["baseline"]["income_kzt"]
    for line in lines:
        s = out[line["stream"]]
        s["income_kzt"] += line["income_kzt"]
        s["obligations_kzt"] += line["obligations_kzt"]
        s["baseline"]["income_kzt"] += line["baseline"]["income_kzt"]
        s["baseline"]["obligations_kzt"] += line["baseline"]["obligations_kzt"]
    result = []
    for s in out.values():
        if not (s["income_kzt"] or s["obligations_kzt"] or s["baseline"]["income_kzt"] or s["baseline"]["obligations_kzt"]):
            continue
        s["balance_kzt"] = s["income_kzt"] - s["obligations_kzt"]
        s["baseline"]["balance_kzt"] = s["baseline"]["income_kzt"] - s["baseline"]["obligations_kzt"]
        s["change_kzt"] = s["balance_kzt"] - s["baseline"]["balance_kzt"]
        result.append(s)
    return result


def _totals(streams: list[dict]) -> dict[str, Any]:
    income = sum((s["income_kzt"] for s in streams), Decimal("0.00"))
    obligations = sum((s["obligations_kzt"] for s in streams), Decimal("0.00"))
    deficit = sum((-s["balance_kzt"] for s in streams if s["balance_kzt"] < 0), Decimal("0.00"))
    surplus = sum((s["balance_kzt"] for s in streams if s["balance_kzt"] > 0), Decimal("0.00"))
    vehicles = next((s["balance_kzt"] for s in streams if s["stream"] == "vehicles"), Decimal("0.00"))
    base_balance = sum((s["baseline"]["balance_kzt"] for s in streams), Decimal("0.00"))
    return {
        "income_kzt": income, "obligations_kzt": obligations, "balance_kzt": income - obligations,
        # the cross-subsidy: what the streams in deficit take from the streams in surplus
        "cross_subsidy_kzt": min(deficit, surplus), "deficit_kzt": deficit, "surplus_kzt": surplus,
        "vehicles_share_of_deficit": (min(vehicles, deficit) / deficit).quantize(Decimal("0.001"), ROUND_HALF_UP) if deficit and vehicles > 0 else None,
        "baseline_balance_kzt": base_balance, "change_kzt": income - obligations - base_balance,
    }


def _packaging_ratio(lines: list[dict]) -> dict[str, Any] | None:
    ratios = [(line["ratio"], line["category"]) for line in lines if line["kind"] == "packaging" and line["ratio"] is not None]
    if not ratios:
        return None
    lo, hi = min(ratios), max(ratios)
    return {"min": lo[0], "min_category": lo[1], "max": hi[0], "max_category": hi[1]}
