"""The SLA board (due this week / overdue per actor) and the notifications with their e-mails."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy

from qaldyq.core.service import create_user
from qaldyq.ownsystem import sla

API = "/api/v1/ownsystem"


def test_sla_board_per_actor(db, drive, cast):
    d = drive()
    d("applicant", "submit", "2026-01-15")
    d("authority", "register", "2026-01-16", incoming_number="ЖТ-77")
    d("authority", "forward", "2026-01-19")
    d("operator", "request_missing", "2026-02-02", reasons="Нет технологического регламента")
    # Wednesday 18 February 2026: the week is 16–22 February
    b = sla.board(db, cast.authority.principal, date(2026, 2, 18))
    assert (b["week_start"], b["week_end"]) == (date(2026, 2, 16), date(2026, 2, 22))
    assert [r["code"] for r in b["actors"]["authority"]["overdue"]] == ["D2"]  # the request to the SRB was due on 30 January
    assert b["actors"]["authority"]["overdue"][0]["days_late"] == 19
    assert b["actors"]["applicant"]["due_this_week"] == [] and b["actors"]["operator"]["due_this_week"] == []
    # Monday 23 February: the applicant's D6 is due this week, D2 still overdue
    b = sla.board(db, cast.applicant.principal, date(2026, 2, 23))
    assert [(r["code"], r["due"]) for r in b["actors"]["applicant"]["due_this_week"]] == [("D6", date(2026, 2, 23))]
    assert sla.board(db, cast.other.principal, date(2026, 2, 23))["actors"]["applicant"]["due_this_week"] == []


def test_notifications_and_email_outbox(client, db, drive, cast, outbox):
    create_user(db, username="minister-clerk", password="Secret-pass-123", full_name="Клерк", organization_id=cast.authority.org.id,
                role="authority", email="clerk@ecogeo.gov.kz", locale="kk")
    d = drive()
    d("applicant", "submit", "2026-01-15")
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 1
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "clerk@ecogeo.gov.kz" and msg["Subject"] == f"{d.app.number}: Өтініш берілді"
    r = client.get(f"{API}/notifications", headers=cast.authority.headers)
    assert r.status_code == 200 and [(n["event"], n["application_id"]) for n in r.json()] == [("submit", d.app.id)]
    assert client.get(f"{API}/notifications", headers=cast.applicant.headers).json() == []
    d("authority", "register", "2026-01-16", incoming_number="ЖТ-78")
    assert [n["event"] for n in client.get(f"{API}/notifications", headers=cast.applicant.headers).json()] == ["register"]
    assert client.get(f"{API}/notifications", headers=cast.other.headers).json() == []
    r = client.get(f"{API}/sla", params={"today": "2026-01-19"}, headers=cast.authority.headers)
    assert r.status_code == 200 and [x["code"] for x in r.json()["actors"]["authority"]["due_this_week"]] == []
    assert client.get(f"{API}/sla").status_code == 401
