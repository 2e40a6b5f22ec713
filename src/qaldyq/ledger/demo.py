"""Demo ledger: seven past months of generation at the demo generators, transfers to sorting and
recycling sites and to landfills (accepted in full or in part, some refused), processing into
products and residues within tolerance, and disposal — so balances, movement histories, mass
balances and chains of custody have something to show.

Transfers here are ledger-only (reference type "demo-transfer"); the transfers domain's demo
creates real transfer documents on top of the same services.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from qaldyq.core.demo import DemoContext
from qaldyq.core.errors import Problem
from qaldyq.ledger import reports
from qaldyq.ledger import service as L
from qaldyq.ledger.sites import SiteInfo, active_sites

MONTHS = 7
MAX_GENERATORS = 40
# waste code: (share of generators producing it, monthly kg range, goes to recycling?)
STREAMS = {
    "20 03 01": (0.9, (8_000, 40_000), False),  # mixed municipal waste
    "15 01 01": (0.5, (500, 4_000), True),  # paper and cardboard packaging
    "15 01 02": (0.5, (300, 2_500), True),  # plastic packaging
    "16 01 03": (0.15, (1_000, 6_000), True),  # end-of-life tyres
    "17 09 04": (0.2, (5_000, 30_000), False),  # mixed construction and demolition waste
}
PRODUCTS = {"15 01 01": "Cardboard bales", "15 01 02": "PET flakes", "16 01 03": "Rubber crumb", "20 03 01": "RDF"}
RESIDUE = "19 12 12"


def _kind(site: SiteInfo) -> str:
    t = site.site_type.lower()
    if any(w in t for w in ("landfill", "polygon", "dump", "disposal")):
        return "landfill"
    if any(w in t for w in ("recycl", "sort", "process", "treat", "compost", "recover")):
        return "recycler"
    return "generator"


def seed(db: Session, ctx: DemoContext) -> None:
    rng = ctx.rng_for("ledger")
    sites = active_sites(db)
    by_kind: dict[str, list[SiteInfo]] = {"generator": [], "recycler": [], "landfill": []}
    for s in sites:
        by_kind[_kind(s)].append(s)
    generators = by_kind["generator"][: max(1, int(MAX_GENERATORS * ctx.scale))]
    recyclers, landfills = by_kind["recycler"], by_kind["landfill"]
    if not generators:
        return

    def near(site: SiteInfo, pool: list[SiteInfo]) -> SiteInfo | None:
        if not pool:
            return None
        same = [p for p in pool if p.region_kato == site.region_kato] or pool
        return same[site.id % len(same)]

    streams = {g.id: [c for c, (share, _r, _x) in STREAMS.items() if rng.random() < share] or ["20 03 01"] for g in generators}
    now = datetime.now(timezone.utc)
    start = (now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=31 * MONTHS)).replace(day=1)
    n = 0

    def key(*parts) -> str:
        return "demo:" + ":".join(str(p) for p in parts)

    def at(month: datetime, day: int, hour: int = 9) -> datetime:
        return month.replace(day=day, hour=hour) + timedelta(minutes=rng.randint(0, 50))

    for m in range(MONTHS):
        month = (start + timedelta(days=31 * m + 1)).replace(day=1)
        if month.replace(day=28) >= now:
            break
        received: dict[tuple[int, str], int] = {}
        for g in generators:
            for code in streams[g.id]:
                lo, hi = STREAMS[code][1]
                L.record_generation(db, key=key("gen", g.id, code, m), site_id=g.id, waste_code=code, mass_kg=rng.randint(lo, hi) // 10 * 10,
                                    effective_at=at(month, 2), reference=L.Reference("journal", f"WJ-{g.id}-{month:%Y%m}"))
                dest = near(g, recyclers) if STREAMS[code][2] or (code == "20 03 01" and rng.random() < 0.3) else near(g, landfills)
                if dest is None or dest.id == g.id:
                    continue
                held = reports.balance_kg(db, g.id, code)
                mass = int(held * rng.uniform(0.7, 0.95)) // 10 * 10
                if mass <= 0:
                    continue
                n += 1
                ref = L.Reference("demo-transfer", f"DEMO-{month:%Y%m}-{n:05d}")
                p = L.pend_transfer(db, key=key("pick", n), consignor_site_id=g.id, receiver_site_id=dest.id, waste_code=code, mass_kg=mass,
                                    effective_at=at(month, 10), reference=ref)
                roll = rng.random()
                when = at(month, 10, 15)
                if roll < 0.04:
                    L.void_transfer(db, key=key("void", n), pending_id=p.transaction_id, effective_at=when, reference=ref)
                    continue
                if roll < 0.15:  # partly refused (foreign matter), weighed a little lighter
                    refused = mass // 10
                    accepted = mass - refused - mass // 200
                else:
                    refused, accepted = 0, mass - rng.choice((0, 0, 0, mass // 300))
                L.post_transfer(db, key=key("accept", n), pending_id=p.transaction_id, accepted_kg=accepted, refused_kg=refused, effective_at=when, reference=ref)
                received[(dest.id, code)] = received.get((dest.id, code), 0) + accepted
        for r in recyclers:
            for code in sorted({c for (sid, c) in received if sid == r.id}):
                held = reports.balance_kg(db, r.id, code)
                if held < 100:
                    continue
                tolerance = float(r.loss_tolerance_pct) / 100
                loss = int(held * min(tolerance, 0.04) * rng.uniform(0.3, 1.0))
                product = int(held * rng.uniform(0.55, 0.8))
                residue = held - product - loss
                try:
                    L.record_processing(db, key=key("proc", r.id, code, m), site_id=r.id, inputs=[L.Mass(code, held)],
                                        outputs=[L.Output("product", PRODUCTS.get(code, "Secondary raw material"), product)],
                                        residues=[L.Mass(RESIDUE, residue)], loss_kg=loss, operation="R3" if code != "16 01 03" else "R5",
                                        effective_at=at(month, 20))
                except Problem:
                    continue
            lf = near(r, landfills)
            held = reports.balance_kg(db, r.id, RESIDUE)
            if lf is not None and held > 0:
                n += 1
                ref = L.Reference("demo-transfer", f"DEMO-{month:%Y%m}-{n:05d}")
                p = L.pend_transfer(db, key=key("pick", n), consignor_site_id=r.id, receiver_site_id=lf.id, waste_code=RESIDUE, mass_kg=held,
                                    effective_at=at(month, 25), reference=ref)
                L.post_transfer(db, key=key("accept", n), pending_id=p.transaction_id, accepted_kg=held, effective_at=at(month, 25, 14), reference=ref)
        for lf in landfills:
            for b in reports.balances(db, lf.id):
                mass = int(b.balance_kg * rng.uniform(0.85, 1.0))
                if mass > 0:
                    L.record_disposal(db, key=key("disp", lf.id, b.waste_code, m), site_id=lf.id, waste_code=b.waste_code, mass_kg=mass, operation="D1",
                                      effective_at=at(month, 28))
    ctx.shared["ledger_demo_transfers"] = n
