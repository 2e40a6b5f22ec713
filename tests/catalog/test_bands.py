"""How the band boundaries of Table 12 are read (docs/catalog.md, "Band boundaries").

Every band holds the values above the previous band's upper limit up to its own upper limit
(inclusive). The printed lower limits ("от 1 001 см3", "от 5,01 т", "от 61 л.с.") are read that
way, which closes the gaps 3,000–3,001 cm³, 5–5.01 t and 60–61 hp without overlaps. A value no
band covers is a problem naming the attribute, never a guess.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from qaldyq.catalog import service
from qaldyq.core.errors import Problem
from tests.catalog.conftest import D2025

CASES = [
    ("M1", "engine_cc", 1, "M1-1"), ("M1", "engine_cc", 1000, "M1-1"), ("M1", "engine_cc", 1001, "M1-2"),
    ("M1", "engine_cc", 2000, "M1-2"), ("M1", "engine_cc", 3000, "M1-3"), ("M1", "engine_cc", 3001, "M1-4"),
    ("M2", "engine_cc", 2500, "M23-1"), ("M3", "engine_cc", 10000, "M23-3"), ("M3", "engine_cc", 10001, "M23-4"),
    ("N1", "gross_mass_t", "2.5", "N-1"), ("N1", "gross_mass_t", "2.501", "N-2"), ("N2", "gross_mass_t", "5", "N-3"),
    ("N2", "gross_mass_t", "5.001", "N-4"), ("N2", "gross_mass_t", "5.009", "N-4"), ("N3", "gross_mass_t", "12", "N-5"),
    ("N3", "gross_mass_t", "12.001", "N-6"), ("N3", "gross_mass_t", "50", "N-7"),
    # truck tractors: the general bands up to 12 t (their exclusion is printed only above 12 t), then their own row
    ("truck_tractor", "gross_mass_t", "10", "N-5"), ("truck_tractor", "gross_mass_t", "12", "N-5"),
    ("truck_tractor", "gross_mass_t", "12.001", "TT-1"), ("truck_tractor", "gross_mass_t", "50", "TT-1"),
    ("tractor", "power_hp", "60", "TR-1"), ("tractor", "power_hp", "60.5", "TR-2"), ("tractor", "power_hp", "380", "TR-5"),
    ("tractor", "power_hp", "380.001", "TR-6"), ("combine", "power_hp", "160.5", "CB-2"), ("combine", "power_hp", "400", "CB-5"),
    ("combine", "power_hp", "401", "CB-6"),
]


@pytest.mark.parametrize("category,attr,value,row", CASES)
def test_boundaries(db, category, attr, value, row):
    q = service.quote_vehicle(db, category=category, on_date=D2025, **{attr: value})
    assert q.rows[0][1].code == row
    assert q.inputs[attr] in (value, str(value))


@pytest.mark.parametrize("category,value", [("N3", "50.001"), ("N1", "120"), ("truck_tractor", "50.5")])
def test_mass_no_band_covers_is_an_error(db, category, value):
    with pytest.raises(Problem) as exc:
        service.quote_vehicle(db, category=category, on_date=D2025, gross_mass_t=value)
    assert exc.value.status == 422
    assert exc.value.errors[0].pointer == "/gross_mass_t"
    assert "No band of Table 12 covers" in exc.value.errors[0].msgid


def test_hybrid_is_not_electric_and_pays_by_engine(db):
    hybrid = service.quote_vehicle(db, category="M1", on_date=D2025, engine_cc=1800, electric=False)
    electric = service.quote_vehicle(db, category="M1", on_date=D2025, electric=True)
    assert hybrid.amount_kzt == Decimal("688100.00")
    assert electric.amount_kzt == Decimal("0.00")
    assert "hybrids are not electric" in electric.explanation[0]


def test_electric_tractor_has_no_row(db):
    with pytest.raises(Problem) as exc:
        service.quote_vehicle(db, category="tractor", on_date=D2025, electric=True)
    assert exc.value.errors[0].pointer == "/electric"


@pytest.mark.parametrize("category,attrs,pointer", [
    ("M1", {}, "/engine_cc"),
    ("N1", {}, "/gross_mass_t"),
    ("combine", {}, "/power_hp"),
    ("M1", {"engine_cc": 1500, "gross_mass_t": "2"}, "/gross_mass_t"),
    ("N2", {"gross_mass_t": "6", "engine_cc": 4000}, "/engine_cc"),
    ("tractor", {"power_hp": "90", "engine_cc": 4000}, "/engine_cc"),
    ("M1", {"engine_cc": 0}, "/engine_cc"),
    ("M1", {"engine_cc": "1.5"}, "/engine_cc"),
    ("N1", {"gross_mass_t": "-1"}, "/gross_mass_t"),
    ("N1", {"gross_mass_t": "2.0001"}, "/gross_mass_t"),
    ("tractor", {"power_hp": "abc"}, "/power_hp"),
    ("bus", {"engine_cc": 4000}, "/category"),
])
def test_attributes_missing_or_for_another_category(db, category, attrs, pointer):
    with pytest.raises(Problem) as exc:
        service.quote_vehicle(db, category=category, on_date=D2025, **attrs)
    assert exc.value.status == 422
    assert exc.value.errors[0].pointer == pointer


def test_no_vehicle_rate_before_2024(db):
    from datetime import date

    with pytest.raises(Problem) as exc:
        service.quote_vehicle(db, category="M1", on_date=date(2023, 12, 31), engine_cc=1600)
    assert exc.value.errors[0].pointer == "/date"
