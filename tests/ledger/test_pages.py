"""The ledger and signing pages in a browser session: the held key signs, the UI says so."""

from __future__ import annotations

import re

import pytest

from qaldyq.ledger import reports
from qaldyq.ledger import service as L
from qaldyq.signing import service as signing
from tests.factories import PASSWORD, make_user

MSW = "20 03 01"


def login(client, db, org, role="org_user"):
    user = make_user(db, org, role)
    db.commit()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/ledger")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return user, token


@pytest.fixture
def issuing_ca(db):
    return signing.create_issuing_ca(db, "Test issuing CA", "Test")


@pytest.mark.parametrize("lang,word", [("kk", "Қалдықтар есебі"), ("ru", "Учёт отходов"), ("en", "Waste ledger")])
def test_site_list_and_site_page_in_three_languages(client, db, world, lang, word):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=2_345)
    login(client, db, world.gen_org)
    index = client.get(f"/ledger?lang={lang}")
    assert index.status_code == 200 and word in index.text and "Цех №1" in index.text and "Полигон ТБО" not in index.text
    page = client.get(f"/ledger/sites/{world.gen_site.id}?lang={lang}")
    assert page.status_code == 200 and "2.345" in page.text and MSW in page.text


def test_record_generation_from_the_form_signs_with_the_held_key(client, db, world, issuing_ca):
    user, token = login(client, db, world.gen_org)
    page = client.get(f"/ledger/sites/{world.gen_site.id}?lang=en")
    assert "Qaldyq signs on your behalf with a signing key it keeps for you" in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "idempotency_key": key, "kind": "generation", "waste_code": MSW, "mass_kg": "1 500", "note": "смена 1"}
    r = client.post(f"/ledger/sites/{world.gen_site.id}/record", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    tx_page = client.get(r.headers["location"] + "&lang=en")
    assert "Recorded and signed." in tx_page.text and "signed by Qaldyq with the key held for the user" in tx_page.text
    assert "intact, signature valid" in tx_page.text
    again = client.post(f"/ledger/sites/{world.gen_site.id}/record", data=form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == r.headers["location"]  # a double submit records once
    assert reports.balance_kg(db, world.gen_site.id, MSW) == 1_500


def test_form_errors_are_shown_and_nothing_is_recorded(client, db, world, issuing_ca):
    _, token = login(client, db, world.gen_org)
    r = client.post(f"/ledger/sites/{world.gen_site.id}/record?lang=ru", data={"csrf_token": token, "kind": "disposal", "waste_code": MSW, "mass_kg": "10"})
    assert r.status_code == 409 and "Ничего не зарегистрировано" in r.text and "меньше запрошенных 10 кг" in r.text
    r = client.post(f"/ledger/sites/{world.gen_site.id}/record?lang=en", data={"csrf_token": token, "kind": "generation", "waste_code": MSW, "mass_kg": "ten"})
    assert r.status_code == 422 and "/mass_kg" in r.text
    r = client.post(f"/ledger/sites/{world.gen_site.id}/record", data={"kind": "generation", "waste_code": MSW, "mass_kg": "10"})
    assert r.status_code == 403  # no CSRF token
    assert reports.balances(db, world.gen_site.id) == []


def test_processing_form_and_transaction_page_with_chain(client, db, world, issuing_ca):
    L.record_generation(db, key="g", site_id=world.rec_site.id, waste_code=MSW, mass_kg=1_000)
    _, token = login(client, db, world.rec_org, "org_admin")
    form = {"csrf_token": token, "kind": "processing", "in_code_0": MSW, "in_kg_0": "1000", "out_kind_0": "product", "out_code_0": "RDF",
            "out_kg_0": "600", "res_code_0": "19 12 12", "res_kg_0": "370", "loss_kg": "30", "operation": "R3"}
    r = client.post(f"/ledger/sites/{world.rec_site.id}/record", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"] + "&lang=ru")
    assert "Переработка" in page.text and "Цепочка передачи отходов" in page.text and "RDF" in page.text
    mb = client.get(f"/ledger/sites/{world.rec_site.id}/mass-balance?date_from=2020-01-01&date_to=2029-12-31&lang=kk")
    assert mb.status_code == 200 and "<svg" in mb.text and "Масса балансы" in mb.text and "RDF" in mb.text


def test_reversal_from_the_page(client, db, world, issuing_ca):
    _, token = login(client, db, world.gen_org)
    g = L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=77)
    db.commit()
    assert "Sign and reverse" in client.get(f"/ledger/transactions/{g.transaction_id}?lang=en").text
    r = client.post(f"/ledger/transactions/{g.transaction_id}/reverse", data={"csrf_token": token, "reason": "ошибка"}, follow_redirects=False)
    assert r.status_code == 303
    assert reports.balance_kg(db, world.gen_site.id, MSW) == 0
    assert "Sign and reverse" not in client.get(f"/ledger/transactions/{g.transaction_id}?lang=en").text


def test_other_organizations_pages_are_forbidden(client, db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=1)
    login(client, db, world.rec_org)
    r = client.get(f"/ledger/sites/{world.gen_site.id}", headers={"Accept": "text/html"})
    assert r.status_code == 403 and "another organization" in r.text
    client.cookies.clear()
    r = client.get("/ledger", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_signing_page_register_revoke_and_held_key(client, db, world, issuing_ca):
    from tests.signing.pki import make_ca, pem

    ca = make_ca("Page CA")
    signing.trust_add(db, ca.pem)
    _, token = login(client, db, world.gen_org)
    page = client.get("/signing?lang=en")
    assert "Qaldyq signs on your behalf with a key it generated for you" in page.text and "Create my web signing key" in page.text
    assert client.post("/signing/held-key", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert "key held by Qaldyq" in client.get("/signing?lang=en").text
    cert, _ = ca.issue("Page User")
    r = client.post("/signing/certificates", data={"csrf_token": token, "certificate": pem(cert)}, follow_redirects=False)
    assert r.status_code == 303
    bad = client.post("/signing/certificates?lang=ru", data={"csrf_token": token, "certificate": "garbage"})
    assert bad.status_code == 422 and "формате PEM" in bad.text
    cid = [c for c in signing.list_certificates(db, _user_id(db, world.gen_org)) if not c.held][0].id
    assert client.post(f"/signing/certificates/{cid}/revoke", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert "revoked" in client.get("/signing?lang=en").text


def _user_id(db, org):
    from sqlalchemy import select

    from qaldyq.core.models import User

    return db.scalars(select(User.id).where(User.organization_id == org.id).order_by(User.id.desc())).first()
