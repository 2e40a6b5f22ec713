"""The demo seed on a small registry: an application in each state the brief names, something in
each actor's queue, the confirmed one on time at every deadline; fast and independent of the
machine's clock (the demo day is given)."""

from __future__ import annotations

import time
from datetime import date

from qaldyq.core.auth import principal_for_user
from qaldyq.core.demo import DemoContext
from qaldyq.ownsystem import demo, service
from qaldyq.ownsystem.models import Notification
from tests.factories import make_org, make_user


def _registry(db, today: date) -> tuple[dict, dict]:
    key = make_org(db, roles=("producer", "importer"), name="АО «Дала Сусындары»")
    others = [make_org(db, roles=("producer",), name=f"ТОО «Производитель {i}»") for i in range(6)]
    ministry, operator = make_org(db, roles=("authority",)), make_org(db, roles=("epr_operator",))
    users = {"demo.producer": make_user(db, key, "org_admin", "demo.producer"), "demo.authority": make_user(db, ministry, "authority", "demo.authority"),
             "demo.operator": make_user(db, operator, "operator", "demo.operator")}
    reg = {"today": today, "key": {"producer": key.id}, "orgs_by_role": {"producer": [o.id for o in others] + [key.id]},
           "users": {k: u.id for k, u in users.items()}}
    return reg, users


def test_demo_fills_every_queue(db):
    reg, users = _registry(db, date(2026, 11, 21))
    ctx = DemoContext(seed=7)
    ctx.shared["registry"] = reg
    started = time.perf_counter()
    demo.seed(db, ctx)
    assert time.perf_counter() - started < 20  # a shared machine; about 1 s alone
    made = ctx.shared["ownsystem"]["applications"]
    assert [(a["year"], a["half"], a["status"]) for a in made] == [
        (2026, 2, "draft"), (2026, 1, "incomplete"), (2025, 2, "confirmed"),
        (2026, 1, "submitted"), (2026, 1, "with_operator"), (2026, 1, "under_review"),
        (2025, 2, "report_sent"), (2025, 2, "refused"), (2025, 2, "not_reviewed")]
    assert ctx.shared["ownsystem"]["free_period"] == [2025, 1]  # for the browser journey
    today = reg["today"]

    def queue(name):
        p = principal_for_user(users[name], "session")
        return {a.number: service.allowed_events(db, a, p, today) for a in service.list_applications(db, p)}

    mine = queue("demo.producer")
    assert len(mine) == 3 and ["supply_missing"] in mine.values()
    authority = [e for events in queue("demo.authority").values() for e in events]
    assert {"register", "confirm", "open_hearing", "appeal"} & set(authority) == {"register", "confirm", "open_hearing"}
    operator = [e for events in queue("demo.operator").values() for e in events]
    assert {"complete", "request_missing", "send_report"} <= set(operator)
    apps = {a.status: a for a in service.list_applications(db, principal_for_user(users["demo.operator"], "session"))}
    # the confirmed application met every deadline on the working-day calendar
    assert {d.code: d.state(today) for d in service.app_deadlines(db, apps["confirmed"])} == {
        c: "met" for c in ("D1", "D2", "D3", "D4", "D5", "D8", "D11", "D12")}
    # Section C came from the customs feed; the applicant's own figure for the incomplete one differs by 2.5 t
    diffs = service.section_c_differences(db, apps["incomplete"])
    assert [(d["source"], str(d["difference_t"])) for d in diffs] == [("customs", "-2.500"), ("srb", "-2.500")]
    assert apps["refused"].conclusion == "not_conforms" and "60 %" in apps["refused"].decision_reasons
    assert apps["not_reviewed"].events[-1].day > date(2026, 1, 20)  # after D1 of H2 2025
    assert db.query(Notification).count() > 20
