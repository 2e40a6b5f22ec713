from __future__ import annotations

import re
from datetime import date

from qaldyq.control import service
from qaldyq.control.models import ControlFinding
from tests.factories import PASSWORD, make_org, make_user


def test_inspector_sees_findings_map_and_decides(client, db, planted):
    service.run(db, date(2026, 10, 1), date(2026, 10, 31))
    user = make_user(db, make_org(db, roles=("inspector",)), "inspector")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    page = client.get("/control?lang=en")
    assert page.status_code == 200
    assert "<svg" in page.text and "<polygon" in page.text and "Load above the vehicle&#39;s payload" in page.text
    assert planted["b"]["recycler"].name_ru in page.text  # the inspection list
    f = db.query(ControlFinding).filter_by(rule_id="payload").one()
    detail = client.get(f"/control/findings/{f.id}")
    assert "TD-2026-900001" in detail.text and f"/ledger/transactions/{f.evidence['transactions'][0]}" in detail.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', detail.text).group(1)
    r = client.post(f"/control/findings/{f.id}/decision", data={"action": "acknowledge", "reason": "", "csrf_token": csrf})
    assert r.status_code == 422
    r = client.post(f"/control/findings/{f.id}/decision", data={"action": "acknowledge", "reason": "Выезд 25.11", "csrf_token": csrf}, follow_redirects=True)
    assert "Выезд 25.11" in r.text
    db.refresh(f)
    assert f.status == "acknowledged" and f.decided_by_user_id == user.id
