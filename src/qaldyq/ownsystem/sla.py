"""The SLA view: for each actor, the deadlines of open applications that fall due this week
(Monday to Sunday, Almaty time) and those already overdue."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.roles import Scope
from qaldyq.ownsystem.models import OwnApplication
from qaldyq.ownsystem.service import app_deadlines
from qaldyq.ownsystem.workflow import TERMINAL, Actor


def board(db: Session, principal: Principal, today: date) -> dict:
    week_start = today - timedelta(days=today.weekday())
    week_end = week_start + timedelta(days=6)
    q = select(OwnApplication).where(OwnApplication.status.not_in([s.value for s in TERMINAL]))
    if principal.scope("ownsystem.read") is Scope.OWN:
        q = q.where(OwnApplication.organization_id == principal.org_id)
    out = {a.value: {"due_this_week": [], "overdue": []} for a in Actor if a != Actor.SYSTEM}
    for app in db.scalars(q.order_by(OwnApplication.id)):
        for d in app_deadlines(db, app):
            state = d.state(today)
            if state not in ("open", "overdue") or d.actor == Actor.SYSTEM:
                continue
            row = {"application_id": app.id, "number": app.number, "org_name": app.org_name, "code": d.code, "label": d.label,
                   "due": d.due, "days_late": (today - d.due).days if state == "overdue" else 0}
            if state == "overdue":
                out[d.actor.value]["overdue"].append(row)
            elif week_start <= d.due <= week_end:
                out[d.actor.value]["due_this_week"].append(row)
    for v in out.values():
        v["due_this_week"].sort(key=lambda r: r["due"])
        v["overdue"].sort(key=lambda r: r["due"])
    return {"today": today, "week_start": week_start, "week_end": week_end, "actors": out}
