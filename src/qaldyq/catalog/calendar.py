"""The working-day calendar of Kazakhstan (five-day week), on which every deadline counts.

A day is a working day unless it is a Saturday or Sunday, or a public holiday (from the pinned
`holidays` package, which also moves a holiday falling on a weekend to the next working day, as
the law does, except Kurban Ait). Days moved by decree are reference data
(`catalog_calendar_days`): a weekday made a day off, a weekend day made a working day; they win
over everything else. The package also knows the day-off transfers of past years; the weekend
days given in exchange are taken from it too, so those years are right without data entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from holidays.countries.kazakhstan import KazakhstanStaticHolidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog.models import CalendarDay
from qaldyq.core.errors import invalid
from qaldyq.core.i18n import N_, translate

MAX_DAYS = 3660  # ten years of days in one computation
HOLIDAY_NAMES = (
    N_("New Year's Day"), N_("Orthodox Christmas"), N_("International Women's Day"), N_("Nowruz Holiday"),
    N_("Kazakhstan's People Solidarity Holiday"), N_("Defender of the Fatherland Day"), N_("Victory Day"),
    N_("Capital Day"), N_("Constitution Day"), N_("Republic Day"), N_("Independence Day"), N_("Eid al-Adha"),
    N_("First President Day"),
)
SUFFIXES = {
    "observed": N_("{name} (moved from the weekend)"),
    "estimated": N_("{name} (date estimated)"),
    "observed, estimated": N_("{name} (moved from the weekend, date estimated)"),
}
SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d\d)/(\d\d)/(\d{4})\)$")
SUFFIXED = re.compile(r"^(.*) \((observed|estimated|observed, estimated)\)$")


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    reason: str  # weekday, weekend, holiday, decree_day_off, decree_working_day, transfer_working_day
    name: tuple[str, dict] | None = None  # (message id, params) of the holiday or the decree
    names: dict[str, str] | None = None  # a decree row's own names by locale

    def label(self, locale: str) -> str:
        if self.names:
            return self.names.get(locale) or self.names.get("en", "")
        if self.name:
            msgid, params = self.name
            return translate(locale, msgid, **{k: translate(locale, v) if k == "name" else v for k, v in params.items()})
        return ""


@lru_cache(maxsize=128)
def _package_year(year: int) -> dict[date, str]:
    if year < 1991:
        return {}
    return dict(holidays.country_holidays("KZ", years=year, language="en_US"))


@lru_cache(maxsize=1)
def _package_working_weekends() -> dict[date, date]:
    """Weekend days worked in exchange for a day off moved by decree, as the package records
    the transfers: working day -> the day off it paid for."""
    out: dict[date, date] = {}
    for year, entries in KazakhstanStaticHolidays.special_public_holidays.items():
        if entries and isinstance(entries[0], int):
            entries = (entries,)
        for entry in entries:
            to_month, to_day, from_month, from_day, *rest = entry
            from_year = rest[0] if rest else year
            out[date(from_year, from_month, from_day)] = date(year, to_month, to_day)
    return out


def _holiday_name(english: str) -> tuple[str, dict]:
    m = SUBSTITUTED.match(english)
    if m:
        month, day, year = m.groups()
        return N_("Day off moved from {date}"), {"date": f"{day}.{month}.{year}"}
    m = SUFFIXED.match(english)
    if m:
        return SUFFIXES[m.group(2)], {"name": m.group(1)}
    return "{name}", {"name": english}


def _overrides(db: Session, start: date, end: date) -> dict[date, CalendarDay]:
    rows = db.scalars(select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end))
    return {r.day: r for r in rows if r.in_force(r.day)}


def _info(day: date, overrides: dict[date, CalendarDay]) -> DayInfo:
    row = overrides.get(day)
    if row is not None:
        names = {"kk": row.name_kk, "ru": row.name_ru, "en": row.name_en}
        if row.kind == "working_day":
            return DayInfo(day, True, "decree_working_day", names=names)
        return DayInfo(day, False, "decree_day_off", names=names)
    if day in _package_working_weekends():
        return DayInfo(day, True, "transfer_working_day", (N_("Working day in exchange for the day off on {date}"), {"date": _package_working_weekends()[day].strftime("%d.%m.%Y")}))
    holiday = _package_year(day.year).get(day)
    if holiday is not None:
        return DayInfo(day, False, "holiday", _holiday_name(holiday))
    if day.weekday() >= 5:
        return DayInfo(day, False, "weekend")
    return DayInfo(day, True, "weekday")


def day_info(db: Session, day: date) -> DayInfo:
    return _info(day, _overrides(db, day, day))


def is_working_day(db: Session, day: date) -> bool:
    return day_info(db, day).working


def _check_span(n: int, parameter: str = "days") -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise invalid_days(parameter, N_("Must be a whole number."))
    if abs(n) > MAX_DAYS:
        raise invalid_days(parameter, N_("Must be at most {le}."), le=MAX_DAYS)


def invalid_days(parameter: str, msgid: str, **params):
    from qaldyq.core.errors import invalid_param

    return invalid_param(parameter, msgid, **params)


def add_working_days(db: Session, start: date, n: int) -> date:
    """The n-th working day after `start` (start itself is not counted, as a term runs from the
    next day); n = 0 gives `start`; a negative n counts back before `start`."""
    _check_span(n)
    if n == 0:
        return start
    step = 1 if n > 0 else -1
    remaining, day = abs(n), start
    window = timedelta(days=abs(n) * 2 + 40)
    lo, hi = (start, start + window) if step > 0 else (start - window, start)
    overrides = _overrides(db, lo, hi)
    while remaining:
        day += timedelta(days=step)
        if not lo <= day <= hi:  # a long run of holidays: widen the window
            lo, hi = (day, day + window) if step > 0 else (day - window, day)
            overrides = _overrides(db, lo, hi)
        if _info(day, overrides).working:
            remaining -= 1
    return day


def next_working_day(db: Session, day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    return day if is_working_day(db, day) else add_working_days(db, day, 1)


def add_calendar_days(start: date, n: int, db: Session | None = None) -> date:
    """`start` + n calendar days. With a database, a term ending on a non-working day ends on
    the next working day (the Civil Code rule for terms)."""
    _check_span(n)
    end = start + timedelta(days=n)
    return next_working_day(db, end) if db is not None else end


def working_days_between(db: Session, start: date, end: date) -> int:
    """How many working days lie after `start` up to and including `end`."""
    if end <= start:
        return 0
    if (end - start).days > MAX_DAYS:
        raise invalid_days("end", N_("Must be at most {le}."), le=MAX_DAYS)
    overrides = _overrides(db, start, end)
    return sum(1 for i in range(1, (end - start).days + 1) if _info(start + timedelta(days=i), overrides).working)


def year_exceptions(db: Session, year: int) -> list[DayInfo]:
    """The days of a year that are not plain weekdays or weekends: holidays (also those on a
    weekend), days off moved by decree, and weekend days that are worked."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    overrides = _overrides(db, start, end)
    out = []
    day = start
    while day <= end:
        info = _info(day, overrides)
        if info.reason not in ("weekday", "weekend"):
            out.append(info)
        day += timedelta(days=1)
    return out


def today_almaty() -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Almaty")).date()
