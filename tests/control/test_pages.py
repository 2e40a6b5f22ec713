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


def test_findings_link_to_transfers_and_claims_with_measures_and_filters(client, db, planted):
    service.run(db, date(2026, 10, 1), date(2026, 10, 31))
    user = make_user(db, make_org(db, roles=("operator",)), "operator")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    payload = db.query(ControlFinding).filter_by(rule_id="payload").one()
    page = client.get(f"/control/findings/{payload.id}?lang=en").text
    assert 'href="/transfers/TD-2026-900001"' in page and "/api/v1/transfers" not in page
    assert "Net mass carried" in page and "9 800 kg" in page and "Payload of the vehicle" in page and "5 000 kg" in page
    claim = db.query(ControlFinding).filter_by(rule_id="claim-above-ledger").one()
    page = client.get(f"/control/findings/{claim.id}?lang=ru").text
    assert f'href="/payouts/claims/{planted["claim"].id}"' in page and "Заявлено" in page
    travel = db.query(ControlFinding).filter_by(rule_id="impossible-travel").one()
    assert "60 min" in client.get(f"/control/findings/{travel.id}?lang=en").text  # one hour between the take-overs

    # the map's sites and the inspection list lead to the findings of a site or an organization
    overview = client.get("/control?status=all&lang=en").text
    rec_site = planted["rec_site"].id
    assert f"/control?status=all&amp;site={rec_site}#findings" in overview
    carrier = planted["b"]["carrier"].id
    assert f"/control?status=all&amp;organization_id={carrier}" in overview
    by_site = client.get(f"/control?status=all&site={rec_site}&lang=en").text
    assert "Mass balance outside tolerance" in by_site and "Vehicle in two places" not in by_site
    by_org = client.get(f"/control?status=all&organization_id={carrier}&lang=en").text
    assert "Vehicle in two places" in by_org and "Mass balance outside tolerance" not in by_org
    assert client.get("/control?region=750000000&lang=en").text.count('href="/control/findings/') == 0  # nothing in Almaty

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', overview).group(1)
    r = client.post("/control/run", data={"period_from": "2026-10-31", "period_to": "2026-10-01", "csrf_token": csrf})
    assert r.status_code == 422 and "The end of the period is before its start." in r.text
    r = client.post("/control/run", data={"period_from": "2026-10-01", "period_to": "2026-10-31", "csrf_token": csrf}, follow_redirects=True)
    assert r.status_code == 200 and "0 of them new" in r.text
