"""Plates, waste codes, phones and search keys in their canonical forms; the border check."""

from __future__ import annotations

import pytest

from qaldyq.registry import normalize
from qaldyq.registry.geo import inside_kazakhstan
from qaldyq.registry.regions import CENTRES, PLATE_CODES, REGIONS


@pytest.mark.parametrize("raw,canon", [
    ("123 ab 01", "123AB01"), ("123-АВ-01", "123AB01"), ("777 KZT 02", "777KZT02"), ("001ОКХ20", "001OKX20"), ("A 123 BCD", "A123BCD"),
])
def test_plates(raw, canon):
    assert normalize.plate(raw) == canon


@pytest.mark.parametrize("raw", ["", "12AB01", "123AB21", "123AB00", "123ABCD01", "ABC", "123 AB 1", "123 ЖЖ 01"])
def test_not_plates(raw):
    assert normalize.plate(raw) is None


def test_plate_display():
    assert normalize.plate_display("123AB01") == "123 AB 01"
    assert normalize.plate_display("A123BCD") == "A 123 BCD"


@pytest.mark.parametrize("raw,canon", [
    ("170101", "17 01 01"), ("17 01 01", "17 01 01"), ("16 06 01*", "16 06 01*"), ("160601*", "16 06 01*"), ("17", "17"), ("17 01", "17 01"),
])
def test_waste_codes(raw, canon):
    assert normalize.waste_code(raw) == canon


@pytest.mark.parametrize("raw", ["", "1", "170", "17 01 01 01", "17*", "17 01*", "ab", "17-01-01"])
def test_not_waste_codes(raw):
    assert normalize.waste_code(raw) is None


@pytest.mark.parametrize("raw,canon", [
    ("8 701 123 45 67", "+77011234567"), ("+7 (717) 200-00-00", "+77172000000"), ("7011234567", "+77011234567"), ("+49 30 1234567", "+49301234567"),
])
def test_phones(raw, canon):
    assert normalize.phone(raw) == canon


def test_search_text_folds_kazakh_and_russian():
    assert normalize.search_text("ТОО «ӘКОСервис»", "Ёлка") == "тоо әкосервис елка"
    assert normalize.search_terms("  Қала   ЁЖ ") == ["қала", "еж"]


def test_every_region_centre_is_inside_kazakhstan_and_has_a_plate_code():
    for kato, *_rest, (lat, lon) in REGIONS:
        assert inside_kazakhstan(lat, lon), kato
        assert kato in PLATE_CODES and kato in CENTRES
    assert sorted(PLATE_CODES.values()) == [f"{i:02d}" for i in range(1, 21)]


@pytest.mark.parametrize("lat,lon", [(55.75, 37.62), (41.31, 69.28), (42.87, 74.59), (43.24, 87.0), (0.0, 0.0), (71.43, 51.13), (42.0, 50.5)])
def test_points_outside(lat, lon):
    # Moscow, Tashkent, Bishkek, Urumqi side, zero, swapped Astana, the Caspian Sea
    assert not inside_kazakhstan(lat, lon)


def test_vocabulary_codes_fit_their_columns():
    from qaldyq.registry import models, vocab

    columns = {
        "legal_form": (vocab.LEGAL_FORMS, models.Organization.legal_form), "org_status": (vocab.ORG_STATUSES, models.Organization.status),
        "role": (vocab.ORG_ROLES, models.OrganizationRole.role), "site_type": (vocab.SITE_TYPES, models.Site.site_type),
        "site_status": (vocab.SITE_STATUSES, models.Site.status), "vehicle_type": (vocab.VEHICLE_TYPES, models.Vehicle.vehicle_type),
        "vehicle_status": (vocab.VEHICLE_STATUSES, models.Vehicle.status),
        "instrument_type": (vocab.INSTRUMENT_TYPES, models.WeighingInstrument.instrument_type),
        "instrument_status": (vocab.INSTRUMENT_STATUSES, models.WeighingInstrument.status),
    }
    for name, (codes, column) in columns.items():
        width = column.property.columns[0].type.length
        assert all(len(code) <= width for code in codes), (name, width)
