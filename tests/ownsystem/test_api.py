"""The HTTP API: public period deadlines, the application (Appendix 1) with its checks, the role
matrix, and a run of the workflow over HTTP with problem+json for bad input."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qaldyq.ledger import service as ledger
from qaldyq.ledger.service import Mass, Output
from tests.factories import make_site
from tests.ownsystem.conftest import body

API = "/api/v1/ownsystem"


@pytest.mark.parametrize(("year", "half", "due", "request_due"), [
    (2025, 1, "2025-07-21", "2025-07-30"),  # 20 July 2025 is a Sunday
    (2025, 2, "2026-01-20", "2026-01-30"),
    (2026, 2, "2027-01-20", "2027-02-01"),  # 30 January 2027 is a Saturday
])
def test_public_period_deadlines(client, year, half, due, request_due):
    for path in (f"{API}/deadlines", "/api/v1/epr/own-system/deadlines"):
        r = client.get(path, params={"year": year, "half": half})
        assert r.status_code == 200, r.text
        assert r.json()["application_due"] == due and r.json()["authority_request_due"] == request_due


def test_period_deadlines_bad_input(client):
    r = client.get(f"{API}/deadlines", params={"year": 2025, "half": 3}, headers={"Accept-Language": "ru"})
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "half"
    assert client.get(f"{API}/deadlines", params={"year": "x", "half": 1}).status_code == 422


def test_create_and_read_application(client, cast):
    r = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["status"] == "draft" and a["org_bin"] == cast.applicant.org.bin and a["number"].startswith("OS-")
    assert a["section_b"][0] == {"waste_name": "Отходы ПЭТ-бутылок", "recycled_t": "144.750", "product_name": "ПЭТ-флекс", "product_t": "130.000",
                                 "sold_rk_t": "100.000", "export_t": "25.000", "waste_code": None}
    assert a["section_d"] == {"placed_t": "150.000", "recycled_t": "144.750"}
    assert [d["code"] for d in a["deadlines"]] == ["D1", "D2", "D3", "D4", "D5", "D8", "D11", "D12"]
    assert a["allowed_events"] == ["submit"]
    assert "ledger_differences" not in a or a["ledger_differences"] is None  # the applicant does not see the reviewer's view
    # another organization does not see it; the operator and the authority do
    assert client.get(f"{API}/applications/{a['id']}", headers=cast.other.headers).status_code == 404
    assert client.get(f"{API}/applications", headers=cast.other.headers).json() == []
    seen = client.get(f"{API}/applications/{a['id']}", headers=cast.operator.headers).json()
    assert seen["allowed_events"] == [] and seen["ledger_differences"][0]["section"] == "A"


def test_second_application_for_the_same_half_year(client, cast):
    assert client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).status_code == 201
    r = client.post(f"{API}/applications", json=body(), headers={**cast.applicant.headers, "Accept-Language": "kk"})
    assert r.status_code == 409 and r.json()["errors"][0]["pointer"] == "/half"
    assert client.post(f"{API}/applications", json=body(half=1), headers=cast.applicant.headers).status_code == 201


@pytest.mark.parametrize(("over", "pointer"), [
    ({"totals_a": {"opening_t": "12.500", "collected_t": "140.000", "closing_t": "8.000"}}, "/totals_a/collected_t"),
    ({"section_d": {"placed_t": "150.000", "recycled_t": "100.000"}}, "/section_d/recycled_t"),
    ({"section_c": [{"product_name": "Бутылки", "produced_t": "-1", "imported_t": "0"}]}, "/section_c/0/produced_t"),
    ({"section_a": [{"waste_name": "ПЭТ", "opening_t": "1.0001", "collected_t": "1", "closing_t": "1"}], "totals_a": None}, "/section_a/0/opening_t"),
    ({"section_b": [{"waste_name": "ПЭТ", "recycled_t": "144.750", "product_name": "Флекс", "product_t": "10", "sold_rk_t": "10",
                     "export_t": "5"}]}, "/section_b/0/sold_rk_t"),
    ({"applicant_kind": "trader"}, "/applicant_kind"),
    ({"half": 3}, "/half"),
    ({"unknown": 1}, "/unknown"),
])
def test_bad_application_changes_nothing(client, cast, over, pointer):
    r = client.post(f"{API}/applications", json=body(**over), headers={**cast.applicant.headers, "Accept-Language": "ru"})
    assert r.status_code == 422, r.text
    assert pointer in [e["pointer"] for e in r.json()["errors"]]
    assert client.get(f"{API}/applications", headers=cast.applicant.headers).json() == []


def test_importer_section_d_must_equal_imports(client, cast):
    b = body(applicant_kind="importer", section_c=[{"product_name": "Шины", "produced_t": "0", "imported_t": "120.500"}])
    r = client.post(f"{API}/applications", json=b, headers=cast.applicant.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/section_d/placed_t"


def test_role_matrix(client, cast):
    assert client.post(f"{API}/applications", json=body(), headers=cast.operator.headers).status_code == 403
    assert client.post(f"{API}/applications", json=body(), headers=cast.authority.headers).status_code == 403
    assert client.get(f"{API}/applications").status_code == 401
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    # another organization cannot file for this one
    r = client.post(f"{API}/applications", params={"organization_id": cast.applicant.org.id}, json=body(half=1), headers=cast.other.headers)
    assert r.status_code == 403
    r = client.post(f"{API}/applications/{a['id']}/events", json={"event": "submit", "day": "2026-01-15"}, headers=cast.other.headers)
    assert r.status_code == 404
    r = client.post(f"{API}/applications/{a['id']}/events", json={"event": "submit", "day": "2026-01-15"}, headers=cast.operator.headers)
    assert r.status_code == 403 and client.get(f"{API}/applications/{a['id']}", headers=cast.applicant.headers).json()["status"] == "draft"


def test_workflow_over_http(client, cast):
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    url = f"{API}/applications/{a['id']}/events"

    def go(who, **ev):
        return client.post(url, json=ev, headers={**who.headers, "Accept-Language": "en"})

    r = go(cast.applicant, event="submit", day="2026-01-15")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = go(cast.authority, event="register", day="2026-01-16")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/incoming_number"
    r = go(cast.authority, event="register", day="2099-01-16", incoming_number="ЖТ-1")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/day"
    r = go(cast.authority, event="register", day="2026-01-16", incoming_number="ЖТ-1")
    assert r.json()["status"] == "registered" and r.json()["incoming_number"] == "ЖТ-1"
    assert r.json()["allowed_events"] == ["request_srb", "forward"]
    r = go(cast.authority, event="forward", day="2026-01-19")
    assert r.json()["status"] == "with_operator"
    r = go(cast.operator, event="request_missing", day="2026-02-02", reasons="Нет акта взвешивания", missing=["3b"])
    assert r.json()["status"] == "incomplete"
    d6 = next(d for d in r.json()["deadlines"] if d["code"] == "D6")
    assert d6["due"] == "2026-02-23" and d6["actor"] == "applicant"
    # the applicant comes back after D6 (today is later still): the review was stopped the day after D6
    r = go(cast.applicant, event="supply_missing", day="2026-02-24")
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "not-allowed"
    got = client.get(f"{API}/applications/{a['id']}", headers=cast.operator.headers).json()
    assert got["status"] == "stopped" and next(d for d in got["deadlines"] if d["code"] == "D7")["due"] == "2026-02-26"
    r = go(cast.operator, event="send_report", day="2026-02-25")
    assert r.status_code == 200, r.text
    h = r.json()["history"]
    assert [x["event"] for x in h][-2:] == ["stop", "send_report"] and h[-2]["actor"] == "system" and h[-2]["day"] == "2026-02-24"
    assert r.json()["conclusion"] == "stopped"
    r = go(cast.authority, event="confirm", day="2026-02-26")
    assert r.status_code == 409
    assert client.get(f"{API}/workflow").json()[0] == {
        "state": "draft", "state_label": "Draft", "event": "submit", "event_label": "Application submitted", "guard": "on_time",
        "next": "submitted", "actor": "applicant", "actor_label": "Applicant", "point": "3"}


def test_prefill_from_ledger_and_differences(client, db, cast):
    """Sections A and B from the ledger of the applicant's sites; the reviewer sees every change."""
    supplier = make_site(db, cast.other.org)
    plant = make_site(db, cast.applicant.org, site_type="recycler")
    at = datetime(2025, 9, 1, 8, tzinfo=timezone.utc)
    ledger.record_generation(db, key="os-g1", site_id=supplier.id, waste_code="15 01 02", mass_kg=5_000, effective_at=at)
    p = ledger.pend_transfer(db, key="os-p1", consignor_site_id=supplier.id, receiver_site_id=plant.id, waste_code="15 01 02", mass_kg=5_000, effective_at=at)
    ledger.post_transfer(db, key="os-t1", pending_id=p.transaction_id, accepted_kg=5_000, effective_at=at)
    ledger.record_processing(db, key="os-r1", site_id=plant.id, inputs=[Mass("15 01 02", 3_000)], outputs=[Output("product", "ПЭТ-флекс", 3_000)],
                             operation="R3", effective_at=datetime(2025, 10, 1, 8, tzinfo=timezone.utc))
    b = body(section_a=[], section_b=[], totals_a=None, prefill=True)
    r = client.post(f"{API}/applications", json=b, headers=cast.applicant.headers)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["section_a"] == [{"waste_name": "15 01 02", "waste_code": "15 01 02", "opening_t": "0.000", "collected_t": "5.000", "closing_t": "2.000"}]
    assert a["section_b"][0]["recycled_t"] == "3.000" and a["section_b"][0]["product_t"] == "3.000"
    assert a["section_d"]["recycled_t"] == "3.000"
    seen = client.get(f"{API}/applications/{a['id']}", headers=cast.authority.headers).json()
    assert seen["ledger_differences"] == []
    # the applicant corrects the collected mass: the reviewer sees the difference
    b2 = body(section_a=[{**a["section_a"][0], "collected_t": "5.500", "closing_t": "2.500"}], section_b=a["section_b"], totals_a=None,
              section_d={"placed_t": "150.000", "recycled_t": "3.000"})
    r = client.put(f"{API}/applications/{a['id']}", json=b2, headers=cast.applicant.headers)
    assert r.status_code == 200, r.text
    diffs = client.get(f"{API}/applications/{a['id']}", headers=cast.authority.headers).json()["ledger_differences"]
    assert diffs == [
        {"section": "A", "name": "15 01 02", "column": "collected_t", "declared_t": "5.500", "ledger_t": "5.000", "difference_t": "0.500"},
        {"section": "A", "name": "15 01 02", "column": "closing_t", "declared_t": "2.500", "ledger_t": "2.000", "difference_t": "0.500"},
    ]


def test_customs_csv_import(client, cast):
    a = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).json()
    url = f"{API}/applications/{a['id']}/events"
    client.post(url, json={"event": "submit", "day": "2026-01-15"}, headers=cast.applicant.headers)
    client.post(url, json={"event": "register", "day": "2026-01-16", "incoming_number": "ЖТ-9"}, headers=cast.authority.headers)
    client.post(url, json={"event": "request_srb", "day": "2026-01-19"}, headers=cast.authority.headers)
    csv_bad = "product_group,item,mass_t,units\npackaging_plastic,bottle,-3,\n".encode()
    r = client.post(f"{API}/applications/{a['id']}/customs", files={"file": ("srb.csv", csv_bad, "text/csv")}, data={"day": "2026-02-10"},
                    headers={**cast.authority.headers, "Accept-Language": "ru"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/file/2/mass_t"
    r = client.post(f"{API}/applications/{a['id']}/customs", files={"file": ("srb.csv", b"a,b\n1,2\n", "text/csv")}, headers=cast.authority.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "header"
    good = "product_group,item,mass_t,units\npackaging_plastic,bottle,,1000000\ntyres,,12.5,\n".encode()
    assert client.post(f"{API}/applications/{a['id']}/customs", files={"file": ("srb.csv", good, "text/csv")},
                       headers=cast.operator.headers).status_code == 403
    r = client.post(f"{API}/applications/{a['id']}/customs", files={"file": ("srb.csv", good, "text/csv")}, data={"day": "2026-02-10"},
                    headers=cast.authority.headers)
    assert r.status_code == 200, r.text
    ev = r.json()["history"][-1]
    assert ev["event"] == "srb_answer" and ev["day"] == "2026-02-10"
    assert ev["data"]["items"] == [{"product_group": "packaging_plastic", "item": "bottle", "mass_t": None, "units": 1000000},
                                   {"product_group": "tyres", "item": "", "mass_t": "12.500", "units": None}]
    assert r.json()["mass_method"] is None  # one mass missing: import documents will be needed


def test_an_organization_on_the_operator_route_cannot_apply(client, db, cast):
    from qaldyq.epr.models import Registration

    db.add(Registration(organization_id=cast.applicant.org.id, product_group="packaging", year=2025, route="operator"))
    db.flush()
    r = client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers)
    assert r.status_code in (409, 422) and r.headers["content-type"].startswith("application/problem+json"), r.text
    # with an own-system registration for another group of the same year it may apply
    db.add(Registration(organization_id=cast.applicant.org.id, product_group="tyres", year=2025, route="own_system"))
    db.flush()
    assert client.post(f"{API}/applications", json=body(), headers=cast.applicant.headers).status_code == 201
