from __future__ import annotations

from datetime import date

from qaldyq.control import service
from qaldyq.control.models import ControlFinding
from qaldyq.registry.models import VerificationCertificate, WeighingInstrument
from qaldyq.transfers.models import TransferDocument
from tests.payouts.conftest import at


def by_rule(db):
    out = {}
    for f in db.query(ControlFinding):
        out.setdefault(f.rule_id, []).append(f)
    return out


def test_every_planted_problem_is_found_with_evidence(db, planted):
    res = service.run(db, date(2026, 10, 1), date(2026, 10, 31))
    f = by_rule(db)
    rec = planted["rec_site"].id
    mb = f["mass-balance"]
    assert [x.site_id for x in mb] == [rec] and planted["bad"] in mb[0].evidence["transactions"]
    assert mb[0].value == -2_000  # 9,000 − 9,000 + 1,000 − 3,000
    cap = f["capacity"][0]
    assert cap.site_id == rec and cap.value == 10_000 and round(cap.limit) == round(50_000 * 31 / 365)
    assert [x.subject for x in f["certificate"]] == ["TD-2026-900001"]
    assert [x.evidence["documents"] for x in f["receipt-before-dispatch"]] == [["TD-2026-900001"]]
    assert [x.subject for x in f["payload"]] == ["777ABC01 TD-2026-900001"] and f["payload"][0].value == 9_800
    travel = f["impossible-travel"][0]
    assert travel.evidence["documents"] == ["TD-2026-900001", "TD-2026-900002"] and travel.value == 1.0
    cl = f["claim-above-ledger"][0]
    assert cl.subject == planted["claim"].number and planted["reversed"] in cl.evidence["transactions"] and cl.value - cl.limit == 3_000
    cc = f["claim-outside-contract"][0]
    assert cc.subject == f"{planted['claim'].number} packaging-paper"
    ident = f["identical-weights"][0]
    assert ident.value == 5 and ident.limit == 3_000 and set(planted["same"]) <= set(ident.evidence["transactions"])
    assert f["round-weights"][0].site_id == rec
    assert res.found == sum(len(v) for v in f.values())
    # a second run refreshes, adds nothing
    again = service.run(db, date(2026, 10, 1), date(2026, 10, 31))
    assert again.new == 0 and db.query(ControlFinding).count() == res.found


def test_clean_books_give_no_finding(db, books):
    assert service.run(db, date(2026, 10, 1), date(2026, 10, 31)).found == 0


def test_certificate_running_out_within_the_period(db, books):
    """An instrument whose certificate runs out mid-period: a weighing before the end is covered,
    one after is not (such an instrument is checked day by day, not skipped as covered)."""
    scale = WeighingInstrument(site_id=books.rec_site.id, name="Весы", instrument_type="truck_scale", serial_number="S-2", year_made=2020)
    scale.certificates = [VerificationCertificate(number="C-2", valid_from=date(2025, 10, 16), valid_to=date(2026, 10, 15))]
    db.add(scale)
    db.flush()
    docs = {d.number: d for d in db.query(TransferDocument)}
    for number, day in (("TD-2026-900001", 5), ("TD-2026-900002", 20)):
        docs[number].instrument_id, docs[number].received_at = scale.id, at(day, 9)
    db.flush()
    service.run(db, date(2026, 10, 1), date(2026, 10, 31), only={"certificate"})
    assert [f.subject for f in db.query(ControlFinding).filter(ControlFinding.rule_id == "certificate")] == ["TD-2026-900002"]


def test_api_decisions_risk_and_roles(client, db, planted, as_role):
    h_op, _, _ = as_role("operator")
    r = client.post("/api/v1/control/runs", json={"period_from": "2026-10-01", "period_to": "2026-10-31"}, headers=h_op)
    assert r.status_code == 200, r.text
    assert r.json()["by_rule"]["payload"] == 1
    items = client.get("/api/v1/control/findings", headers=h_op).json()
    assert items[0]["severity"] == "high"
    fid = next(x["id"] for x in items if x["rule_id"] == "payload")
    r = client.post(f"/api/v1/control/findings/{fid}/decision", json={"action": "dismiss"}, headers=h_op)
    assert r.status_code == 422
    r = client.post(f"/api/v1/control/findings/{fid}/decision", json={"action": "dismiss", "reason": "Прицеп: грузоподъёмность 12 т"}, headers=h_op)
    assert r.json()["status"] == "dismissed" and r.json()["reason"].startswith("Прицеп")
    risk = client.get("/api/v1/control/risk", headers=h_op).json()
    assert risk[0]["organization_id"] == planted["b"]["recycler"].id and risk[0]["score"] > 0
    carrier = next((x for x in risk if x["organization_id"] == planted["b"]["carrier"].id), None)
    assert carrier is not None and carrier["score"] == 9  # impossible travel only: the payload finding was dismissed
    # inspectors see their region only; organizations do not see findings
    h_ins, _, _ = as_role("inspector", region="750000000")
    assert client.get("/api/v1/control/findings", headers=h_ins).json() == []
    assert client.get(f"/api/v1/control/findings/{fid}", headers=h_ins).status_code == 404
    h_ins_here, _, _ = as_role("inspector")
    assert len(client.get("/api/v1/control/findings", headers=h_ins_here).json()) == len(items)
    assert client.post("/api/v1/control/runs", json={"period_from": "2026-10-01", "period_to": "2026-10-31"}, headers=h_ins_here).status_code == 403
    h_org, _, _ = as_role("org_admin")
    assert client.get("/api/v1/control/findings", headers=h_org).status_code == 403
    r = client.post("/api/v1/control/runs", json={"period_from": "2026-10-31", "period_to": "2026-10-01"}, headers=h_op)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/period_to"
    r = client.post("/api/v1/control/runs", json={"period_from": "2026-10-01", "period_to": "2026-10-31", "rules": ["nope"]}, headers=h_op)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/rules/0"


def test_rule_file_validation(client, as_role):
    h, _, _ = as_role("operator")
    good = {"rules": [{"id": "payload", "check": "payload", "severity": "high", "description": "x", "params": {"tolerance_pct": 5}}]}
    assert client.post("/api/v1/control/rules/validate", json=good, headers=h).json() == {"valid": True, "rules": ["payload"]}
    bad = {"rules": [{**good["rules"][0], "colour": "red"}]}
    r = client.post("/api/v1/control/rules/validate", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/rules/0/colour"
    bad = {"rules": [{**good["rules"][0], "params": {"tolerance_pct": -5}}]}
    r = client.post("/api/v1/control/rules/validate", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/rules/0/params/tolerance_pct"
    bad = {"rules": [{**good["rules"][0], "check": "round_weights", "params": {"round_kg": 1000, "min_count": 5, "min_share_pct": 150}}]}
    r = client.post("/api/v1/control/rules/validate", json=bad, headers=h)
    assert r.json()["errors"][0]["pointer"] == "/rules/0/params/min_share_pct"
    bad = {"rules": [{**good["rules"][0], "params": {"tolerance_pct": 5, "speed": 1}}]}
    assert client.post("/api/v1/control/rules/validate", json=bad, headers=h).json()["errors"][0]["pointer"] == "/rules/0/params/speed"
    bad = {"rules": [{**good["rules"][0], "check": "astrology"}]}
    assert client.post("/api/v1/control/rules/validate", json=bad, headers=h).json()["errors"][0]["pointer"] == "/rules/0/check"
