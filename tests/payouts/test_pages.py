"""A recycler's monthly claim from the ledger to payment through the pages (session login)."""

from __future__ import annotations

import re

from tests.factories import PASSWORD, make_org, make_user


def login(client, user):
    client.cookies.clear()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    page = client.get("/payouts")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1) if 'csrf_token" value="' in page.text else ""


def test_claim_from_ledger_to_payment_in_the_ui(client, db, books):
    rec_user = make_user(db, books.recycler, "org_admin")
    op_user = make_user(db, make_org(db, roles=("operator",)), "operator")
    csrf = login(client, rec_user)
    r = client.post("/payouts/claims", data={"operation": "collection", "period_from": "2026-10-01", "period_to": "2026-10-31", "csrf_token": csrf},
                    follow_redirects=True)
    assert r.status_code == 200 and "TD-2026-900001" in r.text and "383 584.25" in r.text
    url = str(r.url)
    r = client.post(url + "/action", data={"action": "submit", "csrf_token": csrf}, follow_redirects=True)
    assert "Approve" not in r.text
    csrf = login(client, op_user)
    page = client.get(url)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert "Approve" in page.text
    client.post(url + "/action", data={"action": "approve", "csrf_token": csrf})
    r = client.post(url + "/action", data={"action": "registry", "csrf_token": csrf}, follow_redirects=True)
    assert "PR-" in r.text and "export?format=csv" in r.text
    r = client.post(url + "/action", data={"action": "pay", "csrf_token": csrf}, follow_redirects=True)
    assert "badge ok" in r.text and ">Paid<" in r.text
    # the same period again is refused with a readable message
    csrf = login(client, rec_user)
    r = client.post("/payouts/claims", data={"operation": "collection", "period_from": "2026-10-01", "period_to": "2026-10-31", "csrf_token": csrf})
    assert r.status_code == 422 and "already claimed" in r.text
