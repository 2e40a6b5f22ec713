"""Working days against hand computation (five-day week)."""

from __future__ import annotations

from datetime import date

import pytest

from qaldyq.catalog import service
from qaldyq.core.errors import Problem

# (start, n, expected, why)
HAND = [
    # Nauryz 2024: 21–23 March (Thu–Sat), 23 March on a Saturday moves to Monday 25 March.
    (date(2024, 3, 20), 1, date(2024, 3, 26), "21, 22 Nauryz; 23–24 weekend; 25 moved Nauryz"),
    (date(2024, 3, 19), 5, date(2024, 3, 29), "20, 26, 27, 28, 29"),
    # Nauryz 2025: 21–23 March (Fri–Sun); 22 and 23 move to Monday 24 and Tuesday 25.
    (date(2025, 3, 20), 1, date(2025, 3, 26), "21 Nauryz, 22–23 weekend + Nauryz, 24–25 moved"),
    # Nauryz 2026: 21–23 March (Sat–Mon); 21 and 22 move to 24 and 25 March.
    (date(2026, 3, 20), 1, date(2026, 3, 26), "21–22 weekend, 23 Nauryz, 24–25 moved"),
    # 1 May 2025 is a Thursday.
    (date(2025, 4, 30), 1, date(2025, 5, 2), "1 May"),
    (date(2025, 4, 30), 3, date(2025, 5, 6), "2, 5, 6 May"),
    # May 2024 by decree: Saturday 4 May worked, Wednesday 8 May off; 7 and 9 May holidays.
    (date(2024, 5, 3), 1, date(2024, 5, 4), "Saturday 4 May worked"),
    (date(2024, 5, 6), 1, date(2024, 5, 10), "7 holiday, 8 moved day off, 9 holiday"),
    # Kurban Ait 2025: Friday 6 June (not moved when it falls on a weekend).
    (date(2025, 6, 5), 1, date(2025, 6, 9), "6 Kurban Ait, 7–8 weekend"),
    # Kurban Ait 2024 fell on Sunday 16 June: nothing moves to Monday.
    (date(2024, 6, 14), 1, date(2024, 6, 17), "15–16 weekend, 17 a working Monday"),
    # January 2025: 3 January off, Sunday 5 January worked (the package's decree of 2024 No. 436).
    (date(2025, 1, 2), 1, date(2025, 1, 5), "3 moved day off, 4 Saturday, 5 worked Sunday"),
    (date(2025, 1, 5), 1, date(2025, 1, 6), "6 January"),
    # 20 working days across the turn of the year 2025/2026: 1–2 January and 7 January off.
    (date(2025, 12, 19), 20, date(2026, 1, 21), "hand count across New Year and Orthodox Christmas"),
    # backwards
    (date(2024, 3, 26), -1, date(2024, 3, 20), "one working day before"),
    (date(2024, 3, 26), 0, date(2024, 3, 26), "zero days: the start itself"),
]


@pytest.mark.parametrize("start,n,expected,why", HAND, ids=[h[3] for h in HAND])
def test_add_working_days_by_hand(db, start, n, expected, why):
    assert service.add_working_days(db, start, n) == expected


def test_is_working_day(db):
    assert service.is_working_day(db, date(2024, 5, 4))  # Saturday worked by decree
    assert not service.is_working_day(db, date(2024, 5, 8))  # Wednesday off by decree
    assert not service.is_working_day(db, date(2025, 3, 24))  # Nauryz moved from Saturday
    assert not service.is_working_day(db, date(2025, 6, 6))  # Kurban Ait
    assert service.is_working_day(db, date(2025, 6, 5))
    assert not service.is_working_day(db, date(2026, 11, 21))  # a Saturday


def test_add_calendar_days_rolls_to_a_working_day(db):
    assert service.add_calendar_days(date(2024, 3, 20), 1) == date(2024, 3, 21)
    assert service.add_calendar_days(date(2024, 3, 20), 1, db) == date(2024, 3, 26)
    assert service.add_calendar_days(date(2025, 5, 12), 30, db) == date(2025, 6, 11)


def test_working_days_of_2024(db):
    assert service.working_days_between(db, date(2023, 12, 31), date(2024, 12, 31)) == 249


def test_a_decree_loaded_as_data_changes_the_count(db):
    from tests.catalog.conftest import csv_bytes

    before = service.add_working_days(db, date(2026, 12, 30), 1)
    assert before == date(2026, 12, 31)
    service.import_table(db, "calendar-days", csv_bytes(
        ["day", "kind", "name_kk", "name_ru", "name_en", "act", "valid_from"],
        [["2026-12-31", "day_off", "Демалыс күні", "Выходной день", "Day off", "order-2024-109-labour", "2026-01-01"]]), "days.csv")
    # 31 Dec now off; 1 Jan (Fri) and 2 Jan (Sat, moved to Mon 4 Jan) are New Year; 3 Jan Sunday
    assert service.add_working_days(db, date(2026, 12, 30), 1) == date(2027, 1, 5)


def test_year_exceptions_name_the_reason(db):
    days = {d.day: d for d in service.year_exceptions(db, 2024)}
    assert days[date(2024, 5, 4)].reason == "decree_working_day"
    assert days[date(2024, 5, 8)].label("ru") == "День отдыха, перенесённый с субботы 4 мая 2024 года"
    assert days[date(2024, 3, 25)].reason == "holiday"
    assert "Nowruz" in days[date(2024, 3, 25)].label("en")


def test_span_limit(db):
    with pytest.raises(Problem):
        service.add_working_days(db, date(2024, 1, 1), 100000)


def test_api_add_working_days_is_public(client):
    r = client.get("/api/v1/calendar/add-working-days", params={"start": "2024-03-20", "days": 1})
    assert r.status_code == 200
    assert r.json() == {"date": "2024-03-26"}


@pytest.mark.parametrize("params,name", [({"start": "2024-13-01", "days": 1}, "start"), ({"start": "2024-03-01"}, "days"),
                                         ({"start": "2024-03-01", "days": "x"}, "days"), ({"start": "2024-03-01", "days": 99999}, "days")])
def test_api_add_working_days_bad_input(client, params, name):
    r = client.get("/api/v1/calendar/add-working-days", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["parameter"] == name


def test_api_day_and_year(client):
    r = client.get("/api/v1/calendar/days/2024-05-04?lang=ru")
    assert r.json() == {"date": "2024-05-04", "working": True, "reason": "decree_working_day", "name": "Рабочий день (день отдыха перенесён на 8 мая 2024 года)"}
    days = client.get("/api/v1/calendar/years/2025?lang=en").json()
    assert {"date": "2025-06-06", "working": False, "reason": "holiday", "name": "Eid al-Adha"} in days
    assert client.get("/api/v1/calendar/years/1800").status_code == 422
    r = client.get("/api/v1/calendar/add-calendar-days", params={"start": "2024-03-20", "days": 1})
    assert r.json() == {"date": "2024-03-26"}
