"""The state revenue bodies' answer (types and mass of imported EPR products) as a CSV import,
until the customs feed of the `epr` domain is wired in.

Format: UTF-8, comma-separated, header `product_group,item,mass_t,units`; `mass_t` tonnes with
at most 3 decimals or empty (the answer gives no mass: point 6.5), `units` a whole number or
empty. At most 1,000 rows."""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from qaldyq.core.errors import FieldError, Problem, invalid
from qaldyq.core.i18n import N_
from qaldyq.ownsystem.schemas import SrbItem

COLUMNS = ("product_group", "item", "mass_t", "units")
MAX_ROWS = 1000


def parse(data: bytes) -> list[SrbItem]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("/file", N_("The file must be UTF-8 text."), code="encoding") from None
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise invalid("/file", N_("The header must be: {columns}."), code="header", columns=",".join(COLUMNS))
    items, errors = [], []
    for n, row in enumerate(reader, start=2):
        if n > MAX_ROWS + 1:
            raise invalid("/file", N_("At most {n} rows."), code="too-long", n=MAX_ROWS)
        try:
            items.append(SrbItem(product_group=row["product_group"] or "", item=row["item"] or "",
                                 mass_t=row["mass_t"] or None, units=row["units"] or None))
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else "row"
                errors.append(FieldError(N_("Row {row}: invalid {field}."), pointer=f"/file/{n}/{field}", params={"row": n, "field": field},
                                         code="invalid"))
    if errors:
        raise Problem(422, "invalid", "The request is not valid.", errors[0].msgid, errors, **errors[0].params)
    if not items:
        raise invalid("/file", N_("The file has no rows."), code="empty")
    return items
