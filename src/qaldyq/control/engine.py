"""Runs the rules over a period, set-based: one SQL statement per rule (see checks.py), on the
application database or on any connection that speaks the same SQL (DuckDB in the benchmark)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from qaldyq.control.checks import EVIDENCE, render
from qaldyq.control.rules import Rule

LOCAL = ZoneInfo("Asia/Almaty")
Executor = Callable[[str, dict], list]


@dataclass
class RawFinding:
    rule_id: str
    severity: str
    organization_id: int | None
    site_id: int | None
    subject: str
    value: float | None
    limit: float | None
    transactions: list[int] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # more evidence, e.g. the vehicle and day of a telemetry finding


def _split(v) -> list[str]:
    return [x for x in str(v).split(",") if x][:EVIDENCE] if v not in (None, "") else []


def period_params(d1: date, d2: date, dialect: str) -> dict:
    start = datetime.combine(d1, time.min, LOCAL).astimezone(timezone.utc)
    end = datetime.combine(d2 + timedelta(days=1), time.min, LOCAL).astimezone(timezone.utc)
    if dialect == "sqlite":  # stored as naive UTC text by SQLAlchemy
        start, end = (x.strftime("%Y-%m-%d %H:%M:%S.%f") for x in (start, end))
    elif dialect == "duckdb":  # the benchmark keeps naive UTC timestamps
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return {"start": start, "end": end, "days": (d2 - d1).days + 1, "day_from": d1, "day_to": d2, "month_from": d1.year * 100 + d1.month}


def run_rules(execute: Executor, dialect: str, rules, d1: date, d2: date, only: set[str] | None = None) -> list[RawFinding]:
    base = period_params(d1, d2, dialect)
    out: list[RawFinding] = []
    for rule, params in rules:
        if not rule.enabled or (only and rule.id not in only):
            continue
        sql = render(rule.check, dialect)
        values = {**base, **params.model_dump()}
        used = set(re.findall(r"(?<!:):([a-z_]+)", sql))
        for row in execute(sql, {k: v for k, v in values.items() if k in used}):
            org, site, subject, value, lim, txs, docs = row
            out.append(RawFinding(rule.id, rule.severity, org, site, str(subject), None if value is None else float(value),
                                  None if lim is None else float(lim), [int(x) for x in _split(txs)], _split(docs)))
    return out


def sqlalchemy_executor(db) -> Executor:
    from sqlalchemy import text

    return lambda sql, params: db.execute(text(sql), params).all()


def duckdb_executor(con) -> Executor:
    def run(sql: str, params: dict) -> list:
        return con.execute(re.sub(r"(?<!:):([a-z_]+)", r"$\1", sql), params).fetchall()

    return run


def describe(rule: Rule) -> str:
    return rule.description
