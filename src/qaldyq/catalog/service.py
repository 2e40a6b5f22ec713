"""The reference catalogue and rule engine: what other domains import.

Look-ups (`get_waste_code`, `category_for_waste_code`, `mrp`, `payout_rate`,
`product_group_for_hs`, `reference_mass`), calculators (`quote_vehicle`, `quote_product`,
`quote_payout`), the working-day calendar (`add_working_days`, `is_working_day`,
`add_calendar_days`), and the import/export of every table. Every function takes a Session and
never commits. See docs/catalog.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from qaldyq.catalog import models as m
from qaldyq.catalog import spreadsheets, versioning
from qaldyq.catalog.calendar import (  # noqa: F401  (public API of the catalogue)
    add_calendar_days,
    add_working_days,
    day_info,
    is_working_day,
    next_working_day,
    today_almaty,
    working_days_between,
    year_exceptions,
)
from qaldyq.catalog.columns import CellError, normalize_hs, parse_waste_code
from qaldyq.catalog.tables import LOAD_ORDER, TABLES, Context, TableSpec, spec
from qaldyq.core.errors import FieldError, Problem, invalid, not_found
from qaldyq.core.i18n import N_, translate

MAX_ERRORS_SHOWN = 200


def in_force(model, day: date):
    return and_(model.valid_from <= day, or_(model.valid_to.is_(None), model.valid_to >= day))


def localized(obj, field: str, locale: str) -> str:
    return getattr(obj, f"{field}_{locale}", None) or getattr(obj, f"{field}_en")


def act_ref(act: m.LegalAct, locale: str = "en") -> dict[str, Any]:
    return {
        "code": act.code, "kind": act.kind, "issuer": localized(act, "issuer", locale), "number": act.number,
        "date": act.act_date.isoformat(), "title": localized(act, "title", locale), "registration": act.registration, "url": act.url,
    }


def act_label(act: m.LegalAct, locale: str = "en") -> str:
    """"Government of the Republic of Kazakhstan, No. 1250 of 29.12.2023"."""
    return translate(locale, N_("{issuer}, No. {number} of {date}"), issuer=localized(act, "issuer", locale), number=act.number, date=act.act_date.strftime("%d.%m.%Y"))


def act_short(act: m.LegalAct, locale: str = "en") -> str:
    """"Order No. 314 of 06.08.2021": for tables, where the issuer is in the tooltip."""
    from qaldyq.catalog.tables import CHOICE_LABELS

    kind = translate(locale, CHOICE_LABELS.get(act.kind, act.kind))
    return translate(locale, N_("{kind} No. {number} of {date}"), kind=kind[:1].upper() + kind[1:], number=act.number, date=act.act_date.strftime("%d.%m.%Y"))


def row_ref(table: str, row, locale: str = "en") -> dict[str, Any]:
    s = TABLES[table]
    values = s.file_values(row)
    out = {"table": table, "id": row.id, "key": {k: _plain(getattr(row, k)) for k in s.key}, "source": row.source,
           "valid_from": row.valid_from.isoformat(), "valid_to": row.valid_to.isoformat() if row.valid_to else None}
    out["values"] = {c.name: _plain(values.get(c.name)) for c in s.columns}
    out["act"] = act_ref(row.act, locale)
    return out


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- waste classifier -------------------------------------------------------------------------

@dataclass(frozen=True)
class WasteCodeInfo:
    code: str  # "15 01 10"
    display: str  # "15 01 10*"
    level: str  # chapter, subchapter, code
    chapter: str  # "15"
    subchapter: str | None  # "15 01"
    hazardous: bool
    names: dict[str, str]
    act: dict[str, Any]
    valid_from: date
    valid_to: date | None

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]


def _waste_row(db: Session, code: str, day: date) -> m.WasteCode | None:
    return db.scalar(select(m.WasteCode).where(m.WasteCode.code == code, in_force(m.WasteCode, day)))


def get_waste_code(db: Session, code: str, on_date: date | None = None, pointer: str = "/waste_code") -> WasteCodeInfo:
    """The classifier entry in force on `on_date` (today by default). An unknown code, a code not
    in force, or a radioactive one (outside this system by law) is a problem naming `pointer`."""
    day = on_date or today_almaty()
    try:
        canonical, starred = parse_waste_code(code)
    except CellError as exc:
        raise invalid(pointer, exc.msgid, code="invalid-waste-code", **exc.params) from None
    row = _waste_row(db, canonical, day)
    if row is None:
        raise invalid(pointer, N_("Waste code {waste_code} is not in the classifier in force on {date}."), code="unknown-waste-code", waste_code=canonical, date=day.isoformat())
    if row.radioactive:
        raise invalid(pointer, N_("Radioactive waste ({waste_code}) is outside this system: it is governed by the law on the use of atomic energy."), code="radioactive-waste", waste_code=canonical)
    if starred and not row.hazardous:
        raise invalid(pointer, N_("Waste code {waste_code} is not hazardous; write it without *."), code="invalid-waste-code", waste_code=canonical)
    return WasteCodeInfo(
        code=row.code, display=row.code + ("*" if row.hazardous else ""), level=row.level, chapter=row.code[:2],
        subchapter=row.code[:5] if row.level == "code" else None, hazardous=row.hazardous,
        names={"kk": row.name_kk, "ru": row.name_ru, "en": row.name_en}, act=act_ref(row.act), valid_from=row.valid_from, valid_to=row.valid_to,
    )


def waste_codes(db: Session, on_date: date | None = None, q: str | None = None, chapter: str | None = None, limit: int = 5000) -> list[m.WasteCode]:
    """Classifier entries in force (radioactive ones included, flagged), in code order."""
    day = on_date or today_almaty()
    stmt = select(m.WasteCode).where(in_force(m.WasteCode, day)).order_by(m.WasteCode.code)
    if chapter:
        stmt = stmt.where(m.WasteCode.code.startswith(chapter))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(m.WasteCode.code.like(like), func.lower(m.WasteCode.name_en).like(like),
                              func.lower(m.WasteCode.name_ru).like(like), func.lower(m.WasteCode.name_kk).like(like)))
    return list(db.scalars(stmt.limit(limit)))


def category_for_waste_code(db: Session, code: str, on_date: date | None = None) -> str | None:
    """The EPR waste category of a classifier code (the most specific mapping: the code, then its
    subchapter, then its chapter), or None when the code belongs to no single category."""
    day = on_date or today_almaty()
    canonical = get_waste_code(db, code, day).code
    candidates = [canonical, canonical[:5], canonical[:2]]
    rows = db.scalars(select(m.WasteCategoryMap).where(m.WasteCategoryMap.waste_code.in_(candidates), in_force(m.WasteCategoryMap, day)))
    by_code = {r.waste_code: r.category for r in rows}
    return next((by_code[c] for c in candidates if c in by_code), None)


# --- EPR categories, products, HS codes, reference masses --------------------------------------

def category(db: Session, slug: str, on_date: date | None = None, pointer: str = "/category") -> m.EprCategory:
    day = on_date or today_almaty()
    row = db.scalar(select(m.EprCategory).where(m.EprCategory.slug == slug, in_force(m.EprCategory, day)))
    if row is None and db.scalar(select(func.count()).select_from(m.EprCategory).where(m.EprCategory.slug == slug)):
        raise invalid("/date", N_("The waste category {category} is not in force on {date}."), code="no-rate-in-force", category=slug, date=day.isoformat())
    if row is None:
        known = ", ".join(db.scalars(select(m.EprCategory.slug).where(in_force(m.EprCategory, day)).order_by(m.EprCategory.sort)))
        raise invalid(pointer, N_("Unknown waste category {category}; the categories are: {known}."), code="unknown-category", category=slug, known=known)
    return row


def categories(db: Session, on_date: date | None = None) -> list[m.EprCategory]:
    day = on_date or today_almaty()
    return list(db.scalars(select(m.EprCategory).where(in_force(m.EprCategory, day)).order_by(m.EprCategory.sort)))


@dataclass(frozen=True)
class HsMatch:
    hs_code: str
    prefix: str
    product_group: str
    names: dict[str, str]
    waste_category: str | None
    act: dict[str, Any]
    source: str | None


def product_group_for_hs(db: Session, hs_code: str, on_date: date | None = None, pointer: str = "/hs_code") -> HsMatch | None:
    """The product group of an HS (ТН ВЭД) code by its longest prefix on the list in force, with
    the waste category it becomes; None when the code is not a product under EPR."""
    day = on_date or today_almaty()
    try:
        digits = normalize_hs(hs_code)
    except CellError as exc:
        raise invalid(pointer, exc.msgid, code="invalid-hs-code") from None
    prefixes = [digits[:i] for i in range(len(digits), 1, -1)]
    rows = {r.prefix: r for r in db.scalars(select(m.HsPrefix).where(m.HsPrefix.prefix.in_(prefixes), in_force(m.HsPrefix, day)))}
    best = next((rows[p] for p in prefixes if p in rows), None)
    if best is None:
        return None
    group = db.scalar(select(m.ProductGroup).where(m.ProductGroup.code == best.product_group, in_force(m.ProductGroup, day)))
    if group is None:
        return None
    return HsMatch(digits, best.prefix, group.code, {"kk": group.name_kk, "ru": group.name_ru, "en": group.name_en},
                   best.waste_category or group.waste_category, act_ref(best.act), best.source)


@dataclass(frozen=True)
class ReferenceMassInfo:
    product_group: str
    item: str
    unit: str
    unit_mass_kg: Decimal | None
    packaging_mass_kg: Decimal | None
    act: dict[str, Any]
    source: str | None


def reference_mass(db: Session, product_group: str, item: str = "", on_date: date | None = None, pointer: str = "/product_group") -> ReferenceMassInfo:
    """The average unit and packaging mass of the reference book (Order No. 448) used as the
    fallback of Order No. 690 point 6.5. Where the book gives no figure there is no entry, and
    this is a problem: the mass must then come from documents, never from a guess."""
    day = on_date or today_almaty()
    row = db.scalar(select(m.ReferenceMass).where(m.ReferenceMass.product_group == product_group, m.ReferenceMass.item == (item or ""), in_force(m.ReferenceMass, day)))
    if row is None:
        msg = N_("No reference mass for {group} {item} is in force on {date}; the mass must be established from documents.")
        raise Problem(422, "no-reference-mass", "The request is not valid.", msg,
                      [FieldError(msg, pointer=pointer, params={"group": product_group, "item": item or "", "date": day.isoformat()}, code="no-reference-mass")],
                      group=product_group, item=item or "", date=day.isoformat())
    return ReferenceMassInfo(row.product_group, row.item, row.unit, row.unit_mass_kg, row.packaging_mass_kg, act_ref(row.act), row.source)


# --- MRP and rates --------------------------------------------------------------------------

def mrp_on(db: Session, day: date, pointer: str = "/date") -> m.Mrp:
    row = db.scalar(select(m.Mrp).where(in_force(m.Mrp, day)))
    if row is None:
        raise invalid(pointer, N_("No MRP is set for {date}."), code="no-mrp", date=day.isoformat())
    return row


def mrp(db: Session, year: int) -> Decimal:
    """The MRP of a year in tenge. If it changed during the year, ask `mrp_on` for a date."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = list(db.scalars(select(m.Mrp).where(m.Mrp.valid_from <= end, or_(m.Mrp.valid_to.is_(None), m.Mrp.valid_to >= start))))
    values = {r.value_kzt for r in rows}
    if not rows:
        raise invalid("/year", N_("No MRP is set for {date}."), code="no-mrp", date=str(year))
    if len(values) > 1 or rows[0].valid_from > start:
        raise invalid("/year", N_("The MRP changed during {year}; give the date."), code="mrp-changed", year=year)
    return Decimal(rows[0].value_kzt).quantize(Decimal("0.01"))


def payout_rate(db: Session, category_slug: str, operation: str, on_date: date | None = None) -> m.PayoutRate:
    """The operator's payout rate (MRP per tonne) for a category and operation in force on a date."""
    day = on_date or today_almaty()
    row = db.scalar(select(m.PayoutRate).where(m.PayoutRate.category == category_slug, m.PayoutRate.operation == operation, in_force(m.PayoutRate, day)))
    if row is not None:
        return row
    ever = db.scalar(select(func.count()).select_from(m.PayoutRate).where(m.PayoutRate.category == category_slug, m.PayoutRate.operation == operation))
    if not ever:
        raise invalid("/operation", N_("No payout rate is set for {category} and the operation {operation}."), code="no-rate", category=category_slug, operation=operation)
    raise invalid("/date", N_("No payout rate for {category} ({operation}) is in force on {date}."), code="no-rate-in-force", category=category_slug, operation=operation, date=day.isoformat())


def fee_rate(db: Session, category_slug: str, on_date: date | None = None) -> m.FeeRate:
    day = on_date or today_almaty()
    row = db.scalar(select(m.FeeRate).where(m.FeeRate.category == category_slug, in_force(m.FeeRate, day)))
    if row is None:
        raise invalid("/date", N_("No utilization payment rate for {category} is in force on {date}."), code="no-rate-in-force", category=category_slug, date=day.isoformat())
    return row


def vehicle_rates(db: Session, vehicle_category: str, on_date: date) -> list[m.VehicleRate]:
    rows = db.scalars(select(m.VehicleRate).where(in_force(m.VehicleRate, on_date)).order_by(m.VehicleRate.code))
    return [r for r in rows if vehicle_category in r.categories.split()]


# --- tables: browse, export, import -------------------------------------------------------------

def table_counts(db: Session) -> dict[str, int]:
    return {slug: db.scalar(select(func.count()).select_from(s.model)) or 0 for slug, s in TABLES.items()}


def list_rows(db: Session, slug: str, on_date: date | None = None, q: str | None = None, limit: int = 200, offset: int = 0) -> tuple[int, list]:
    """Rows of a table (every version, or those in force on `on_date`), filtered by text."""
    s = spec(slug)
    stmt = select(s.model)
    if on_date is not None and s.versioned:
        stmt = stmt.where(in_force(s.model, on_date))
    if q:
        like = f"%{q.strip().lower()}%"
        text_cols = [getattr(s.model, c.name) for c in s.columns if c.kind in ("text", "slug", "waste_code", "hs", "choice") and hasattr(s.model, c.name)]
        if text_cols:
            stmt = stmt.where(or_(*[func.lower(col).like(like) for col in text_cols]))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = [getattr(s.model, k) for k in s.order_by] + ([s.model.valid_from] if s.versioned else [])
    rows = list(db.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
    return total, rows


def export_table(db: Session, slug: str, fmt: str, locale: str = "en") -> tuple[bytes, str, str]:
    """(content, media type, file name) of a whole table in the import format."""
    s = spec(slug)
    if fmt not in ("xlsx", "csv"):
        raise invalid("/format", N_("Must be one of: {expected}."), expected="xlsx, csv")
    _, rows = list_rows(db, slug, limit=1_000_000)
    content, media = spreadsheets.export(s, [s.file_values(r) for r in rows], fmt, locale)
    return content, media, f"qaldyq-{slug}-{today_almaty().isoformat()}.{fmt}"


class ImportRejected(Problem):
    """An import file with errors: nothing was changed; the errors name the file rows."""

    def __init__(self, spec_: TableSpec, sheet: spreadsheets.Sheet | None, errors: list[versioning.RowError]):
        shown = [
            FieldError(e.msgid, pointer=f"/rows/{e.line}/{e.column}" if e.line and e.column else (f"/rows/{e.line}" if e.line else "/file"), params=e.params, code="invalid-row")
            for e in errors[:MAX_ERRORS_SHOWN]
        ]
        super().__init__(422, "import-rejected", "The file was not imported.", N_("The file has {count} errors; nothing was changed."), shown, count=len(errors))
        self.spec, self.sheet, self.row_errors = spec_, sheet, errors


@dataclass
class ImportOutcome:
    table: str
    rows: int
    created: int
    superseded: int
    closed: int
    unchanged: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_table(db: Session, slug: str, content: bytes, filename: str | None = None, dry_run: bool = False) -> ImportOutcome:
    """Validate the whole file, then write it (unless `dry_run`); any error refuses it all."""
    s = spec(slug)
    try:
        sheet = spreadsheets.read(content, filename)
    except CellError as exc:
        raise ImportRejected(s, None, [versioning.RowError(None, None, exc.msgid, exc.params)]) from None
    header_errors = spreadsheets.check_header(s, sheet)
    if header_errors:
        raise ImportRejected(s, sheet, header_errors)
    return import_records(db, slug, sheet.records(), dry_run=dry_run, sheet=sheet)


def import_records(db: Session, slug: str, records: list[tuple[int, dict[str, Any]]], dry_run: bool = False, sheet=None) -> ImportOutcome:
    s = spec(slug)
    ctx = Context.load(db)
    candidates, errors = versioning.parse_rows(s, records, ctx)
    plan = versioning.plan(db, s, candidates)
    errors = sorted(errors + plan.errors, key=lambda e: (e.line or 0, e.column or ""))
    if errors:
        raise ImportRejected(s, sheet, errors)
    summary = plan.summary() if dry_run else versioning.apply(db, plan)
    return ImportOutcome(slug, len(records), dry_run=dry_run, **summary)


def add_version(db: Session, slug: str, values: dict[str, Any]) -> ImportOutcome:
    """One new row (a new version of its key). Errors name the field: /valid_from, /rate_mrp…"""
    try:
        return import_records(db, slug, [(1, values)])
    except ImportRejected as exc:
        raise Problem(exc.status, "invalid-version", "The request is not valid.", exc.row_errors[0].msgid,
                      [FieldError(e.msgid, pointer=f"/{e.column}" if e.column else "", params=e.params, code="invalid") for e in exc.row_errors],
                      **exc.row_errors[0].params) from None


def error_file(exc: ImportRejected, locale: str) -> tuple[bytes, str] | None:
    if exc.sheet is None:
        return None
    return spreadsheets.error_file(exc.sheet, exc.row_errors, locale)


BASELINE = "qaldyq.catalog.baseline"


def load_baseline(db: Session) -> dict[str, ImportOutcome]:
    """Load the reference data shipped with the code (CSV files in the import format, in the
    order references need). Used by migration 0002; an error here stops the migration."""
    out = {}
    folder = resources.files(BASELINE)
    for slug in LOAD_ORDER:
        path = folder / f"{slug}.csv"
        if not path.is_file():
            continue
        try:
            out[slug] = import_table(db, slug, path.read_bytes(), path.name)
        except ImportRejected as exc:
            details = "; ".join(f"row {e.line} {e.column}: {translate('en', e.msgid, **e.params)}" for e in exc.row_errors[:20])
            raise RuntimeError(f"baseline {slug}.csv is invalid: {details}") from None
    return out


# Calculators live in their own module; re-exported here as part of the public API.
from qaldyq.catalog.quotes import Quote, quote_payout, quote_product, quote_vehicle  # noqa: E402,F401
