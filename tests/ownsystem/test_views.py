"""The pages: each actor's queue and the application page in kk, ru and en, and an action
through the page's form."""

from __future__ import annotations

import pytest

from tests.ownsystem.conftest import body

API = "/api/v1/ownsystem"


@pytest.mark.parametrize(("lang", "title", "status"), [("kk", "ӨКМ: меншікті жүйе", "Жоба"), ("ru", "РОП: собственная система", "Черновик"),
                                                       ("en", "Own-system EPR", "Draft")])
def test_pages_in_three_languages(client, cast, lang, title, status):
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    for who in (cast.applicant, cast.authority, cast.operator):
        r = client.get("/ownsystem", headers={**who.headers, "Accept-Language": lang}, params={"lang": lang})
        assert r.status_code == 200 and title in r.text and a["number"] in r.text
    r = client.get(f"/ownsystem/applications/{a['id']}", headers=cast.applicant.headers, params={"lang": lang})
    assert r.status_code == 200 and status in r.text and "144.750" in r.text and "D12" in r.text
    assert client.get(f"/ownsystem/applications/{a['id']}", headers=cast.other.headers).status_code == 404


def test_action_through_the_form(client, cast):
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    r = client.post(f"/ownsystem/applications/{a['id']}/act", data={"event": "submit", "day": "2026-01-15"}, headers=cast.applicant.headers,
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/ownsystem/applications/{a['id']}/act", data={"event": "register", "day": "2026-01-16"}, headers=cast.authority.headers,
                    params={"lang": "ru"})
    assert r.status_code == 422 and "Укажите номер входящего поручения." in r.text
    assert client.get(f"{API}/applications/{a['id']}", headers=cast.applicant.headers).json()["status"] == "submitted"
