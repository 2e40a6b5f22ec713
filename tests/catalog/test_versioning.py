"""A new version supersedes, never overwrites; periods of one key never overlap; a refused file
changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from qaldyq.catalog import models as m
from qaldyq.catalog import service
from qaldyq.core.errors import Problem
from tests.catalog.conftest import count, csv_bytes

PAYOUT = ["category", "operation", "rate_mrp", "act", "valid_from", "valid_to", "source"]


def test_a_new_rate_supersedes_the_open_one(db):
    out = service.add_version(db, "payout-rates", {"category": "lamps", "operation": "single", "rate_mrp": "90", "act": "gov-res-2023-1250",
                                                    "valid_from": "2026-01-01", "source": "amendment"})
    assert (out.created, out.superseded) == (1, 1)
    rows = list(db.scalars(select(m.PayoutRate).where(m.PayoutRate.category == "lamps").order_by(m.PayoutRate.valid_from)))
    old, new = rows
    assert old.rate_mrp == Decimal("80.95") and old.valid_to == date(2025, 12, 31) and old.superseded_by_id == new.id
    assert new.rate_mrp == Decimal("90") and new.valid_to is None
    assert service.quote_payout(db, category="lamps", operation="single", mass_t="1", on_date=date(2025, 12, 31)).amount_kzt == Decimal("318295.40")
    assert service.quote_payout(db, category="lamps", operation="single", mass_t="1", on_date=date(2026, 1, 1)).amount_kzt == Decimal("389250.00")
    audit = db.execute(text("select action from audit_log where entity = 'catalog_payout_rates' order by seq desc limit 2")).scalars().all()
    assert sorted(audit) == ["create", "update"]


def test_same_start_other_values_is_refused(db):
    with pytest.raises(Problem) as exc:
        service.add_version(db, "payout-rates", {"category": "lamps", "operation": "single", "rate_mrp": "81", "act": "gov-res-2023-1250", "valid_from": "2024-01-01"})
    assert exc.value.status == 422
    assert exc.value.errors[0].pointer == "/valid_from"
    assert "already exists with other values" in exc.value.errors[0].msgid


def test_overlapping_a_closed_period_is_refused(db):
    # MRP 2025 is closed (2025-01-01 – 2025-12-31): a row from mid-2025 overlaps it.
    before = count(db, "mrp")
    with pytest.raises(Problem) as exc:
        service.add_version(db, "mrp", {"value_kzt": "4000", "act": "law-2024-141-viii", "valid_from": "2025-07-01", "valid_to": "2025-12-31"})
    assert exc.value.errors[0].pointer == "/valid_from"
    assert exc.value.errors[0].params == {"start": "2025-01-01", "end": "2025-12-31"}
    assert count(db, "mrp") == before
    assert service.mrp(db, 2025) == Decimal("3932.00")


def test_a_row_starting_before_an_open_one_is_refused(db):
    with pytest.raises(Problem) as exc:
        service.add_version(db, "payout-rates", {"category": "oils", "operation": "single", "rate_mrp": "3", "act": "gov-res-2023-1250", "valid_from": "2023-06-01"})
    assert exc.value.errors[0].pointer == "/valid_from"


def test_backfilling_history_before_a_stored_row(db):
    out = service.add_version(db, "mrp", {"value_kzt": "3450", "act": "law-2023-48-viii", "valid_from": "2023-01-01", "valid_to": "2023-12-31"})
    assert out.created == 1 and out.superseded == 0
    assert service.mrp(db, 2023) == Decimal("3450.00")


def test_the_identical_row_changes_nothing_and_an_end_date_closes(db):
    row = {"category": "oils", "operation": "single", "rate_mrp": "2.98", "act": "gov-res-2023-1250", "valid_from": "2024-01-01",
           "source": "Table 11: «Масла»"}
    assert service.add_version(db, "payout-rates", row).unchanged == 1
    closed = service.add_version(db, "payout-rates", {**row, "valid_to": "2026-06-30"})
    assert closed.closed == 1
    with pytest.raises(Problem):
        service.quote_payout(db, category="oils", operation="single", mass_t="1", on_date=date(2026, 7, 1))


def test_end_before_start_is_refused(db):
    with pytest.raises(Problem) as exc:
        service.add_version(db, "mrp", {"value_kzt": "5000", "act": "law-2025-239-viii", "valid_from": "2027-01-01", "valid_to": "2026-12-31"})
    assert exc.value.errors[0].pointer == "/valid_to"


@pytest.mark.parametrize("values,pointer", [
    ({"category": "glass", "operation": "single", "rate_mrp": "1"}, "/category"),
    ({"category": "packaging-glass", "operation": "single", "rate_mrp": "1"}, "/operation"),
    ({"category": "lamps", "operation": "collection", "rate_mrp": "1"}, "/operation"),
    ({"category": "lamps", "operation": "single", "rate_mrp": "-1"}, "/rate_mrp"),
    ({"category": "lamps", "operation": "single", "rate_mrp": "1.123456"}, "/rate_mrp"),
    ({"category": "lamps", "operation": "single", "rate_mrp": "x"}, "/rate_mrp"),
    ({"category": "lamps", "operation": "single", "rate_mrp": "1", "act": "no-such-act"}, "/act"),
    ({"category": "lamps", "operation": "single", "rate_mrp": "1", "valid_from": "31/12/2026"}, "/valid_from"),
])
def test_bad_rows(db, values, pointer):
    row = {"act": "gov-res-2023-1250", "valid_from": "2027-01-01", **values}
    with pytest.raises(Problem) as exc:
        service.add_version(db, "payout-rates", row)
    assert pointer in [e.pointer for e in exc.value.errors]


def test_a_file_with_overlapping_rows_of_one_key_changes_nothing(db):
    before = count(db, "payout-rates")
    content = csv_bytes(PAYOUT, [
        ["batteries", "single", "2.5", "gov-res-2023-1250", "2027-01-01", "2027-12-31", ""],
        ["batteries", "single", "2.6", "gov-res-2023-1250", "2027-06-01", "", ""],
        ["lamps", "single", "85", "gov-res-2023-1250", "2027-01-01", "", ""],
    ])
    with pytest.raises(service.ImportRejected) as exc:
        service.import_table(db, "payout-rates", content, "rates.csv")
    pointers = sorted(e.pointer for e in exc.value.errors)
    assert pointers == ["/rows/2/valid_from", "/rows/3/valid_from"]
    assert count(db, "payout-rates") == before
    assert service.payout_rate(db, "lamps", "single", date(2027, 6, 1)).rate_mrp == Decimal("80.95")


def test_duplicated_rows_in_a_file_are_refused(db):
    content = csv_bytes(["value_kzt", "act", "valid_from", "valid_to", "source"], [
        ["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", ""],
        ["4600", "law-2025-239-viii", "2027-01-01", "2027-12-31", ""],
    ])
    with pytest.raises(service.ImportRejected) as exc:
        service.import_table(db, "mrp", content, "mrp.csv")
    assert {e.pointer for e in exc.value.errors} == {"/rows/2/valid_from", "/rows/3/valid_from"}


def test_a_later_version_in_a_file_with_the_earlier_closed(db):
    content = csv_bytes(PAYOUT, [
        ["batteries", "single", "2.5", "gov-res-2023-1250", "2027-01-01", "2027-12-31", "amendment 1"],
        ["batteries", "single", "2.6", "gov-res-2023-1250", "2028-01-01", "", "amendment 2"],
    ])
    out = service.import_table(db, "payout-rates", content, "rates.csv")
    assert (out.created, out.superseded) == (2, 1)
    assert service.payout_rate(db, "batteries", "single", date(2026, 12, 31)).rate_mrp == Decimal("2.39")
    assert service.payout_rate(db, "batteries", "single", date(2027, 5, 1)).rate_mrp == Decimal("2.5")
    assert service.payout_rate(db, "batteries", "single", date(2030, 1, 1)).rate_mrp == Decimal("2.6")


def test_vehicle_bands_of_one_category_must_not_overlap(db):
    with pytest.raises(Problem) as exc:
        service.add_version(db, "vehicle-rates", {"code": "M1-X", "categories": "M1", "measure": "engine_cc", "lower": "1500", "upper": "2500",
                                                  "base_mrp": "50", "coefficient": "4", "label_kk": "x", "label_ru": "x", "label_en": "x",
                                                  "act": "order-2021-448", "valid_from": "2026-01-01"})
    assert exc.value.errors[0].pointer == "/lower"
    with pytest.raises(Problem) as exc:
        service.add_version(db, "vehicle-rates", {"code": "M1-Y", "categories": "M1", "measure": "power_hp", "upper": "100",
                                                  "base_mrp": "50", "coefficient": "4", "label_kk": "x", "label_ru": "x", "label_en": "x",
                                                  "act": "order-2021-448", "valid_from": "2026-01-01"})
    assert exc.value.errors[0].pointer == "/measure"


def test_legal_acts_are_never_changed(db):
    acts = service.list_rows(db, "legal-acts")[1]
    act = next(a for a in acts if a.code == "order-2021-448")
    row = {c.name: getattr(act, c.name) for c in service.spec("legal-acts").columns}
    assert service.add_version(db, "legal-acts", {**row, "act_date": row["act_date"].isoformat()}).unchanged == 1
    with pytest.raises(Problem) as exc:
        service.add_version(db, "legal-acts", {**row, "act_date": row["act_date"].isoformat(), "title_en": "Something else"})
    assert exc.value.errors[0].pointer == "/code"
    with pytest.raises(Problem) as exc:
        service.add_version(db, "legal-acts", {**row, "code": "another-code", "act_date": row["act_date"].isoformat()})
    assert exc.value.errors[0].pointer == "/number"


def test_waste_code_needs_its_subchapter(db):
    with pytest.raises(Problem) as exc:
        service.add_version(db, "waste-codes", {"code": "19 12 04", "name_kk": "пластмасса", "name_ru": "пластмасса", "name_en": "plastic",
                                                "act": "order-2021-314", "valid_from": "2021-08-06"})
    assert exc.value.errors[0].pointer == "/code"
    content = csv_bytes(["code", "name_kk", "name_ru", "name_en", "act", "valid_from"], [
        ["19 12", "механикалық өңдеу қалдықтары", "отходы механической обработки отходов", "wastes from the mechanical treatment of waste", "order-2021-314", "2021-08-06"],
        ["19 12 04", "пластмасса және резеңке", "пластмассы и резина", "plastic and rubber", "order-2021-314", "2021-08-06"],
    ])
    assert service.import_table(db, "waste-codes", content, "codes.csv").created == 2
    assert service.get_waste_code(db, "191204").names["en"] == "plastic and rubber"
