"""Every branch of Order 690 points 3–9 through the transition table, with each deadline checked
against a hand count on the Kazakhstan calendar (weekends; 8 March 2026 is a Sunday, so Monday
9 March 2026 is the day off; Nauryz 21–23 March)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qaldyq.catalog.models import LegalAct, ReferenceMass
from qaldyq.core.errors import Problem
from qaldyq.ownsystem import service
from qaldyq.ownsystem.workflow import DEADLINES, TRANSITIONS, Actor, Status

SRB_NO_MASS = [{"product_group": "packaging_plastic", "item": "bottle", "mass_t": None, "units": 1_000_000}]
SRB_MASS = [{"product_group": "packaging_plastic", "item": "", "mass_t": "150.000"}]


def test_table_covers_points_3_to_9_and_all_actors():
    points = {t.point.split(";")[0].split(",")[0].split(".")[0].strip() for t in TRANSITIONS}
    assert {"3", "4", "5", "6", "7", "8", "9"} <= points
    assert {t.actor for t in TRANSITIONS} == set(Actor)
    assert [d.code for d in DEADLINES] == [f"D{i}" for i in range(1, 13)]
    reachable = {Status.DRAFT} | {t.next for t in TRANSITIONS if t.next}
    assert reachable == set(Status)


def test_confirmed_path_with_import_documents(drive):
    d = drive()
    d("applicant", "submit", "2026-01-15")
    assert d.app.status == Status.SUBMITTED and d.app.submitted_on == date(2026, 1, 15)
    d("authority", "register", "2026-01-16", incoming_number="ЖТ-2026-00117")
    d("authority", "request_srb", "2026-01-19")
    d("authority", "forward", "2026-01-19")
    assert d.app.status == Status.WITH_OPERATOR
    d("authority", "srb_answer", "2026-02-10", srb_items=SRB_NO_MASS)
    d("authority", "forward_srb", "2026-02-12")
    d("operator", "complete", "2026-02-13")
    d("operator", "request_import_docs", "2026-02-16")
    assert d.app.status == Status.AWAITING_IMPORT_DOCS
    d("applicant", "supply_import_docs", "2026-02-20")
    assert d.app.mass_method == "documents"
    d("operator", "send_report", "2026-03-05", conclusion="conforms")
    d("authority", "confirm", "2026-03-10")
    assert d.app.status == Status.CONFIRMED
    assert d.due() == {
        "D1": ("2026-01-20", "2026-01-15"),  # Tuesday 20 January
        "D2": ("2026-01-30", "2026-01-19"),  # Friday 30 January; both request and forwarding on the 19th
        "D3": ("2026-02-18", "2026-02-10"),  # 19 Jan + 30 calendar days = Wednesday 18 Feb
        "D4": ("2026-02-13", "2026-02-12"),  # 10 Feb + 3 WD: 11, 12, 13
        "D5": ("2026-02-16", "2026-02-13"),  # 19 Jan + 20 WD: 20–23, 26–30 Jan, 2–6, 9–13, 16 Feb
        "D8": ("2026-03-13", "2026-03-05"),  # 12 Feb + 20 WD: ... 6 Mar is the 16th, 9 Mar off, 10–13 Mar
        "D9": ("2026-02-23", "2026-02-20"),  # 16 Feb + 5 WD: 17–20, 23 Feb
        "D10": ("2026-03-06", "2026-03-05"),  # 20 Feb + 10 WD: 23–27 Feb, 2–6 Mar
        "D11": ("2026-03-20", "2026-03-05"),  # max(D8, D10) = 13 Mar + 5 WD: 16–20 Mar
        "D12": ("2026-03-20", "2026-03-10"),  # 5 Mar + 10 WD: 6, (9 off), 10–13, 16–20 Mar
    }
    assert [e.event for e in d.app.events] == ["submit", "register", "request_srb", "forward", "srb_answer", "forward_srb", "complete",
                                               "request_import_docs", "supply_import_docs", "send_report", "confirm"]
    assert all(e.at is not None for e in d.app.events) and d.app.events[1].data == {"incoming_number": "ЖТ-2026-00117"}


def test_late_submission_is_stored_not_reviewed(drive):
    d = drive()
    d("applicant", "submit", "2026-01-21")
    assert d.app.status == Status.NOT_REVIEWED and d.app.id is not None
    assert d.due()["D1"] == ("2026-01-20", "2026-01-21")
    with pytest.raises(Problem) as e:
        d("authority", "register", "2026-01-22", incoming_number="X-1")
    assert e.value.status == 409 and e.value.code == "not-allowed"


def test_fixed_deadline_on_a_weekend_moves_to_the_next_working_day(drive):
    d = drive(year=2025, half=1)  # 20 July 2025 is a Sunday
    assert d.due()["D1"] == ("2025-07-21", None)
    d("applicant", "submit", "2025-07-21")
    assert d.app.status == Status.SUBMITTED


def _to_operator(d):
    d("applicant", "submit", "2026-01-15")
    d("authority", "register", "2026-01-16", incoming_number=f"ЖТ-{d.app.id}")
    d("authority", "request_srb", "2026-01-19")
    d("authority", "forward", "2026-01-19")


def test_missing_documents_not_supplied_stop_the_review(db, drive):
    d = drive()
    _to_operator(d)
    d("operator", "request_missing", "2026-02-02", reasons="Нет акта взвешивания за сентябрь", missing=["3b"])
    assert d.app.status == Status.INCOMPLETE
    assert d.due()["D6"] == ("2026-02-23", None)  # 2 Feb + 15 WD: 3–6, 9–13, 16–20, 23 Feb
    with pytest.raises(Problem) as e:  # the applicant is one day late
        d("applicant", "supply_missing", "2026-02-24")
    assert e.value.status == 409 and e.value.code == "deadline-passed" and e.value.errors[0].pointer == "/day"
    assert service.run_automatic(db, d.app, date(2026, 2, 23)) == []  # still within D6
    fired = service.run_automatic(db, d.app, date(2026, 2, 24))
    assert [f.event for f in fired] == ["stop"] and fired[0].actor == "system" and fired[0].day == date(2026, 2, 24)
    assert d.app.status == Status.STOPPED
    due = d.due()
    assert due["D7"] == ("2026-02-26", None)  # D6 (23 Feb) + 3 WD: 24, 25, 26
    assert "D8" not in due and "D11" not in due and "D5" not in due
    d("operator", "send_report", "2026-02-25")
    assert d.app.conclusion == "stopped" and d.due()["D7"] == ("2026-02-26", "2026-02-25")
    with pytest.raises(Problem) as e:  # no confirmation without conformity
        d("authority", "confirm", "2026-02-26")
    assert e.value.code == "hearing-needed"
    d("authority", "open_hearing", "2026-02-26")
    with pytest.raises(Problem) as e:
        d("authority", "refuse", "2026-03-02", reasons="кратко")
    assert e.value.errors[0].pointer == "/reasons"
    d("authority", "refuse", "2026-03-02", reasons="Документы по пункту 3 не представлены в срок (п. 6.3 Правил).")
    assert d.app.status == Status.REFUSED and d.due()["D12"] == ("2026-03-12", "2026-03-02")  # 25 Feb + 10 WD: 26, 27 Feb, 2–6, 10, 11, 12 Mar (9 off)
    d("applicant", "appeal", "2026-03-20", reasons="Не согласны: акт взвешивания был направлен 20.02.2026.")
    assert d.app.status == Status.APPEALED


def test_missing_documents_supplied_in_time_resume_the_check(drive):
    d = drive()
    _to_operator(d)
    d("operator", "request_missing", "2026-02-02", reasons="Нечитаемая сводка ҚКО")
    d("applicant", "supply_missing", "2026-02-23")  # the last day of D6
    assert d.app.status == Status.WITH_OPERATOR and d.due()["D6"] == ("2026-02-23", "2026-02-23")


def test_import_documents_not_supplied_mass_from_reference_book(db, drive):
    ref_act = db.query(LegalAct).first()  # the book of Order 448 ships empty (docs/catalog.md): one test row
    db.add(ReferenceMass(product_group="packaging_plastic", item="bottle", unit="piece", unit_mass_kg=Decimal("0.0250"),
                         valid_from=date(2022, 1, 1), act_id=ref_act.id, source="test"))
    db.flush()
    d = drive()
    _to_operator(d)
    d("authority", "srb_answer", "2026-02-10", srb_items=SRB_NO_MASS)
    d("authority", "forward_srb", "2026-02-12")
    d("operator", "complete", "2026-02-13")
    d("operator", "request_import_docs", "2026-02-16")
    with pytest.raises(Problem) as e:
        d("applicant", "supply_import_docs", "2026-02-24")  # D9 was 23 Feb
    assert e.value.code == "deadline-passed"
    fired = service.run_automatic(db, d.app, date(2026, 2, 24))
    assert [f.event for f in fired] == ["fallback_mass"]
    assert d.app.status == Status.UNDER_REVIEW and d.app.mass_method == "reference"
    assert d.app.srb_items[0]["mass_t"] == "25.000"  # 1,000,000 bottles × 0.025 kg = 25 t
    d("operator", "send_report", "2026-03-02", conclusion="not_conforms")
    with pytest.raises(Problem):
        d("authority", "confirm", "2026-03-03")
    d("authority", "open_hearing", "2026-03-03")
    d("authority", "confirm", "2026-03-10")
    assert d.app.status == Status.CONFIRMED


def test_srb_mass_known_needs_no_import_documents(drive):
    d = drive()
    _to_operator(d)
    d("authority", "srb_answer", "2026-02-10", srb_items=SRB_MASS)
    assert d.app.mass_method == "srb"
    d("authority", "forward_srb", "2026-02-12")
    d("operator", "complete", "2026-02-13")
    with pytest.raises(Problem) as e:
        d("operator", "request_import_docs", "2026-02-16")
    assert e.value.code == "mass-known"


def test_wrong_actor_and_order_are_refused(drive):
    d = drive()
    with pytest.raises(Problem) as e:
        d("operator", "submit", "2026-01-15")
    assert e.value.status == 403
    d("applicant", "submit", "2026-01-15")
    with pytest.raises(Problem) as e:
        d("applicant", "register", "2026-01-16", incoming_number="X")
    assert e.value.status == 403
    with pytest.raises(Problem) as e:  # before the previous step
        d("authority", "register", "2026-01-14", incoming_number="X")
    assert e.value.errors[0].pointer == "/day"
    d("authority", "register", "2026-01-16", incoming_number="X")
    with pytest.raises(Problem) as e:  # the answer before the request
        d("authority", "srb_answer", "2026-01-17", srb_items=SRB_MASS)
    assert e.value.code == "order"
    with pytest.raises(Problem) as e:
        d("authority", "send_report", "2026-01-17", conclusion="conforms")
    assert e.value.code == "not-allowed"


def test_submission_before_the_half_year_ends_is_refused(drive):
    d = drive(year=2025, half=2)
    with pytest.raises(Problem) as e:
        d("applicant", "submit", "2025-12-30")
    assert e.value.errors[0].pointer == "/day" and e.value.errors[0].code == "too-early"
    assert d.app.status == Status.DRAFT and d.app.events == []
