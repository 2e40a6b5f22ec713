"""BIN/IIN (12 digits) check digit, as the state registers compute it: weights 1..11 over the
first 11 digits modulo 11; a result of 10 is recomputed with weights 3..11,1,2; a second 10 means
no valid check digit exists for those 11 digits."""

from __future__ import annotations

W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    digits = [int(c) for c in first11]
    c = sum(d * w for d, w in zip(digits, W1)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, W2)) % 11
        if c == 10:
            return None
    return c


def is_valid_bin(value: str) -> bool:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return check_digit(value[:11]) == int(value[11])


def complete_bin(first11: str) -> str | None:
    """Append the check digit (for generators of demo and test data)."""
    c = check_digit(first11)
    return None if c is None else first11 + str(c)
