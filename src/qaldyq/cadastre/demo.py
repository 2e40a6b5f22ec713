"""Demo cadastre data on top of the ledger demo, so every indicator has a fact against its target
in every region:

- the 2025 baseline of indicators 2 and 3: for each region, municipal waste taken to its landfill
  and industrial waste (mining rock, 01 01 01) generated, posted to the ledger in 2025 (the
  ledger demo covers only the last months); the baseline is the current year's landfill figure
  so far times 0.98–1.12, so some regions meet the reduction target and some do not;
- industrial waste in the current year, part of it recycled into aggregate where a recycler is;
- inventory reports for 2025 (most generators; a few lines deliberately off, for the data-quality
  view) and for the current year (a third of them);
- indicator inputs: students per region (counts) for 2025 and the current year, TOP-50 reports.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.cadastre import service
from qaldyq.cadastre.indicators import measures
from qaldyq.cadastre.models import NATIONAL
from qaldyq.cadastre.schemas import IndicatorInputIn, InventoryLineIn
from qaldyq.catalog.calendar import today_almaty
from qaldyq.core.demo import DemoContext
from qaldyq.core.errors import Problem
from qaldyq.ledger import service as L
from qaldyq.registry.models import Site
from qaldyq.registry.regions import REGIONS

TZ = ZoneInfo("Asia/Almaty")
BASE = 2025
INDUSTRIAL = "01 01 01"


def _sites(db: Session) -> dict[str, dict[str, list[Site]]]:
    out: dict[str, dict[str, list[Site]]] = {}
    for s in db.scalars(select(Site).where(Site.status == "active").order_by(Site.id)):
        out.setdefault(s.region_kato, {}).setdefault(s.site_type, []).append(s)
    return out


def seed(db: Session, ctx: DemoContext) -> None:
    rng = ctx.rng_for("cadastre")
    year = today_almaty().year
    if year <= BASE:
        return
    sites = _sites(db)
    now_measures = measures(db, year)
    n = 0
    for kato, *_ in REGIONS:
        by_type = sites.get(kato, {})
        gens, landfills, recyclers = by_type.get("generator", []), by_type.get("landfill", []), by_type.get("recycling", [])
        if not gens:
            continue
        gen = gens[0]
        # municipal waste to the landfill in 2025 (the baseline of indicator 2)
        current = now_measures.get(kato, {}).get("landfill_kg", 0)
        if landfills and current <= 0:  # a region the ledger demo left out: this year's municipal waste too
            current = _municipal_year(db, rng, kato, year, gen, landfills[0], recyclers[0] if recyclers else None)
        if landfills and current > 0:
            mass = int(current * rng.uniform(0.98, 1.12)) // 10 * 10
            when = datetime(BASE, 6, 15, 10, tzinfo=TZ)
            L.record_generation(db, key=f"cad:{kato}:g25", site_id=gen.id, waste_code="20 03 01", mass_kg=mass, effective_at=when)
            p = L.pend_transfer(db, key=f"cad:{kato}:t25", consignor_site_id=gen.id, receiver_site_id=landfills[0].id, waste_code="20 03 01",
                                mass_kg=mass, effective_at=when.replace(day=16))
            L.post_transfer(db, key=f"cad:{kato}:a25", pending_id=p.transaction_id, accepted_kg=mass, effective_at=when.replace(day=16, hour=15))
            L.record_disposal(db, key=f"cad:{kato}:d25", site_id=landfills[0].id, waste_code="20 03 01", mass_kg=mass, operation="D1",
                              effective_at=when.replace(day=20))
        # industrial waste: mostly stays on site; in the current year part is recycled
        base_ind = rng.randint(400, 2_000) * 1000
        L.record_generation(db, key=f"cad:{kato}:i25", site_id=gen.id, waste_code=INDUSTRIAL, mass_kg=base_ind, effective_at=datetime(BASE, 9, 1, 10, tzinfo=TZ))
        cur_ind = int(base_ind * rng.uniform(0.9, 1.05)) // 1000 * 1000
        L.record_generation(db, key=f"cad:{kato}:i{year}", site_id=gen.id, waste_code=INDUSTRIAL, mass_kg=cur_ind,
                            effective_at=datetime(year, 3, 1, 10, tzinfo=TZ))
        if recyclers and rng.random() < 0.8:
            used = int(cur_ind * rng.uniform(0.02, 0.14)) // 1000 * 1000
            if used > 0:
                rec = recyclers[0]
                p = L.pend_transfer(db, key=f"cad:{kato}:it{year}", consignor_site_id=gen.id, receiver_site_id=rec.id, waste_code=INDUSTRIAL,
                                    mass_kg=used, effective_at=datetime(year, 4, 2, 10, tzinfo=TZ))
                L.post_transfer(db, key=f"cad:{kato}:ia{year}", pending_id=p.transaction_id, accepted_kg=used, effective_at=datetime(year, 4, 2, 16, tzinfo=TZ))
                try:
                    L.record_processing(db, key=f"cad:{kato}:ip{year}", site_id=rec.id, inputs=[L.Mass(INDUSTRIAL, used)],
                                        outputs=[L.Output("product", "Crushed stone aggregate", used)], operation="R5",
                                        effective_at=datetime(year, 4, 10, 10, tzinfo=TZ))
                except Problem:
                    pass
        n += 1
    _inventories(db, rng, BASE, share=0.75)
    _inventories(db, rng, year, share=0.35)
    _inputs(db, rng, year)
    ctx.shared["cadastre_regions"] = n


def _municipal_year(db: Session, rng, kato: str, year: int, gen: Site, landfill: Site, recycler: Site | None) -> int:
    """Municipal waste of this year in a region: most of it landfilled, some recycled. Returns the landfilled mass."""
    mass = rng.randint(150, 900) * 1000
    recycled = int(mass * rng.uniform(0.15, 0.4)) // 1000 * 1000 if recycler else 0
    when = datetime(year, 2, 10, 10, tzinfo=TZ)
    L.record_generation(db, key=f"cad:{kato}:m{year}", site_id=gen.id, waste_code="20 03 01", mass_kg=mass, effective_at=when)
    for dest, part, tag in ((landfill, mass - recycled, "l"), (recycler, recycled, "r")):
        if dest is None or part <= 0:
            continue
        p = L.pend_transfer(db, key=f"cad:{kato}:m{tag}{year}", consignor_site_id=gen.id, receiver_site_id=dest.id, waste_code="20 03 01",
                            mass_kg=part, effective_at=when.replace(day=12))
        L.post_transfer(db, key=f"cad:{kato}:ma{tag}{year}", pending_id=p.transaction_id, accepted_kg=part, effective_at=when.replace(day=12, hour=15))
    if recycler is not None and recycled > 0:
        try:
            L.record_processing(db, key=f"cad:{kato}:mp{year}", site_id=recycler.id, inputs=[L.Mass("20 03 01", recycled)],
                                outputs=[L.Output("product", "RDF", recycled)], operation="R3", effective_at=when.replace(day=20))
        except Problem:
            pass
    return mass - recycled


def _inventories(db: Session, rng, year: int, share: float) -> None:
    """Reports built from the ledger (as a diligent generator would file them); 1 in 8 is off."""
    generating = service.generating_sites(db, year)
    ledger = service.ledger_by_site_code(db, year, set(generating))
    lines = []
    for (site_id, code), v in sorted(ledger.items()):
        if rng.random() > share or v["generated"] <= 0:
            continue
        off = 1.07 if rng.random() < 0.125 else 1.0
        lines.append(InventoryLineIn(site_id=site_id, year=year, waste_code=code, generated_kg=int(v["generated"] * off),
                                     transferred_kg=max(v["sent"], 0), treated_on_site_kg=0, stock_end_kg=max(v["stock"], 0)))
    if lines:
        service.submit_inventory(db, None, lines, "demo")


def _inputs(db: Session, rng, year: int) -> None:
    for y in (BASE, year):
        for kato, *_ in REGIONS:
            enrolled = rng.randint(60, 420) * 1000
            share = rng.uniform(0.18, 0.34) if y == year else rng.uniform(0.15, 0.25)
            service.save_input(db, None, IndicatorInputIn(indicator="students", year=y, region_kato=kato, numerator=int(enrolled * share),
                                                         denominator=enrolled, source="Ministry of Enlightenment, letter (demo)"))
        published = 9 if y == BASE else 11
        service.save_input(db, None, IndicatorInputIn(indicator="top50_reports", year=y, region_kato=NATIONAL, numerator=published, denominator=50,
                                                     source="Register of sustainability reports, NCE Atameken (demo)"))
