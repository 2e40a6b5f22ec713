from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from qaldyq.ledger import service as L
from tests.factories import make_org, make_site

TZ = ZoneInfo("Asia/Almaty")
ASTANA, ALMATY = "710000000", "750000000"


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=TZ)


@dataclass
class World:
    gen: object  # generator site, Astana
    gen2: object  # generator site, Almaty
    mine: object  # industrial generator, Almaty
    rec: object  # recycler, Astana
    lf: object  # landfill, Astana
    lf2: object  # landfill, Almaty


def _transfer(db, key, src, dst, code, mass, when, accepted=None):
    p = L.pend_transfer(db, key=f"{key}:pick", consignor_site_id=src.id, receiver_site_id=dst.id, waste_code=code, mass_kg=mass, effective_at=when)
    L.post_transfer(db, key=f"{key}:acc", pending_id=p.transaction_id, accepted_kg=accepted or mass, effective_at=when.replace(hour=15))
    return p


@pytest.fixture
def world(db) -> World:
    """Two regions; 2025 (the baseline) and 2026 movements, one reversal, one year boundary case."""
    g = make_org(db, roles=("waste_generator",), name="ТОО Генератор", region=ASTANA)
    g2 = make_org(db, roles=("waste_generator",), name="ТОО Генератор 2", region=ALMATY)
    m = make_org(db, roles=("hazardous_waste_generator",), name="АО Рудник", region=ALMATY)
    r = make_org(db, roles=("recycler",), name="ТОО Переработчик", region=ASTANA)
    lo = make_org(db, roles=("landfill_operator",), name="ГКП Полигон", region=ASTANA)
    lo2 = make_org(db, roles=("landfill_operator",), name="ГКП Полигон 2", region=ALMATY)
    w = World(make_site(db, g, "generator"), make_site(db, g2, "generator"), make_site(db, m, "generator"),
              make_site(db, r, "recycling", loss_tolerance_pct=5), make_site(db, lo, "landfill"), make_site(db, lo2, "landfill"))
    # 2025: municipal waste to landfill; industrial waste kept on site
    L.record_generation(db, key="g25a", site_id=w.gen.id, waste_code="20 03 01", mass_kg=100_000, effective_at=at(2025, 3, 1))
    _transfer(db, "t25a", w.gen, w.lf, "20 03 01", 90_000, at(2025, 3, 5))
    L.record_disposal(db, key="d25a", site_id=w.lf.id, waste_code="20 03 01", mass_kg=80_000, effective_at=at(2025, 3, 6))
    L.record_generation(db, key="g25b", site_id=w.gen2.id, waste_code="20 03 01", mass_kg=50_000, effective_at=at(2025, 6, 1))
    _transfer(db, "t25b", w.gen2, w.lf2, "20 03 01", 50_000, at(2025, 6, 2))
    L.record_generation(db, key="g25m", site_id=w.mine.id, waste_code="01 01 01", mass_kg=1_000_000, effective_at=at(2025, 7, 1))
    # generated at 23:30 local time on 31 Dec 2025: still 2025 in Almaty (18:30 UTC)
    L.record_generation(db, key="g25late", site_id=w.gen.id, waste_code="15 01 02", mass_kg=1_000, effective_at=at(2025, 12, 31, 23))
    # 2026: less to landfill, some recycling, industrial waste partly processed
    L.record_generation(db, key="g26a", site_id=w.gen.id, waste_code="20 03 01", mass_kg=100_000, effective_at=at(2026, 3, 1))
    _transfer(db, "t26a", w.gen, w.lf, "20 03 01", 60_000, at(2026, 3, 5))
    _transfer(db, "t26r", w.gen, w.rec, "20 03 01", 30_000, at(2026, 3, 6))
    L.record_processing(db, key="p26", site_id=w.rec.id, inputs=[L.Mass("20 03 01", 30_000)], outputs=[L.Output("product", "RDF", 20_000)],
                        residues=[L.Mass("19 12 12", 9_000)], loss_kg=1_000, operation="R3", effective_at=at(2026, 3, 20))
    L.record_generation(db, key="g26b", site_id=w.gen2.id, waste_code="20 03 01", mass_kg=48_000, effective_at=at(2026, 5, 1))
    _transfer(db, "t26b", w.gen2, w.lf2, "20 03 01", 48_000, at(2026, 5, 2))
    L.record_generation(db, key="g26m", site_id=w.mine.id, waste_code="01 01 01", mass_kg=1_000_000, effective_at=at(2026, 7, 1))
    _transfer(db, "t26m", w.mine, w.rec, "01 01 01", 100_000, at(2026, 7, 2))
    L.record_processing(db, key="p26m", site_id=w.rec.id, inputs=[L.Mass("01 01 01", 100_000)], outputs=[L.Output("product", "Aggregate", 100_000)],
                        operation="R5", effective_at=at(2026, 7, 3))
    # a wrong generation, corrected by reversal: must count for nothing
    bad = L.record_generation(db, key="g26bad", site_id=w.gen.id, waste_code="20 03 01", mass_kg=7_777, effective_at=at(2026, 4, 1))
    L.reverse(db, key="g26bad:rev", transaction_id=bad.transaction_id, reason="typo", effective_at=at(2026, 4, 2))
    return w
