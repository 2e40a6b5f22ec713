"""The pages: each actor's queue and the application page in kk, ru and en, and an action
through the page's form."""

from __future__ import annotations

import pytest

from tests.ownsystem.conftest import PDF, RUBBER, body

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


def test_queue_offers_a_new_application_only_to_applicants(client, cast):
    assert 'href="/ownsystem/new"' in client.get("/ownsystem", headers=cast.applicant.headers).text
    assert 'href="/ownsystem/new"' not in client.get("/ownsystem", headers=cast.operator.headers).text
    assert client.get("/ownsystem/new", headers=cast.operator.headers).status_code == 403


def test_new_application_filled_and_corrected_through_the_pages(client, cast, imports):
    """The applicant creates an application (Section C from the customs data), corrects it in
    the Appendix 1 form; a bad row is refused in the page's language, nothing saved; the reviewer
    sees the difference from the customs data."""
    r = client.get("/ownsystem/new", headers=cast.applicant.headers, params={"lang": "en"})
    assert r.status_code == 200 and 'value="2025-2"' in r.text
    r = client.post("/ownsystem/new", data={"period": "2025-2", "applicant_kind": "importer", "collection_on_site": "1"},
                    headers=cast.applicant.headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    edit_url = r.headers["location"].split("?")[0]
    app_id = int(edit_url.split("/")[-2])
    a = client.get(f"{API}/applications/{app_id}", headers=cast.applicant.headers).json()
    assert a["section_c"] == [{"product_name": RUBBER, "produced_t": "0.000", "imported_t": "30.000", "product_group": "rubber"}]
    assert a["section_d"]["placed_t"] == "30.000" and a["applicant_kind"] == "importer"
    page = client.get(edit_url, headers=cast.applicant.headers, params={"lang": "en"}).text
    assert 'name="c-0-imported_t" id="c-0-imported_t" value="30.000"' in page and '<option value="rubber" selected>' in page
    assert "operator route: not in this application" in page and "used in Section C" in page
    # the second half-year of 2025 is taken now
    assert 'value="2025-2"' not in client.get("/ownsystem/new", headers=cast.applicant.headers).text

    form = {"applicant_kind": "importer", "collection_on_site": "1", "standards_apply": "1", "a_rows": "2", "b_rows": "1", "c_rows": "2",
            "a-0-waste_name": "Изношенные шины", "a-0-opening_t": "5", "a-0-collected_t": "30", "a-0-closing_t": "6",
            "a-1-waste_name": "Камеры", "a-1-opening_t": "-1", "a-1-collected_t": "", "a-1-closing_t": "",
            "b-0-waste_name": "Изношенные шины", "b-0-recycled_t": "29", "b-0-product_name": "Резиновая крошка", "b-0-product_t": "25",
            "b-0-sold_rk_t": "20", "b-0-export_t": "0",
            "c-0-product_name": RUBBER, "c-0-product_group": "rubber", "c-0-produced_t": "0", "c-0-imported_t": "28,5",
            "c-1-product_name": "", "c-1-product_group": "", "c-1-produced_t": "", "c-1-imported_t": "",
            "placed_t": "", "recycled_t": ""}
    r = client.post(edit_url, data=form, headers=cast.applicant.headers, params={"lang": "ru"})
    assert r.status_code == 422
    assert "<li>Раздел A, строка 2, Остаток на начало полугодия, т: Должно быть не меньше 0.</li>" in r.text
    assert 'name="a-1-opening_t" id="a-1-opening_t" value="-1"' in r.text and 'aria-invalid="true"' in r.text
    assert client.get(f"{API}/applications/{app_id}", headers=cast.applicant.headers).json()["section_c"][0]["imported_t"] == "30.000"

    form["a-1-waste_name"] = form["a-1-opening_t"] = ""
    r = client.post(edit_url, data=form, headers=cast.applicant.headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    a = client.get(f"{API}/applications/{app_id}", headers=cast.applicant.headers).json()
    assert a["section_a"] == [{"waste_name": "Изношенные шины", "opening_t": "5.000", "collected_t": "30.000", "closing_t": "6.000", "waste_code": None}]
    assert a["section_c"][0]["imported_t"] == "28.500" and a["section_d"] == {"placed_t": "28.500", "recycled_t": "29.000"}
    page = client.get(f"/ownsystem/applications/{app_id}", headers=cast.operator.headers, params={"lang": "en"}).text
    assert "Differences of Section C from the customs data" in page and "-1.500" in page
    # filled again from Qaldyq's data
    r = client.post(f"/ownsystem/applications/{app_id}/refill", headers=cast.applicant.headers, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"{API}/applications/{app_id}", headers=cast.applicant.headers).json()["section_c"][0]["imported_t"] == "30.000"
    # not a draft any more: the form sends the applicant to the application page
    client.post(f"{API}/applications/{app_id}/events", json={"event": "submit", "day": "2026-01-15"}, headers=cast.applicant.headers)
    assert client.get(edit_url, headers=cast.applicant.headers, follow_redirects=False).status_code == 303
    assert client.get(edit_url, headers=cast.other.headers).status_code == 404


def test_documents_through_the_page(client, db, cast):
    from qaldyq.registry.models import WeighingInstrument
    from tests.factories import make_site

    site = make_site(db, cast.applicant.org, site_type="recycler")
    scale = WeighingInstrument(site_id=site.id, name="Весы автомобильные", instrument_type="truck_scale", serial_number="ВА-100", year_made=2019)
    db.add(scale)
    db.flush()
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    url = f"/ownsystem/applications/{a['id']}"
    page = client.get(url, headers=cast.applicant.headers, params={"lang": "en"}).text
    assert 'action="/ownsystem/applications/%d/documents"' % a["id"] in page and "Весы автомобильные · ВА-100" in page
    # a program renamed to .pdf: refused, in Kazakh, nothing stored
    r = client.post(f"{url}/documents", data={"item": "1"}, files={"file": ("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
                    headers=cast.applicant.headers, params={"lang": "kk"})
    assert r.status_code == 422 and "Тек PDF" in r.text
    r = client.post(f"{url}/documents", data={"item": "3a", "meta_date": "2025-09-01", "meta_number": "АПП-17", "meta_mass_t": "12,5"},
                    files={"file": ("akt.pdf", PDF, "application/pdf")}, headers=cast.applicant.headers, params={"lang": "ru"})
    assert r.status_code == 422 and "Масса, т" in r.text  # 12,5 is not a number of tonnes
    r = client.post(f"{url}/documents", data={"item": "3a", "meta_date": "2025-09-01", "meta_number": "АПП-17", "meta_mass_t": "12.5",
                                             "meta_counterparty": ""}, files={"file": ("akt.pdf", PDF, "application/pdf")},
                    headers=cast.applicant.headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.post(f"{url}/references", data={"item": "3c", "ref": str(scale.id)}, headers=cast.applicant.headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.post(f"{url}/references", data={"item": "3c", "ref": str(scale.id)}, headers=cast.applicant.headers, params={"lang": "en"})
    assert r.status_code == 422 and "This record is already attached." in r.text
    listed = {x["code"]: x for x in client.get(f"{API}/applications/{a['id']}/documents", headers=cast.applicant.headers).json()}
    assert [(d["filename"], d["meta"]) for d in listed["3a"]["documents"]] == [("akt.pdf", {"date": "2025-09-01", "number": "АПП-17", "mass_t": "12.500"})]
    assert [(d["ref_kind"], d["ref_value"], d["filename"]) for d in listed["3c"]["documents"]] == [("instrument", str(scale.id), None)]
    assert listed["1"]["documents"] == []
    # another organization cannot add documents
    r = client.post(f"{url}/documents", data={"item": "1"}, files={"file": ("r.pdf", PDF, "application/pdf")}, headers=cast.other.headers)
    assert r.status_code == 404

    # the operator marks a document illegible through the page; the completeness check then refuses
    ev = f"{API}/applications/{a['id']}/events"
    client.post(ev, json={"event": "submit", "day": "2026-01-15"}, headers=cast.applicant.headers)
    client.post(ev, json={"event": "register", "day": "2026-01-16", "incoming_number": "ЖТ-77"}, headers=cast.authority.headers)
    client.post(ev, json={"event": "forward", "day": "2026-01-19"}, headers=cast.authority.headers)
    doc_id = listed["3a"]["documents"][0]["id"]
    assert client.post(f"{url}/documents/{doc_id}/mark", data={"legible": "no"}, headers=cast.applicant.headers).status_code == 403
    r = client.post(f"{url}/documents/{doc_id}/mark", data={"legible": "no", "conforms": "", "note": "Скан обрезан"}, headers=cast.operator.headers,
                    follow_redirects=False)
    assert r.status_code == 303
    doc = client.get(f"{API}/applications/{a['id']}/documents", headers=cast.operator.headers).json()[2]["documents"][0]
    assert (doc["legible"], doc["conforms"], doc["review_note"]) == (False, None, "Скан обрезан")
    r = client.post(f"{url}/act", data={"event": "complete", "day": "2026-01-20"}, headers=cast.operator.headers, params={"lang": "en"})
    assert r.status_code == 422 and "Documents missing or illegible" in r.text
    # the notice of missing documents names them
    r = client.post(f"{url}/act", data={"event": "request_missing", "day": "2026-01-20", "reasons": "Акт приёма-передачи нечитаем",
                                       "missing": ["3a", "1"]}, headers=cast.operator.headers, follow_redirects=False)
    assert r.status_code == 303
    got = client.get(f"{API}/applications/{a['id']}", headers=cast.applicant.headers).json()
    assert got["status"] == "incomplete" and got["history"][-1]["data"] == {"missing": ["3a", "1"]}


def test_srb_answer_through_the_page(client, cast, imports):
    r = client.post(f"{API}/applications", json=body(applicant_kind="importer", section_c=[], section_d={"placed_t": "0", "recycled_t": "144.750"},
                                                     prefill=True), headers=cast.applicant.headers)
    a = r.json()
    ev = f"{API}/applications/{a['id']}/events"
    client.post(ev, json={"event": "submit", "day": "2026-01-15"}, headers=cast.applicant.headers)
    client.post(ev, json={"event": "register", "day": "2026-01-16", "incoming_number": "ЖТ-78"}, headers=cast.authority.headers)
    url = f"/ownsystem/applications/{a['id']}"
    assert "Take the answer from the customs data in Qaldyq" not in client.get(url, headers=cast.authority.headers, params={"lang": "en"}).text
    client.post(ev, json={"event": "request_srb", "day": "2026-01-19"}, headers=cast.authority.headers)
    page = client.get(url, headers=cast.authority.headers, params={"lang": "en"}).text
    assert "Take the answer from the customs data in Qaldyq" in page and '<option value="srb_answer">' not in page
    r = client.post(f"{url}/srb", data={"source": "file", "day": "2026-02-10"}, headers=cast.authority.headers, params={"lang": "ru"})
    assert r.status_code == 422 and "Выберите файл." in r.text
    assert client.post(f"{url}/srb", data={"source": "feed"}, headers=cast.operator.headers).status_code == 403
    r = client.post(f"{url}/srb", data={"source": "feed", "day": "2026-02-10"}, headers=cast.authority.headers, follow_redirects=False)
    assert r.status_code == 303, r.text
    got = client.get(f"{API}/applications/{a['id']}", headers=cast.authority.headers).json()
    assert got["history"][-1]["event"] == "srb_answer" and got["history"][-1]["day"] == "2026-02-10"
    assert [i["product_group"] for i in got["srb_items"]] == ["packaging", "rubber"]


def test_rules_page(client, cast):
    r = client.get("/ownsystem/rules", headers=cast.operator.headers, params={"lang": "ru"})
    assert r.status_code == 200 and "Правила меняет только уполномоченный орган." in r.text and "disabled" in r.text
    assert client.post("/ownsystem/rules/recycled_vs_placed", data={"param_min_ratio": "0.5"}, headers=cast.operator.headers).status_code == 403
    r = client.get("/ownsystem/rules", headers=cast.authority.headers, params={"lang": "kk"})
    assert r.status_code == 200 and "disabled" not in r.text and "Нарыққа шығарылған массадан ең аз үлес" in r.text
    r = client.post("/ownsystem/rules/recycled_vs_placed", data={"param_min_ratio": "abc", "severity": "fail", "active": "1"},
                    headers=cast.authority.headers, params={"lang": "ru"})
    assert r.status_code == 422
    assert "Минимальная доля от массы, реализованной на рынке: Должно быть числом от 0 до 10, не более 3 знаков после запятой." in r.text
    assert 'value="abc"' in r.text  # what was typed stays in the form
    rules = {x["code"]: x for x in client.get(f"{API}/rules", headers=cast.authority.headers).json()}
    assert rules["recycled_vs_placed"]["params"] == {"min_ratio": "1.000"}
    r = client.post("/ownsystem/rules/customs_match", data={"param_tolerance_pct": "101", "severity": "fail"}, headers=cast.authority.headers,
                    params={"lang": "en"})
    assert r.status_code == 422 and "Must be a number between 0 and 100" in r.text
    r = client.post("/ownsystem/rules/recycled_vs_placed", data={"param_min_ratio": "0,9", "severity": "warn"}, headers=cast.authority.headers,
                    follow_redirects=False)
    assert r.status_code == 303
    rules = {x["code"]: x for x in client.get(f"{API}/rules", headers=cast.authority.headers).json()}
    assert rules["recycled_vs_placed"] | {"label": ""} == {"code": "recycled_vs_placed", "label": "", "params": {"min_ratio": "0.9"}, "severity": "warn",
                                                          "active": False, "bounds": {"min_ratio": ["0", "10"]}}
