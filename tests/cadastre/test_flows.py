"""Cadastre figures computed two ways: the service (grouped SQL) against a plain walk over the
ledger entries done here, entry by entry."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from qaldyq.cadastre import flows as F
from qaldyq.cadastre.indicators import Calculator, scorecard
from qaldyq.cadastre.models import NATIONAL
from qaldyq.ledger.models import LedgerAccount, LedgerEntry
from qaldyq.registry.models import Site
from tests.cadastre.conftest import ALMATY, ASTANA, TZ

LINE_FLOW = {"generated": ("generated", 1), "accepted": ("collected", 1), "input": ("processed", -1), "disposed": ("disposed", -1), "exported": ("exported", -1)}


def independent(db, year):
    """Per (region, code): flows and stock, from every entry, in Python."""
    out = defaultdict(lambda: defaultdict(int))
    rows = db.execute(select(LedgerEntry, LedgerAccount, Site).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                      .join(Site, Site.id == LedgerAccount.site_id).where(LedgerAccount.kind == "site")).all()
    for e, a, s in rows:
        local_year = e.effective_at.astimezone(TZ).year
        if local_year > year:
            continue
        cell = out[(s.region_kato, a.waste_code)]
        cell["stock"] += e.amount_kg
        if local_year == year and e.line in LINE_FLOW:
            name, sign = LINE_FLOW[e.line]
            cell[name] += sign * e.amount_kg
    return out


def test_flows_agree_with_entries(db, world):
    for year in (2025, 2026):
        expected = independent(db, year)
        got = {(r.keys["region"], r.keys["waste_code"]): r for r in F.flows(db, year, by=("region", "waste_code"))}
        for key, cell in expected.items():
            if not any(cell.values()):
                continue
            row = got.pop(key)
            for name in ("generated", "collected", "processed", "disposed", "exported", "stock"):
                assert getattr(row, name) == cell[name], (year, key, name)
        assert not [k for k, r in got.items() if r.entries or r.stock]


def test_flows_known_values(db, world):
    rows = {(r.keys["region"], r.keys["waste_code"]): r for r in F.flows(db, 2025, by=("region", "waste_code"))}
    muni = rows[(ASTANA, "20 03 01")]
    assert (muni.generated, muni.collected, muni.disposed) == (100_000, 90_000, 80_000)
    assert muni.stock == 100_000 - 80_000  # 10 t at the generator, 10 t at the landfill
    assert rows[(ASTANA, "15 01 02")].generated == 1_000  # 23:00 on 31 Dec in Almaty is 2025
    rows26 = {(r.keys["region"], r.keys["waste_code"]): r for r in F.flows(db, 2026, by=("region", "waste_code"))}
    assert rows26[(ASTANA, "20 03 01")].generated == 100_000  # the reversed 7,777 kg count for nothing
    assert rows26[(ASTANA, "01 01 01")].processed == 100_000
    assert rows26[(ASTANA, "20 03 01")].processed == 30_000


def test_flows_by_hazard_and_type(db, world):
    rows = F.flows(db, 2026, by=("hazard",))
    by = {r.keys["hazard"]: r for r in rows}
    # 19 12 12 (sorting residue) is not in the bundled classifier: shown as "unknown", not dropped
    assert set(by) == {"non_hazardous", "unknown"}
    assert by["non_hazardous"].generated == 100_000 + 48_000 + 1_000_000
    assert by["unknown"].stock == 9_000 and by["unknown"].generated == 0
    types = {r.keys["generator_type"]: r.generated for r in F.flows(db, 2026, by=("generator_type",))}
    assert types["generator"] == 1_148_000 and types.get("recycling", 0) == 0


def test_no_data_year(db, world):
    assert F.flows(db, 2019, by=("region",)) == []
    card = {r.indicator.code: r for r in scorecard(db, 2024)}
    assert card["landfill_reduction"].fact.value is None and card["landfill_reduction"].status in ("no-data", "no-target")
    assert card["msw_recycling"].fact.value is None and card["msw_recycling"].status == "no-data"
    assert card["students"].status == "no-data"


def test_indicators_two_ways(db, world):
    calc = Calculator(db)
    # landfill: received by landfills (accepted lines at landfill sites) per year
    def to_landfill(year, region=None):
        total = 0
        for e, a, s in db.execute(select(LedgerEntry, LedgerAccount, Site).join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                                  .join(Site, Site.id == LedgerAccount.site_id)):
            if s.site_type == "landfill" and e.line in ("accepted", "generated") and e.effective_at.astimezone(TZ).year == year \
                    and (region is None or s.region_kato == region):
                total += e.amount_kg
        return total
    for region in (NATIONAL, ASTANA, ALMATY):
        r = None if region == NATIONAL else region
        base, cur = to_landfill(2025, r), to_landfill(2026, r)
        expected = (Decimal(base - cur) * 100 / Decimal(base)).quantize(Decimal("0.01"))
        assert calc.fact("landfill_reduction", 2026, region).value == expected
    assert calc.fact("landfill_reduction", 2026, ASTANA).value == Decimal("33.33")  # 90 t -> 60 t
    assert calc.fact("landfill_reduction", 2026, ALMATY).value == Decimal("4.00")  # 50 t -> 48 t
    # industrial (chapter 01) generated 1,000 t in both years; 100 t processed in 2026
    assert calc.fact("industrial_reduction", 2026).value == Decimal("10.00")
    # municipal recycling: 30 t processed of 148 t municipal generated in 2026
    assert calc.fact("msw_recycling", 2026).value == (Decimal(30_000) * 100 / Decimal(148_000)).quantize(Decimal("0.01"))
    assert calc.fact("msw_recycling", 2026, ALMATY).value == Decimal("0.00")
