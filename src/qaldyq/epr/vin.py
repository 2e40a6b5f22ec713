"""VIN check (ISO 3779: 17 characters, no I, O or Q; the check digit in position 9 as computed by
the North American scheme that the standard's annex describes)."""

from __future__ import annotations

from qaldyq.core.i18n import N_

_VALUES = {**{str(d): d for d in range(10)},
           **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
           **dict(zip("STUVWXYZ", range(2, 10)))}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(vin: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS))
    r = total % 11
    return "X" if r == 10 else str(r)


def vin_problem(vin: str) -> str | None:
    """None when the VIN is well formed, else the reason (an English message id)."""
    if len(vin) != 17:
        return N_("A VIN has 17 characters.")
    if any(c not in _VALUES for c in vin):
        return N_("A VIN has only digits and the Latin letters other than I, O and Q.")
    if vin[8] != check_digit(vin):
        return N_("The check digit of the VIN (9th character) is wrong.")
    return None


def with_check_digit(vin17: str) -> str:
    """The VIN with its 9th character replaced by the right check digit (demo and tests)."""
    return vin17[:8] + check_digit(vin17) + vin17[9:]
