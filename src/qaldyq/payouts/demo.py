"""Demo payouts: the operator's contracts with the demo collector and recycler, and the recycler's
monthly claims built from the demo ledger through the same services as the API, left in every
state (paid through a payment registry, approved, submitted, rejected, draft). The two latest
months with receipts stay unclaimed, so the recycler can build a claim in the UI.

Deterministic: the months are those of the ledger demo (relative to the day the demo is loaded);
nothing is drawn at random.

`ctx.shared["payouts"]`: {"contracts": {"recycler", "collector": contract id},
"claims": {status: [claim ids]}, "registry_id"}.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from qaldyq.core.auth import principal_for_user
from qaldyq.core.demo import DemoContext
from qaldyq.core.errors import Problem
from qaldyq.core.models import User
from qaldyq.payouts import service

CATEGORIES = ["packaging-paper", "packaging-polymer"]
# the recycler's claims, oldest month first: (month index among its months with receipts, operation, final state)
PLAN = [
    (0, "collection", "paid"), (1, "collection", "paid"), (0, "processing", "approved"), (2, "collection", "approved"),
    (1, "processing", "rejected"), (3, "collection", "submitted"), (4, "collection", "draft"),
]
UNCLAIMED = 2  # the latest months left for the UI


def seed(db: Session, ctx: DemoContext) -> None:
    reg = ctx.shared.get("registry")
    if not reg:
        return
    key, users = reg["key"], reg["users"]
    operator = principal_for_user(db.get(User, users["demo.operator"]), "session")
    recycler = principal_for_user(db.get(User, users["demo.recycler"]), "session")
    today = service.catalog_today()
    since = service.month_bounds(today.replace(day=1) - timedelta(days=400))[0]  # the contracts cover the whole demo ledger
    contracts = {
        "recycler": service.create_contract(db, organization_id=key["recycler"], operations=["collection", "processing"],
                                            categories=CATEGORIES, valid_from=since, valid_to=None),
        "collector": service.create_contract(db, organization_id=key["collector"], operations=["collection", "transportation"],
                                             categories=CATEGORIES, valid_from=since, valid_to=None),
    }
    months = sorted({m.period_from for m in service.unclaimed_months(db, key["recycler"], today) if m.operation == "collection"})
    usable = months[: max(0, len(months) - UNCLAIMED)]
    claims: dict[str, list[int]] = {}
    to_pay = []
    for index, operation, state in PLAN:
        if index >= len(usable):
            continue
        d1, d2 = service.month_bounds(usable[index])
        try:
            c = service.create_claim(db, recycler, organization_id=key["recycler"], operation=operation, period_from=d1, period_to=d2)
        except Problem:  # nothing to claim in that month for this operation
            continue
        if state != "draft":
            service.transition(db, recycler, c.id, "submit")
        if state == "rejected":
            service.transition(db, operator, c.id, "reject", "Акт переработки за месяц не приложен; подайте заявку повторно с актом.")
        elif state in ("approved", "paid"):
            service.transition(db, operator, c.id, "approve")
        if state == "paid":
            to_pay.append(c.id)
        claims.setdefault(state, []).append(c.id)
    registry_id = None
    if to_pay:
        registry = service.create_registry(db, to_pay)
        service.pay_registry(db, operator, registry.id)
        registry_id = registry.id
    db.flush()
    ctx.shared["payouts"] = {"contracts": {k: c.id for k, c in contracts.items()}, "claims": claims, "registry_id": registry_id}
