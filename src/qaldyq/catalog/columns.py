"""Typed columns of the reference tables: how a cell of an import file becomes a value, and how a
value is written back to a file. Errors are message ids (English) with parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from qaldyq.core.i18n import N_

WASTE_CODE = re.compile(r"^(\d{2})(?: ?(\d{2}))?(?: ?(\d{2}))?\s*(\*)?$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TRUE = {"1", "true", "yes", "y", "да", "иә", "x", "✓"}
FALSE = {"0", "false", "no", "n", "нет", "жоқ", ""}


class CellError(ValueError):
    def __init__(self, msgid: str, **params):
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


@dataclass(frozen=True)
class Column:
    name: str  # the header in files and the attribute name in the model
    kind: str  # text, slug, int, decimal, date, bool, choice, waste_code, hs, act
    label: str  # English label (a message id)
    required: bool = True
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    places: int = 4  # decimal places allowed
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    help: str = ""

    def parse(self, raw: Any) -> Any:
        """One cell -> a value (None for an empty optional cell); raises CellError."""
        if isinstance(raw, str):
            raw = raw.strip()
        if raw is None or raw == "":
            if self.kind == "bool":
                return False
            if self.required:
                raise CellError(N_("This field is required."))
            return None
        return getattr(self, f"_parse_{self.kind}")(raw)

    def _parse_text(self, raw):
        text = str(raw)
        if self.max_length and len(text) > self.max_length:
            raise CellError(N_("Must have at most {max_length} characters."), max_length=self.max_length)
        return text

    def _parse_slug(self, raw):
        text = str(raw).strip().lower()
        if not SLUG.match(text) or len(text) > (self.max_length or 40):
            raise CellError(N_("Must be a code of lowercase letters, digits, '-' and '_'."))
        return text

    def _parse_act(self, raw):
        return self._parse_slug(raw)

    def _parse_choice(self, raw):
        text = str(raw).strip()
        if text not in self.choices:
            raise CellError(N_("Must be one of: {expected}."), expected=", ".join(self.choices))
        return text

    def _parse_int(self, raw):
        if isinstance(raw, bool):
            raise CellError(N_("Must be a whole number."))
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        try:
            value = int(str(raw).replace(" ", "").replace("\u00a0", ""))
        except ValueError:
            raise CellError(N_("Must be a whole number.")) from None
        self._bounded(Decimal(value))
        return value

    def _parse_decimal(self, raw):
        if isinstance(raw, bool):
            raise CellError(N_("Must be a number."))
        text = repr(raw) if isinstance(raw, float) else str(raw)
        text = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise CellError(N_("Must be a number.")) from None
        if not value.is_finite():
            raise CellError(N_("Must be a finite number."))
        if -value.as_tuple().exponent > self.places:
            raise CellError(N_("Must have at most {decimal_places} decimal places."), decimal_places=self.places)
        return self._bounded(value)

    def _bounded(self, value: Decimal):
        if self.minimum is not None and value < self.minimum:
            raise CellError(N_("Must be at least {ge}."), ge=str(self.minimum))
        if self.maximum is not None and value > self.maximum:
            raise CellError(N_("Must be at most {le}."), le=str(self.maximum))
        return value

    def _parse_date(self, raw):
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = str(raw).strip()
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise CellError(N_("Must be a date (YYYY-MM-DD)."))

    def _parse_bool(self, raw):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise CellError(N_("Must be true or false."))

    def _parse_waste_code(self, raw):
        return parse_waste_code(str(raw))

    def _parse_hs(self, raw):
        return normalize_hs(raw)

    def render(self, value: Any) -> Any:
        """A value -> a cell (dates as ISO text, decimals as plain text without exponent)."""
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return format_decimal(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return "true" if value else "false"
        return value


def format_decimal(value: Decimal) -> str:
    """Plain notation, trailing zeros dropped ("7.66", "50", "0.21")."""
    text = format(value.normalize(), "f")
    return text


def parse_waste_code(text: str) -> tuple[str, bool]:
    """"15 01 10*", "150110*", "15 01" -> (canonical code with spaces, hazardous)."""
    m = WASTE_CODE.match(text.strip())
    if not m:
        raise CellError(N_("Must be a waste code such as 15 01 01 or 16 06 01* (two, four or six digits)."))
    parts = [p for p in m.groups()[:3] if p]
    hazardous = bool(m.group(4))
    if hazardous and len(parts) < 3:
        raise CellError(N_("Only a six-digit code can be marked hazardous (*)."))
    return " ".join(parts), hazardous


def normalize_hs(raw: Any) -> str:
    """An HS (ТН ВЭД) code or prefix as digits only: "8418 10 200 1" -> "8418102001"."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    digits = re.sub(r"[\s.\u00a0]", "", str(raw))
    if not digits.isdigit() or not 2 <= len(digits) <= 10:
        raise CellError(N_("Must be an HS code of 2 to 10 digits."))
    return digits


def waste_code_level(code: str) -> str:
    return {2: "chapter", 5: "subchapter", 8: "code"}[len(code)]
