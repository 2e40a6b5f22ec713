"""The payouts and control demo data: claims in every state built from the demo ledger, and
findings for the operator and the Astana inspector, with the inspector's two decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qaldyq.control import demo as control_demo
from qaldyq.control import service
from qaldyq.control.models import ControlFinding
from qaldyq.core.auth import principal_for_user
from qaldyq.core.demo import DemoContext
from qaldyq.core.models import User
from qaldyq.ledger import demo as ledger_demo
from qaldyq.payouts import demo as payouts_demo
from qaldyq.payouts import service as payouts
from qaldyq.registry import demo as registry_demo
from qaldyq.signing import demo as signing_demo
from qaldyq.transfers import demo as transfers_demo


@pytest.mark.parametrize("backend", ["sqlite"])  # the seeds go through the services, tested on both databases elsewhere
def test_demo_claims_in_every_state_and_findings_for_the_inspector(db):
    ctx = DemoContext()
    for seed in (registry_demo.seed, signing_demo.seed, ledger_demo.seed, transfers_demo.seed, payouts_demo.seed, control_demo.seed):
        seed(db, ctx)
        db.flush()
    reg = ctx.shared["registry"]
    users = {name: principal_for_user(db.get(User, uid), "test") for name, uid in reg["users"].items()}

    claims = payouts.list_claims(db, users["demo.recycler"])
    assert {c.status for c in claims} == {"draft", "submitted", "approved", "rejected", "paid"}
    assert all(c.mass_kg == sum(x.mass_kg for x in c.lines) for c in claims if c.status != "rejected")
    paid = [c for c in claims if c.status == "paid"]
    assert paid and len({c.registry_id for c in paid}) == 1
    # two months with receipts are left for the recycler to claim in the UI
    assert len({m.period_from for m in payouts.unclaimed_months(db, reg["key"]["recycler"]) if m.operation == "collection"}) == 2

    rules = {f.rule_id for f in service.list_findings(db, users["demo.operator"], None)}
    assert {"identical-weights", "round-weights", "claim-above-ledger", "impossible-travel"} <= rules
    seen = service.list_findings(db, users["demo.inspector"], None)
    assert seen and all(f.region_kato == "710000000" for f in seen)
    decided = {f.rule_id: (f.status, f.reason) for f in seen if f.status != "open"}
    assert decided["identical-weights"][0] == "acknowledged" and decided["round-weights"][0] == "dismissed"
    submitted = next(c for c in claims if c.status == "submitted")
    above = db.scalar(select(ControlFinding).where(ControlFinding.rule_id == "claim-above-ledger"))
    assert above.subject == submitted.number and above.value > above.limit
    assert service.risk_scores(db, users["demo.inspector"])[0].score > 0
