"""The moderation workflow (table-driven), routing to the region's akimat, and the role matrix."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from qaldyq.citizens import service
from qaldyq.citizens.models import Report
from qaldyq.citizens.workflow import TRANSITIONS, Status, mermaid
from qaldyq.core.database import utcnow
from qaldyq.core.models import AuditRecord
from tests.citizens.conftest import ALMATY, ASTANA, image_bytes

ASTANA_KATO, ALMATY_KATO = "710000000", "750000000"


def today():
    return service.local_date(utcnow())


@pytest.fixture
def astana(as_role):
    """The akimat of Astana with a user; a report sent from Astana after it exists."""
    headers, user, org = as_role("akimat", roles=("akimat",), region=ASTANA_KATO)
    return headers, org


@pytest.fixture
def report(submit, astana):
    r = submit(lat=ASTANA[0], lon=ASTANA[1], photos=[image_bytes()])
    assert r.status_code == 201
    return r.json()


def fire(client, headers, number, event, files=None, **data):
    return client.post(f"/api/v1/citizens/reports/{number}/events", data={"event": event, **data}, files=files, headers=headers)


def test_full_workflow_to_cleaned_with_after_photo(client, db, astana, report):
    headers, org = astana
    number, token = report["number"], report["private_token"]
    detail = client.get(f"/api/v1/citizens/reports/{number}", headers=headers).json()
    assert detail["status"] == "received" and detail["contact"] == "+7 701 555 12 34"
    assert [a["event"] for a in detail["actions"]] == ["verify", "forward", "reject"]

    r = fire(client, headers, number, "verify", note="Выезд 12 мая: подтверждено.")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "verified"
    assert [a["event"] for a in r.json()["actions"]] == ["schedule", "reject"]

    when = today() + timedelta(days=3)
    r = fire(client, headers, number, "schedule", scheduled_for=when.isoformat())
    assert r.status_code == 200 and r.json()["status"] == "cleanup_scheduled" and r.json()["scheduled_for"] == when.isoformat()

    r = fire(client, headers, number, "clean", files=[("photo", ("after.jpg", image_bytes(gps=True, color=(30, 200, 30)), "image/jpeg"))],
             note="Вывезено 2 машины.")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "cleaned" and body["closed_at"] and body["actions"] == []
    assert [p["stage"] for p in body["photos"]] == ["report", "after"]
    assert [h["event"] for h in body["history"]] == ["submit", "verify", "schedule", "clean"]
    assert [h["to_status"] for h in body["history"]] == ["received", "verified", "cleanup_scheduled", "cleaned"]
    assert body["history"][1]["organization"] == org.name_ru and body["history"][2]["scheduled_for"] == when.isoformat()

    # the reporter sees the same history through the private link, and the after-photo
    view = client.get(f"/api/v1/citizens/private/{token}").json()
    assert view["status"] == "cleaned" and [h["event"] for h in view["history"]] == ["submit", "verify", "schedule", "clean"]
    assert view["history"][3]["note"] == "Вывезено 2 машины."
    after = view["photos"][1]
    assert client.get(after["url"]).headers["content-type"] == "image/jpeg"
    page = client.get(f"/citizens/r/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Вывезено 2 машины." in page.text

    # every transition is in the audit log with its actor
    rep = db.scalar(select(Report).where(Report.number == number))
    updates = list(db.scalars(select(AuditRecord).where(AuditRecord.entity == "citizen_reports", AuditRecord.entity_id == str(rep.id),
                                                         AuditRecord.action == "update").order_by(AuditRecord.seq)))
    assert [u.after["status"] for u in updates if u.before["status"] != u.after["status"]] == ["verified", "cleanup_scheduled", "cleaned"]
    assert all("(token)" in u.actor_label for u in updates)
    events = list(db.scalars(select(AuditRecord).where(AuditRecord.entity == "citizen_report_events", AuditRecord.action == "create")))
    assert len(events) == 4


@pytest.mark.parametrize("path", [["reject"], ["verify", "reject"]])
def test_rejection_with_reason_from_received_or_verified(client, astana, report, path):
    headers, _ = astana
    number = report["number"]
    for event in path[:-1]:
        assert fire(client, headers, number, event).status_code == 200
    # a reason is required, with an explanation
    r = fire(client, headers, number, "reject")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason_code"
    r = fire(client, headers, number, "reject", reason_code="duplicate", reason="short")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason"
    r = fire(client, headers, number, "reject", reason_code="nonsense", reason="Это повтор обращения CR-2026-000001.")
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/reason_code"
    r = fire(client, headers, number, "reject", reason_code="duplicate", reason="Это повтор обращения CR-2026-000001.")
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["reject_code"] == "duplicate"
    view = client.get(f"/api/v1/citizens/private/{report['private_token']}").json()
    assert view["status"] == "rejected" and view["history"][-1]["reason_code"] == "duplicate"
    assert view["history"][-1]["note"] == "Это повтор обращения CR-2026-000001."
    # closed: nothing more is possible
    r = fire(client, headers, number, "verify")
    assert r.status_code == 409 and r.json()["type"] == "urn:qaldyq:problem:wrong-state"


def test_guards_and_wrong_states(client, astana, report):
    headers, _ = astana
    number = report["number"]
    assert fire(client, headers, number, "schedule", scheduled_for=today().isoformat()).status_code == 409  # not verified yet
    assert fire(client, headers, number, "explode").json()["errors"][0]["pointer"] == "/event"
    assert fire(client, headers, number, "verify").status_code == 200
    past = fire(client, headers, number, "schedule", scheduled_for=(today() - timedelta(days=1)).isoformat())
    assert past.status_code == 422 and past.json()["errors"][0]["code"] == "date-in-past"
    far = fire(client, headers, number, "schedule", scheduled_for=(today() + timedelta(days=400)).isoformat())
    assert far.status_code == 422 and far.json()["errors"][0]["pointer"] == "/scheduled_for"
    assert fire(client, headers, number, "schedule").json()["errors"][0]["pointer"] == "/scheduled_for"
    assert fire(client, headers, number, "schedule", scheduled_for="2026-13-45").status_code == 422
    # a photo goes only with the cleanup
    r = fire(client, headers, number, "schedule", scheduled_for=today().isoformat(), files=[("photo", ("a.jpg", image_bytes(), "image/jpeg"))])
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/photo"
    assert fire(client, headers, number, "schedule", scheduled_for=today().isoformat()).status_code == 200
    bad_photo = fire(client, headers, number, "clean", files=[("photo", ("a.jpg", b"not an image at all", "image/jpeg"))])
    assert bad_photo.status_code == 422 and bad_photo.json()["errors"][0]["pointer"] == "/photo"
    assert client.get(f"/api/v1/citizens/reports/{number}", headers=headers).json()["status"] == "cleanup_scheduled"


def test_forward_to_another_region_reroutes(client, as_role, astana, report):
    headers, _ = astana
    almaty_headers, _, almaty_org = as_role("akimat", roles=("akimat",), region=ALMATY_KATO)
    number = report["number"]
    assert client.get(f"/api/v1/citizens/reports/{number}", headers=almaty_headers).status_code == 404
    same = fire(client, headers, number, "forward", region_kato=ASTANA_KATO)
    assert same.status_code == 422 and same.json()["errors"][0]["code"] == "same-region"
    r = fire(client, headers, number, "forward", region_kato=ALMATY_KATO, note="Адрес в Алматы.")
    assert r.status_code == 200, r.text
    # now Almaty's akimat has it and Astana's does not
    moved = client.get(f"/api/v1/citizens/reports/{number}", headers=almaty_headers).json()
    assert moved["region_kato"] == ALMATY_KATO and moved["akimat_org_id"] == almaty_org.id and moved["status"] == "received"
    assert client.get(f"/api/v1/citizens/reports/{number}", headers=headers).status_code == 404


def test_role_matrix(client, as_role, astana, report, submit):
    own, _ = astana
    number = report["number"]
    other_akimat, _, _ = as_role("akimat", roles=("akimat",), region=ALMATY_KATO)
    inspector_here, _, _ = as_role("inspector", roles=("ecology_department",), region=ASTANA_KATO)
    inspector_there, _, _ = as_role("inspector", roles=("ecology_department",), region=ALMATY_KATO)
    authority, _, _ = as_role("authority", roles=("ministry",))
    admin, _, _ = as_role("admin", roles=("operator",))
    generator, _, _ = as_role("org_user", region=ASTANA_KATO)
    operator, _, _ = as_role("operator", roles=("operator",))
    submit(lat=ALMATY[0], lon=ALMATY[1])  # one report in Almaty

    def listed(h):
        r = client.get("/api/v1/citizens/reports?status=received", headers=h)
        return r.status_code, sorted(i["region_kato"] for i in r.json()["items"]) if r.status_code == 200 else None

    assert listed(own) == (200, [ASTANA_KATO])
    assert listed(other_akimat) == (200, [ALMATY_KATO])
    assert listed(inspector_here) == (200, [ASTANA_KATO])
    assert listed(authority) == (200, [ASTANA_KATO, ALMATY_KATO])
    assert listed(admin) == (200, [ASTANA_KATO, ALMATY_KATO])
    assert listed(generator)[0] == 403 and listed(operator)[0] == 403
    assert client.get("/api/v1/citizens/reports").status_code == 401

    # another region's akimat or inspector can neither see nor act: not found
    for h in (other_akimat, inspector_there):
        assert client.get(f"/api/v1/citizens/reports/{number}", headers=h).status_code == 404
        assert fire(client, h, number, "verify").status_code == 404
        assert client.get(f"/api/v1/citizens/reports/{number}/photos/1", headers=h).status_code == 404
    assert fire(client, generator, number, "verify").status_code == 403
    # the authority oversees but does not act; the inspector verifies but does not schedule
    assert client.get(f"/api/v1/citizens/reports/{number}", headers=authority).json()["actions"] == []
    assert fire(client, authority, number, "verify").status_code == 403
    assert [a["event"] for a in client.get(f"/api/v1/citizens/reports/{number}", headers=inspector_here).json()["actions"]] == ["verify", "forward", "reject"]
    assert fire(client, inspector_here, number, "verify").status_code == 200
    assert client.get(f"/api/v1/citizens/reports/{number}", headers=inspector_here).json()["actions"] == [
        {"event": "reject", "label": "Reject", "next_status": "rejected", "fields": ["reason_code", "reason"]}]
    assert fire(client, inspector_here, number, "schedule", scheduled_for=today().isoformat()).status_code == 403
    assert fire(client, admin, number, "schedule", scheduled_for=today().isoformat()).status_code == 200
    # photos: the region's moderators see them; hiding needs citizens.verify in the region
    photo_id = client.get(f"/api/v1/citizens/reports/{number}", headers=own).json()["photos"][0]["id"]
    assert client.post(f"/api/v1/citizens/reports/{number}/photos/{photo_id}/hide", headers=other_akimat).status_code == 404
    assert client.post(f"/api/v1/citizens/reports/{number}/photos/{photo_id}/hide", headers=authority).status_code == 403
    assert client.post(f"/api/v1/citizens/reports/{number}/photos/{photo_id}/hide", headers=own).json()["hidden"] is True


def test_moderation_pages_and_htmx_actions(client, db, report, astana):
    from tests.factories import PASSWORD, make_user

    _, org = astana
    make_user(db, org, "akimat", username="moder1")
    db.commit()
    assert client.post("/login", data={"username": "moder1", "password": PASSWORD}, follow_redirects=False).status_code == 303
    html = {"Accept": "text/html"}
    queue = client.get("/citizens/reports", headers=html)
    assert queue.status_code == 200 and report["number"] in queue.text
    detail = client.get(f"/citizens/reports/{report['number']}", headers=html)
    assert detail.status_code == 200 and "+7 701 555 12 34" in detail.text and "<svg" in detail.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', detail.text).group(1)
    hx = {"HX-Request": "true", "X-CSRF-Token": csrf, "Accept": "text/html"}
    r = client.post(f"/citizens/reports/{report['number']}/events/verify", data={"note": "Подтверждено."}, headers=hx)
    assert r.status_code == 200 and 'id="workflow"' in r.text and "<html" not in r.text
    assert db.scalar(select(Report.status).where(Report.number == report["number"])) == "verified"
    # an error is shown inside the panel and changes nothing
    r = client.post(f"/citizens/reports/{report['number']}/events/schedule", data={"scheduled_for": "2000-01-01"}, headers=hx)
    assert r.status_code == 200 and "flash-error" in r.text
    assert db.scalar(select(Report.status).where(Report.number == report["number"])) == "verified"
    # without the CSRF token nothing happens
    r = client.post(f"/citizens/reports/{report['number']}/events/reject", data={"reason_code": "duplicate", "reason": "повтор обращения"},
                    headers={"HX-Request": "true", "Accept": "application/json"})
    assert r.status_code == 403
    when = (today() + timedelta(days=2)).isoformat()
    r = client.post(f"/citizens/reports/{report['number']}/events/schedule", data={"scheduled_for": when}, headers=hx)
    assert r.status_code == 200 and db.scalar(select(Report.status).where(Report.number == report["number"])) == "cleanup_scheduled"
    r = client.post(f"/citizens/reports/{report['number']}/events/clean", files=[("photo", ("a.jpg", image_bytes(), "image/jpeg"))], headers=hx)
    assert r.status_code == 200 and db.scalar(select(Report.status).where(Report.number == report["number"])) == "cleaned"


def test_workflow_table_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "citizens.md").read_text(encoding="utf-8")
    assert mermaid() in doc, "regenerate the diagram in docs/citizens.md from workflow.mermaid()"
    assert {t.state for t in TRANSITIONS} | {t.next for t in TRANSITIONS} == set(Status)


def test_workflow_endpoint_lists_the_table(client):
    rows = client.get("/api/v1/citizens/workflow").json()
    assert len(rows) == len(TRANSITIONS)
    assert {"state": "cleanup_scheduled", "event": "clean", "next_state": "cleaned", "permission": "citizens.cleanup", "guard": None,
            "fields": ["photo", "note"]} in rows


def test_contacts_of_long_closed_reports_are_purged(client, db, astana, report):
    headers, _ = astana
    fire(client, headers, report["number"], "reject", reason_code="duplicate", reason="Повтор обращения, уже в работе.")
    assert service.purge_contacts(db, 30) == 0  # closed just now
    assert service.purge_contacts(db, 30, now=utcnow() + timedelta(days=31)) == 1
    rep = db.scalar(select(Report).where(Report.number == report["number"]))
    assert rep.contact is None and rep.description  # the report itself stays
    audit = db.scalar(select(AuditRecord).where(AuditRecord.entity == "citizen_reports", AuditRecord.action == "update").order_by(AuditRecord.seq.desc()))
    assert audit.before["contact"] == "***" and audit.after["contact"] is None
