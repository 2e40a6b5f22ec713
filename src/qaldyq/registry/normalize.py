"""Canonical forms of what people type: vehicle plates, waste codes, phone numbers, search text.
Each function returns the canonical value or None when the input cannot be one."""

from __future__ import annotations

import re

# Cyrillic letters that look like the Latin ones on plates (people type either).
_LOOKALIKE = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
# Plates of the RK: since 2012 "123 ABC 01" (individuals) and "123 AB 01" (legal entities), the
# last two digits being the region code 01-20; the older "A 123 BCD" (region letter first).
PLATE_FORMATS = (
    re.compile(r"^[0-9]{3}[A-Z]{2,3}(0[1-9]|1[0-9]|20)$"),
    re.compile(r"^[A-Z][0-9]{3}[A-Z]{2,3}$"),
)


def plate(value: str) -> str | None:
    """'123 ab 01', '123-АВ-01' -> '123AB01'."""
    canon = re.sub(r"[\s\-]", "", value.upper().translate(_LOOKALIKE))
    return canon if any(p.match(canon) for p in PLATE_FORMATS) else None


def plate_display(canon: str) -> str:
    """'123AB01' -> '123 AB 01' (as painted on the plate)."""
    m = re.match(r"^([0-9]{3})([A-Z]{2,3})([0-9]{2})$", canon)
    if m:
        return " ".join(m.groups())
    m = re.match(r"^([A-Z])([0-9]{3})([A-Z]{2,3})$", canon)
    return " ".join(m.groups()) if m else canon


_WASTE_CODE = re.compile(r"^([0-9]{2})([0-9]{2})?([0-9]{2})?(\*)?$")


def waste_code(value: str) -> str | None:
    """A waste code or a chapter prefix of the classifier (the European list's layout):
    '170101', '17 01 01', '16 06 01*', '17', '17 01'. Returns the spaced form. An asterisk (a
    hazardous entry) belongs only to a full six-digit code."""
    m = _WASTE_CODE.match(re.sub(r"\s", "", value))
    if not m:
        return None
    chapter, sub, entry, star = m.groups()
    if star and not entry:
        return None
    if entry and not sub:
        return None
    return " ".join(p for p in (chapter, sub, entry) if p) + (star or "")


def phone(value: str) -> str | None:
    """Kazakhstan numbers to +7XXXXXXXXXX; other international numbers kept as +digits."""
    digits = re.sub(r"[\s\-()]", "", value)
    if not re.fullmatch(r"\+?[0-9]{10,15}", digits):
        return None
    bare = digits.lstrip("+")
    if len(bare) == 11 and bare[0] in "78" and not digits.startswith("+8"):
        return "+7" + bare[1:]
    if len(bare) == 10 and not digits.startswith("+"):
        return "+7" + bare
    return "+" + bare


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def search_text(*parts: str | None) -> str:
    """Lower-case text for substring search on both databases (SQLite's lower() knows only ASCII,
    so the key is computed here): case-folded, quotes removed, ё as е."""
    text = " ".join(p for p in parts if p)
    text = re.sub(r"[«»\"'“”„]", "", text).casefold().replace("ё", "е")
    return re.sub(r"\s+", " ", text).strip()


def search_terms(query: str | None) -> list[str]:
    """The words of a search box; every one must occur."""
    return search_text(query).split() if query else []
