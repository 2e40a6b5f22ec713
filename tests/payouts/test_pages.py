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


def test_months_not_yet_claimed_are_offered_and_fill_the_form(client, db, books):
    from datetime import date

    from qaldyq.ledger import service as ledger
    from qaldyq.payouts import service

    today = date(2026, 11, 15)
    months = service.unclaimed_months(db, books.recycler.id, today)
    # October only (the last ended month with ledger transactions); paper is outside the contract
    assert [(m.operation, m.period_from, m.period_to, m.transactions, m.mass_kg) for m in months] == [
        ("processing", date(2026, 10, 1), date(2026, 10, 31), 1, 9_000),
        ("collection", date(2026, 10, 1), date(2026, 10, 31), 2, 9_800 + 4_000),
    ]
    rec_user = make_user(db, books.recycler, "org_admin")
    login(client, rec_user)
    page = client.get("/payouts?operation=collection&period_from=2026-10-01&period_to=2026-10-31&lang=en")
    assert 'value="2026-10-01"' in page.text and 'value="2026-10-31"' in page.text and '<option value="collection" selected' in page.text
    if service.catalog_today() >= date(2026, 11, 1):  # the page counts from the real today
        assert "Ledger months not yet claimed" in page.text and "13.800" in page.text and "Prepare the claim" in page.text
    # a claimed month is no longer offered for that operation; a reversed transaction is never offered
    claim = service.create_claim(db, principal(db, rec_user), organization_id=books.recycler.id, operation="collection",
                                 period_from=date(2026, 10, 1), period_to=date(2026, 10, 31))
    ledger.reverse(db, key="rev-proc", transaction_id=books.processing, reason="ошибка")
    assert service.unclaimed_months(db, books.recycler.id, today) == []
    # the reviewer sees that a claimed transaction was reversed since
    ledger.record_generation(db, key="top-up", site_id=books.rec_site.id, waste_code="15 01 02", mass_kg=10_000)
    ledger.reverse(db, key="rev-1", transaction_id=books.posted[1], reason="двойная запись")
    page = client.get(f"/payouts/claims/{claim.id}?lang=en")
    assert page.text.count("Reversed in the ledger since") == 1
    assert "Lines paying for ledger transactions reversed since: 1." in page.text


def principal(db, user):
    from qaldyq.core.auth import principal_for_user

    return principal_for_user(user, "test")
