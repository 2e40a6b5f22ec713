"""Deadlines D1–D12 on the catalogue's working-day calendar.

D1 and D2 are fixed days (the 20th and the 30th of the month after the half-year); a fixed day
that is not a working day moves to the next working day, the Civil Code rule that
`add_calendar_days(..., db)` applies to every calendar term. Working-day terms run from the day
after their start (`add_working_days`). Each other term starts on the day of the event (or of
the deadline) named in `workflow.DEADLINES`, the latest occurrence when an event repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from qaldyq.catalog.service import add_calendar_days, add_working_days
from qaldyq.core.errors import invalid_param
from qaldyq.ownsystem.workflow import DEADLINES, Actor, DeadlineRule


def half_bounds(year: int, half: int) -> tuple[date, date]:
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))


def check_period(year: int, half: int) -> None:
    if not 2022 <= year <= 2100:
        raise invalid_param("year", "The year must be between {lo} and {hi}.", lo=2022, hi=2100)
    if half not in (1, 2):
        raise invalid_param("half", "The half-year must be 1 or 2.")


def month_after(year: int, half: int, day: int) -> date:
    """The given day of the month following the half-year (July or the next January)."""
    return date(year, 7, day) if half == 1 else date(year + 1, 1, day)


def fixed_due(db: Session, year: int, half: int, day: int) -> date:
    return add_calendar_days(month_after(year, half, day), 0, db)


def period_deadlines(db: Session, year: int, half: int) -> dict[str, date]:
    check_period(year, half)
    return {"application_due": fixed_due(db, year, half, 20), "authority_request_due": fixed_due(db, year, half, 30),
            "authority_forward_due": fixed_due(db, year, half, 30)}


@dataclass
class Deadline:
    code: str
    label: str
    actor: Actor
    point: str
    start: date | None
    due: date | None
    met_on: date | None

    def state(self, today: date) -> str:
        """met | late (met after the due day) | overdue | open | pending (clock not started)."""
        if self.due is None:
            return "pending"
        if self.met_on is not None:
            return "met" if self.met_on <= self.due else "late"
        return "overdue" if today > self.due else "open"


def _met(rule: DeadlineRule, days: dict[str, list[date]], start: date | None) -> date | None:
    found: list[date] = []
    for need in rule.met_by:
        options = [d for ev in need.split("|") for d in days.get(ev, []) if start is None or d >= start]
        if not options:
            return None
        found.append(min(options))
    return max(found)


def compute(db: Session, year: int, half: int, events: list[tuple[str, date]]) -> list[Deadline]:
    """Every deadline that applies to an application with these (event, day) pairs."""
    days: dict[str, list[date]] = {}
    for ev, d in events:
        days.setdefault(ev, []).append(d)
    out: dict[str, Deadline] = {}
    for rule in DEADLINES:
        if (rule.only_if and rule.only_if not in days) or (rule.unless and rule.unless in days):
            continue
        start: date | None
        if rule.kind == "month_day":
            start, due = None, fixed_due(db, year, half, rule.n)
        else:
            starts = [out[c].due for c in rule.start.split("|") if c in out and out[c].due] if rule.start.startswith("D") \
                else days.get(rule.start, [])
            if not starts:
                if rule.optional:
                    continue  # a branch that was not taken
                out[rule.code] = Deadline(rule.code, rule.label, rule.actor, rule.point, None, None, None)
                continue
            start = max(starts)
            due = add_calendar_days(start, rule.n, db) if rule.kind == "cd" else add_working_days(db, start, rule.n)
        # a term that starts at another deadline is met by an event even before that day
        met = _met(rule, days, None if rule.kind == "month_day" or rule.start.startswith("D") else start)
        out[rule.code] = Deadline(rule.code, rule.label, rule.actor, rule.point, start, due, met)
    return list(out.values())
