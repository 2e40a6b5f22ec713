"""The cadastre demo on top of a small registry and the ledger demo: every indicator gets a fact
in every region that has sites, and the ledger stays consistent."""

from __future__ import annotations

from qaldyq.cadastre import demo as cadastre_demo
from qaldyq.cadastre.indicators import scorecard
from qaldyq.cadastre.models import NATIONAL
from qaldyq.catalog.calendar import today_almaty
from qaldyq.core.demo import DemoContext
from qaldyq.ledger import demo as ledger_demo
from qaldyq.ledger.integrity import verify_ledger
from tests.factories import make_org, make_site

REGIONS = ("710000000", "750000000")


def test_demo_gives_every_indicator_a_fact(db):
    for kato in REGIONS:
        org = make_org(db, region=kato)
        for j in range(2):
            make_site(db, org, "generator", name=f"Цех {kato}-{j}")
        make_site(db, make_org(db, roles=("recycler",), region=kato), "recycling", loss_tolerance_pct=5)
        make_site(db, make_org(db, roles=("landfill_operator",), region=kato), "landfill")
    ctx = DemoContext(seed=7)
    ledger_demo.seed(db, ctx)
    cadastre_demo.seed(db, ctx)
    year = today_almaty().year
    for region in (NATIONAL, *REGIONS):
        for row in scorecard(db, year, region):
            if row.status == "national-only":
                continue
            assert row.fact.value is not None, (region, row.indicator.code)
            assert row.target is not None
    assert verify_ledger(db).ok
