from __future__ import annotations

import pytest

from tests.cadastre.conftest import ALMATY, ASTANA
from tests.factories import bearer, make_user


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_dashboard_pages(client, world, as_role, lang):
    auth, *_ = as_role("authority")
    r = client.get(f"/cadastre?year=2026&lang={lang}", headers=auth)
    assert r.status_code == 200 and "<svg" in r.text
    assert {"kk": "Нысаналы индикаторлар", "ru": "Целевые индикаторы", "en": "Target indicators"}[lang] in r.text
    assert "33.33 %" in r.text  # Astana, indicator 2
    r = client.get(f"/cadastre/regions/{ASTANA}?year=2026&lang={lang}", headers=auth)
    assert r.status_code == 200 and f"/ledger/sites/{world.gen.id}" in r.text
    r = client.get(f"/cadastre/indicators/msw_recycling?lang={lang}", headers=auth)
    assert r.status_code == 200 and "38.00 %" in r.text
    r = client.get(f"/cadastre/open?year=2026&lang={lang}")
    assert r.status_code == 200 and "/api/v1/cadastre/open/flows.csv?year=2026" in r.text


def test_akimat_is_held_to_its_region(client, db, world, as_role):
    ak, *_ = as_role("akimat", roles=("akimat",), region=ALMATY)
    r = client.get("/cadastre?year=2026", headers=ak, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/cadastre/regions/{ALMATY}")
    assert client.get(f"/cadastre/regions/{ASTANA}?year=2026", headers=ak).status_code == 403
    r = client.get(f"/cadastre/regions/{ALMATY}?year=2026", headers=ak)
    assert r.status_code == 200 and "4.00 %" in r.text


def test_no_data_year_page(client, world, as_role):
    auth, *_ = as_role("authority")
    r = client.get("/cadastre?year=2012&lang=en", headers=auth)
    assert r.status_code == 200 and "No data: nothing was recorded in the ledger for 2012." in r.text


def test_inputs_form(client, db, world, as_role):
    auth, *_ = as_role("authority")
    r = client.post("/cadastre/inputs", data={"indicator": "students", "year": "2026", "region_kato": ASTANA, "value_pct": "150", "source": "letter"},
                    headers={**auth, "Accept-Language": "en"})
    assert r.status_code == 422 and "Nothing was saved" in r.text
    r = client.post("/cadastre/inputs", data={"indicator": "students", "year": "2026", "region_kato": ASTANA, "value_pct": "31.5", "source": "letter"},
                    headers=auth)
    assert r.status_code == 200 and "31.50" in r.text
    org_user = bearer(db, make_user(db, world.gen.organization, "org_user"))
    assert client.get("/cadastre/inputs", headers=org_user).status_code == 403
    r = client.get("/cadastre?year=2026", headers=org_user)
    assert r.status_code == 200 and f"/ledger/sites/{world.gen.id}" in r.text and f"/ledger/sites/{world.gen2.id}" not in r.text
