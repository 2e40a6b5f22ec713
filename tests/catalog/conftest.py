"""Fixtures of the catalogue tests. The migrated template database already holds the baseline
reference data (migration 0002), so every test starts from it."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from qaldyq.catalog import service


@pytest.fixture
def authority(as_role):
    headers, _user, _org = as_role("authority")
    return headers


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("utf-8")


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def count(db, slug: str) -> int:
    return service.table_counts(db)[slug]


D2024 = date(2024, 7, 1)
D2025 = date(2025, 7, 1)
