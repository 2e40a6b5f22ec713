"""The demo seeds of signing and ledger on top of a small registry: fast, consistent, signable."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from qaldyq.core.demo import DemoContext
from qaldyq.ledger.integrity import verify_ledger
from qaldyq.ledger.models import LedgerTransaction
from qaldyq.signing import demo as signing_demo
from qaldyq.signing import service as signing
from qaldyq.ledger import demo as ledger_demo
from tests.factories import make_org, make_site, make_user


def test_demo_seeds(db):
    orgs = [make_org(db, region=r) for r in ("710000000", "710000000", "750000000")]
    for i, org in enumerate(orgs):
        make_user(db, org, "org_admin")
        for j in range(3):
            make_site(db, org, "generator", name=f"Цех {i}-{j}")
    make_site(db, orgs[0], "sorting_plant", name="Сортировка", loss_tolerance_pct=5)
    make_site(db, orgs[1], "landfill", name="Полигон")
    ctx = DemoContext(seed=7)
    started = time.perf_counter()
    signing_demo.seed(db, ctx)
    ledger_demo.seed(db, ctx)
    assert time.perf_counter() - started < 30
    users = db.scalars(select(func.count()).select_from(signing.UserCertificate)).one()
    assert users == 3 and ctx.shared["signing_demo_ca"]
    user = make_user(db, orgs[0])
    assert signing.sign_and_verify_as_user(db, user.id, b'{"x":1}').held_key
    kinds = dict(db.execute(select(LedgerTransaction.kind, func.count()).group_by(LedgerTransaction.kind)).all())
    assert kinds["generation"] >= 9 * 6 and kinds["transfer_pending"] >= 20 and kinds["processing"] >= 1 and kinds["disposal"] >= 1
    assert ctx.shared["ledger_demo_transfers"] == kinds["transfer_pending"]
    assert verify_ledger(db).ok
