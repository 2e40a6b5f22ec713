"""The BIN/IIN check digit, checked against sums worked out by hand."""

from __future__ import annotations

import pytest

from qaldyq.registry.bin import check_digit, complete_bin, is_valid_bin


def test_first_weights():
    # 2·1 + 4·2 + 0·3 + 1·4 + 4·5 + 0 + 0 + 0 + 0 + 0·10 + 1·11 = 45; 45 mod 11 = 1
    assert check_digit("24014000001") == 1
    assert is_valid_bin("240140000011")
    assert not is_valid_bin("240140000012")


def test_second_weights_when_the_first_sum_gives_ten():
    # weights 1..11: 2 + 8 + 4 + 20 + 20 (·10 for the 2) = 54; 54 mod 11 = 10, so recompute with
    # 3,4,5,6,7,8,9,10,11,1,2: 6 + 16 + 6 + 28 + 2 = 58; 58 mod 11 = 3
    assert check_digit("24014000020") == 3
    assert is_valid_bin("240140000203")
    assert not is_valid_bin("240140000200")  # 0 would be the digit if one stopped at "10 -> 0"


def test_no_valid_check_digit_exists():
    # first sum 54 + 9·11 = 153 ≡ 10; second 58 + 9·2 = 76 ≡ 10: no BIN may start with these 11 digits
    assert check_digit("24014000029") is None
    assert complete_bin("24014000029") is None
    assert not any(is_valid_bin("24014000029" + str(d)) for d in range(10))


@pytest.mark.parametrize("value", ["", "24014000001", "2401400000111", "24014000001a", "２４０１４０００００１１", "24014 000011", "-24014000001"])
def test_malformed(value):
    assert not is_valid_bin(value)


def test_complete_bin_round_trip():
    for first in ("00000000000", "99123140567", "15094052793"):
        value = complete_bin(first)
        if value is not None:
            assert is_valid_bin(value) and value.startswith(first)
