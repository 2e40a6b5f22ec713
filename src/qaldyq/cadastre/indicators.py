"""Plan against fact for the national indicators (methodology: docs/cadastre.md).

Ledger indicators are computed with one grouped statement per year (all regions at once); the
national figure is the sum of the regional numerators and denominators, never an average of
percentages. Inputs (students, TOP-50 reports) come from `cadastre_indicator_inputs`. A figure
with nothing behind it is `None` ("no data"), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from qaldyq.cadastre.flows import generating_sites, year_bounds
from qaldyq.cadastre.indicators_def import BY_CODE, INDICATORS, INDUSTRIAL_CHAPTERS, LANDFILL_SITE_TYPES, MUNICIPAL_PREFIXES, Indicator
from qaldyq.cadastre.models import NATIONAL, IndicatorInput, IndicatorTarget, InventoryReport
from qaldyq.ledger.models import LedgerAccount as A
from qaldyq.ledger.models import LedgerEntry as E
from qaldyq.registry.models import Site

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def pct(num: int | Decimal, den: int | Decimal) -> Decimal:
    return (Decimal(num) * HUNDRED / Decimal(den)).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Fact:
    value: Decimal | None  # None: no data
    numerator: int | Decimal | None = None
    denominator: int | Decimal | None = None


@dataclass
class Target:
    value: Decimal
    version: int
    is_fact: bool
    act_number: str
    act_date: date
    act_title: dict[str, str]


@dataclass
class Row:
    indicator: Indicator
    year: int
    region: str  # NATIONAL for the country
    target: Target | None
    fact: Fact
    status: str  # met, behind, no-data, no-target, national-only
    provisional: bool  # the year is not over yet


def _prefix_filter(prefixes: tuple[str, ...]):
    return or_(*[A.waste_code.startswith(p) for p in prefixes])


def measures(db: Session, year: int) -> dict[str, dict[str, int]]:
    """Per region: the ledger sums the indicators need for `year` (kg, and entry counts)."""
    start, end = year_bounds(year)
    landfill = Site.site_type.in_(LANDFILL_SITE_TYPES)
    muni, ind = _prefix_filter(MUNICIPAL_PREFIXES), _prefix_filter(INDUSTRIAL_CHAPTERS)

    def s(cond, sign=1):
        return func.coalesce(func.sum(case((cond, E.amount_kg * sign), else_=0)), 0)

    def n(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    to_landfill = and_(landfill, E.line.in_(("accepted", "generated")))
    q = (select(Site.region_kato,
                s(to_landfill).label("landfill_kg"), n(to_landfill).label("landfill_n"),
                s(and_(ind, E.line == "generated")).label("ind_gen"), n(and_(ind, E.line == "generated")).label("ind_n"),
                s(and_(ind, E.line.in_(("input", "exported"))), -1).label("ind_used"),
                s(and_(muni, E.line == "generated")).label("msw_gen"), n(and_(muni, E.line == "generated")).label("msw_n"),
                s(and_(muni, E.line == "input"), -1).label("msw_recycled"))
         .select_from(E).join(A, A.id == E.account_id).join(Site, Site.id == A.site_id)
         .where(A.kind == "site", E.effective_at >= start, E.effective_at < end).group_by(Site.region_kato))
    out = {r["region_kato"]: {k: int(v) for k, v in r.items() if k != "region_kato"} for r in db.execute(q).mappings()}
    return out


def _sum(m: dict[str, dict[str, int]], region: str, key: str) -> int:
    if key == "not_in_turnover":  # from the sums, so waste processed in another region still counts
        return max(_sum(m, region, "ind_gen") - _sum(m, region, "ind_used"), 0)
    if region == NATIONAL:
        return sum(v[key] for v in m.values())
    return m.get(region, {}).get(key, 0)


def _reports_by_region(db: Session, year: int) -> dict[int, str]:
    return {sid: kato for sid, kato in db.execute(select(InventoryReport.site_id, InventoryReport.region_kato).where(InventoryReport.year == year).distinct())}


class Calculator:
    """Facts for one or more years, caching the grouped queries (one per year) it needs."""

    def __init__(self, db: Session):
        self.db = db
        self._measures: dict[int, dict] = {}
        self._sets: dict[int, tuple[dict, dict]] = {}
        self._inputs: dict[tuple[str, int], dict[str, IndicatorInput]] = {}

    def m(self, year: int) -> dict[str, dict[str, int]]:
        if year not in self._measures:
            self._measures[year] = measures(self.db, year)
        return self._measures[year]

    def inventory_sets(self, year: int) -> tuple[dict[int, str], dict[int, str]]:
        if year not in self._sets:
            self._sets[year] = (generating_sites(self.db, year), _reports_by_region(self.db, year))
        return self._sets[year]

    def inputs(self, code: str, year: int) -> dict[str, IndicatorInput]:
        if (code, year) not in self._inputs:
            rows = self.db.scalars(select(IndicatorInput).where(IndicatorInput.indicator == code, IndicatorInput.year == year))
            self._inputs[(code, year)] = {r.region_kato: r for r in rows}
        return self._inputs[(code, year)]

    def fact(self, code: str, year: int, region: str = NATIONAL) -> Fact:
        return getattr(self, "_" + code)(year, region)

    # -- ledger indicators ----------------------------------------------------------------------
    def _inventory(self, year: int, region: str) -> Fact:
        generating, reported = self.inventory_sets(year)
        pick = (lambda d: set(d)) if region == NATIONAL else (lambda d: {s for s, k in d.items() if k == region})
        universe, done = pick(generating) | pick(reported), pick(reported)
        if not universe:
            return Fact(None)
        return Fact(pct(len(done), len(universe)), len(done), len(universe))

    def _reduction(self, year: int, region: str, amount: str, count: str) -> Fact:
        cur, base = self.m(year), self.m(BY_CODE["landfill_reduction"].baseline_year)
        if not _sum(cur, region, count) or not _sum(base, region, count):
            return Fact(None)
        b = _sum(base, region, amount)
        if b <= 0:
            return Fact(None)
        f = max(_sum(cur, region, amount), 0)
        return Fact(pct(b - f, b), f, b)

    def _landfill_reduction(self, year: int, region: str) -> Fact:
        return self._reduction(year, region, "landfill_kg", "landfill_n")

    def _industrial_reduction(self, year: int, region: str) -> Fact:
        return self._reduction(year, region, "not_in_turnover", "ind_n")

    def _msw_recycling(self, year: int, region: str) -> Fact:
        cur = self.m(year)
        gen = _sum(cur, region, "msw_gen")
        if not _sum(cur, region, "msw_n") or gen <= 0:
            return Fact(None)
        recycled = min(max(_sum(cur, region, "msw_recycled"), 0), gen)
        return Fact(pct(recycled, gen), recycled, gen)

    # -- entered indicators ---------------------------------------------------------------------
    def _entered(self, code: str, year: int, region: str) -> Fact:
        rows = self.inputs(code, year)
        if region in rows:
            r = rows[region]
            return Fact(Decimal(r.value_pct).quantize(CENT), r.numerator, r.denominator)
        if region == NATIONAL:  # the country from the regions, when every region entered counts
            regional = [r for k, r in rows.items() if k != NATIONAL]
            if regional and all(r.denominator for r in regional):
                num, den = sum(r.numerator for r in regional), sum(r.denominator for r in regional)
                return Fact(pct(num, den), num, den)
        return Fact(None)

    def _students(self, year: int, region: str) -> Fact:
        return self._entered("students", year, region)

    def _top50_reports(self, year: int, region: str) -> Fact:
        return self._entered("top50_reports", year, region) if region == NATIONAL else Fact(None)


def targets(db: Session, code: str) -> dict[int, Target]:
    """The target of each year: the highest version in force."""
    out: dict[int, Target] = {}
    rows = db.scalars(select(IndicatorTarget).where(IndicatorTarget.indicator == code).order_by(IndicatorTarget.year, IndicatorTarget.version))
    for t in rows:
        out[t.year] = Target(Decimal(t.target_pct).quantize(CENT), t.version, t.is_fact, t.act_number, t.act_date,
                             {"kk": t.act_title_kk, "ru": t.act_title_ru, "en": t.act_title_en})
    return out


def current_year() -> int:
    from qaldyq.catalog.calendar import today_almaty

    return today_almaty().year


def judge(ind: Indicator, target: Target | None, fact: Fact, region: str) -> str:
    if not ind.regional and region != NATIONAL:
        return "national-only"
    if fact.value is None:
        return "no-data"
    if target is None:
        return "no-target"
    return "met" if fact.value >= target.value else "behind"


def scorecard(db: Session, year: int, region: str = NATIONAL, calc: Calculator | None = None) -> list[Row]:
    calc = calc or Calculator(db)
    now = current_year()
    out = []
    for ind in INDICATORS:
        t = targets(db, ind.code).get(year)
        f = calc.fact(ind.code, year, region)
        out.append(Row(ind, year, region, t, f, judge(ind, t, f, region), year >= now))
    return out


def series(db: Session, code: str, years: range, region: str = NATIONAL, calc: Calculator | None = None) -> list[Row]:
    calc = calc or Calculator(db)
    ind, tg, now = BY_CODE[code], targets(db, code), current_year()
    rows = []
    for y in years:
        f = calc.fact(code, y, region)
        rows.append(Row(ind, y, region, tg.get(y), f, judge(ind, tg.get(y), f, region), y >= now))
    return rows


def by_region(db: Session, code: str, year: int, regions: list[str], calc: Calculator | None = None) -> list[Row]:
    calc = calc or Calculator(db)
    ind, t, now = BY_CODE[code], targets(db, code).get(year), current_year()
    return [Row(ind, year, k, t, f := calc.fact(code, year, k), judge(ind, t, f, k), year >= now) for k in regions]
