"""The reference tables as data: for each, its model, the columns of its files, the key whose
versions must not overlap, and the checks a row must pass against the rest of the catalogue.

Import, export, browsing pages and the API are generic over this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog import models as m
from qaldyq.catalog.columns import Column, waste_code_level
from qaldyq.core.i18n import N_

OPERATIONS = ("collection", "transportation", "processing", "single")
PACKAGING_OPERATIONS = ("collection", "transportation", "processing")
VEHICLE_CATEGORIES = ("M1", "N1", "N2", "N3", "truck_tractor", "M2", "M3", "tractor", "combine")
MEASURES = ("electric", "engine_cc", "gross_mass_t", "power_hp")
PRODUCT_GROUPS = ("vehicles", "goods", "packaging", "agricultural_machinery", "cable_products")
STREAMS = ("packaging", "tyres", "oils", "batteries", "eee", "lamps")

# What a versioned row carries besides its own columns.
VERSION_COLUMNS = (
    Column("act", "act", N_("Legal act (code)"), help=N_("The code of a legal act already in the catalogue.")),
    Column("valid_from", "date", N_("Valid from")),
    Column("valid_to", "date", N_("Valid to (inclusive)"), required=False, help=N_("Empty: until superseded.")),
    Column("source", "text", N_("Source (row of the act)"), required=False, max_length=300),
)


@dataclass
class Context:
    """What the referential checks look up, loaded once per import."""

    acts: dict[str, int]  # code -> id
    categories: dict[str, str]  # slug -> kind
    product_groups: set[str]
    epr_products: set[str]
    waste_codes: set[str]

    @classmethod
    def load(cls, db: Session) -> Context:
        return cls(
            acts={c: i for c, i in db.execute(select(m.LegalAct.code, m.LegalAct.id))},
            categories={s: k for s, k in db.execute(select(m.EprCategory.slug, m.EprCategory.kind))},
            product_groups=set(db.scalars(select(m.ProductGroup.code))),
            epr_products=set(db.scalars(select(m.EprProduct.code))),
            waste_codes=set(db.scalars(select(m.WasteCode.code))),
        )


Problem = tuple[str | None, str, dict]  # (column, message id, params)


@dataclass(frozen=True)
class TableSpec:
    slug: str
    model: type
    title: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    versioned: bool = True
    # file values -> model attributes (beyond the identical names)
    to_model: Callable[[dict], dict] = lambda v: dict(v)
    # model row -> file values
    from_model: Callable[[Any], dict] | None = None
    # referential and cross-field checks of one row
    check_row: Callable[[dict, Context], list[Problem]] = lambda v, ctx: []
    # invariants over the table after an import: (new rows, all rows in force) -> problems per new row
    check_table: Callable[[list, list], list[tuple[int, Problem]]] | None = None
    order_by: tuple[str, ...] = ()
    name_column: str | None = None  # the column shown as the row's name (name_ + locale)
    group: str = "epr"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + (VERSION_COLUMNS if self.versioned else ())

    def column(self, name: str) -> Column:
        return next(c for c in self.all_columns if c.name == name)

    def file_values(self, row) -> dict:
        values = self.from_model(row) if self.from_model else {c.name: getattr(row, c.name) for c in self.columns}
        if self.versioned:
            values.update(act=row.act.code, valid_from=row.valid_from, valid_to=row.valid_to, source=row.source)
        return values

    def row_key(self, values: dict) -> tuple:
        return tuple(values.get(k) for k in self.key)


def names(max_length: int | None = 300, required: bool = True) -> tuple[Column, ...]:
    return (
        Column("name_kk", "text", N_("Name (Kazakh)"), required=required, max_length=max_length),
        Column("name_ru", "text", N_("Name (Russian)"), required=required, max_length=max_length),
        Column("name_en", "text", N_("Name (English)"), required=required, max_length=max_length),
    )


def _category(ctx: Context, value: str | None, column: str = "waste_category") -> list[Problem]:
    if value is not None and value not in ctx.categories:
        return [(column, N_("Unknown waste category {category}."), {"category": value})]
    return []


# --- legal acts ---------------------------------------------------------------------------

ACT_KINDS = ("law", "code", "resolution", "order", "decision", "decree")

LEGAL_ACTS = TableSpec(
    slug="legal-acts", model=m.LegalAct, versioned=False, group="general",
    title=N_("Legal acts"),
    description=N_("The acts every reference row cites: issuer, number and date."),
    key=("code",),
    columns=(
        Column("code", "slug", N_("Code"), max_length=60),
        Column("kind", "choice", N_("Kind"), choices=ACT_KINDS),
        Column("issuer_kk", "text", N_("Issuer (Kazakh)"), max_length=300),
        Column("issuer_ru", "text", N_("Issuer (Russian)"), max_length=300),
        Column("issuer_en", "text", N_("Issuer (English)"), max_length=300),
        Column("number", "text", N_("Number"), max_length=40),
        Column("act_date", "date", N_("Date of the act")),
        Column("title_kk", "text", N_("Title (Kazakh)"), max_length=2000),
        Column("title_ru", "text", N_("Title (Russian)"), max_length=2000),
        Column("title_en", "text", N_("Title (English)"), max_length=2000),
        Column("registration", "text", N_("Registration with the Ministry of Justice"), required=False, max_length=60),
        Column("url", "text", N_("Link"), required=False, max_length=300),
    ),
    order_by=("act_date", "code"),
    name_column="title",
)


# --- waste classifier ------------------------------------------------------------------------

def _waste_to_model(v: dict) -> dict:
    out = dict(v)
    code, hazardous = v["code"]
    out.update(code=code, hazardous=hazardous, level=waste_code_level(code))
    return out


def _waste_from_model(row) -> dict:
    return {
        "code": row.code + ("*" if row.hazardous else ""),
        "name_kk": row.name_kk, "name_ru": row.name_ru, "name_en": row.name_en, "radioactive": row.radioactive,
    }


def _waste_check(v: dict, ctx: Context) -> list[Problem]:
    code, _ = v["code"]
    parent = {8: code[:5], 5: code[:2]}.get(len(code))
    if parent and parent not in ctx.waste_codes:
        return [("code", N_("Its chapter or subchapter {parent} is not in the classifier; add it first (or in the same file, above)."), {"parent": parent})]
    return []


WASTE_CODES = TableSpec(
    slug="waste-codes", model=m.WasteCode, group="classifier",
    title=N_("Waste classifier"),
    description=N_("Chapters, subchapters and codes of the waste classifier; hazardous codes end with *."),
    key=("code",),
    columns=(
        Column("code", "waste_code", N_("Code"), help=N_("Two, four or six digits; a hazardous code ends with *.")),
        *names(max_length=2000),
        Column("radioactive", "bool", N_("Radioactive"), required=False, help=N_("Radioactive waste is refused: it is outside this system by law.")),
    ),
    to_model=_waste_to_model, from_model=_waste_from_model, check_row=_waste_check,
    order_by=("code",), name_column="name",
)


# --- EPR lists ------------------------------------------------------------------------------

EPR_CATEGORIES = TableSpec(
    slug="epr-categories", model=m.EprCategory,
    title=N_("EPR waste categories"),
    description=N_("The waste categories of the operator's payouts and of the utilization payment."),
    key=("slug",),
    columns=(
        Column("slug", "slug", N_("Code")),
        Column("kind", "choice", N_("Kind"), choices=("packaging", "product")),
        Column("stream", "choice", N_("Stream"), choices=STREAMS),
        *names(),
        Column("sort", "int", N_("Order"), required=False, minimum=Decimal(0), maximum=Decimal(9999)),
    ),
    order_by=("sort", "slug"), name_column="name",
)

EPR_PRODUCTS = TableSpec(
    slug="epr-products", model=m.EprProduct,
    title=N_("Products under EPR"),
    description=N_("Products subject to extended producer responsibility, by group and the year each came under it."),
    key=("code",),
    columns=(
        Column("code", "slug", N_("Code")),
        Column("product_group", "choice", N_("Group"), choices=PRODUCT_GROUPS),
        Column("year_under_epr", "int", N_("Under EPR since"), minimum=Decimal(2000), maximum=Decimal(2100)),
        *names(),
    ),
    order_by=("year_under_epr", "product_group", "code"), name_column="name",
)


def _group_check(v: dict, ctx: Context) -> list[Problem]:
    out = _category(ctx, v.get("waste_category"))
    if v.get("epr_product") and v["epr_product"] not in ctx.epr_products:
        out.append(("epr_product", N_("Unknown EPR product {product}."), {"product": v["epr_product"]}))
    return out


PRODUCT_GROUPS_TABLE = TableSpec(
    slug="product-groups", model=m.ProductGroup,
    title=N_("Product groups"),
    description=N_("Product groups in customs-nomenclature wording and the waste category their products become."),
    key=("code",),
    columns=(
        Column("code", "slug", N_("Code")),
        *names(max_length=2000),
        Column("epr_product", "slug", N_("EPR product"), required=False),
        Column("waste_category", "slug", N_("Waste category"), required=False),
    ),
    check_row=_group_check, order_by=("code",), name_column="name",
)


def _hs_check(v: dict, ctx: Context) -> list[Problem]:
    out = _category(ctx, v.get("waste_category"))
    if v["product_group"] not in ctx.product_groups:
        out.append(("product_group", N_("Unknown product group {group}."), {"group": v["product_group"]}))
    return out


HS_PREFIXES = TableSpec(
    slug="hs-prefixes", model=m.HsPrefix,
    title=N_("HS code prefixes"),
    description=N_("Which product group an HS (ТН ВЭД) code belongs to; the longest matching prefix wins."),
    key=("prefix",),
    columns=(
        Column("prefix", "hs", N_("HS code prefix")),
        Column("product_group", "slug", N_("Product group")),
        Column("waste_category", "slug", N_("Waste category"), required=False, help=N_("Empty: the group's category.")),
        Column("note", "text", N_("Note"), required=False, max_length=300),
    ),
    check_row=_hs_check, order_by=("prefix",),
)


def _map_check(v: dict, ctx: Context) -> list[Problem]:
    out = _category(ctx, v["category"], "category")
    code, hazardous = v["waste_code"]
    if code not in ctx.waste_codes:
        out.append(("waste_code", N_("Unknown waste code {waste_code}."), {"waste_code": code}))
    return out


WASTE_CATEGORY_MAP = TableSpec(
    slug="waste-category-map", model=m.WasteCategoryMap, group="classifier",
    title=N_("Waste codes to EPR categories"),
    description=N_("The EPR waste category of a classifier code or of a whole subchapter."),
    key=("waste_code",),
    columns=(
        Column("waste_code", "waste_code", N_("Waste code or subchapter")),
        Column("category", "slug", N_("Waste category")),
    ),
    to_model=lambda v: {**v, "waste_code": v["waste_code"][0]},
    from_model=lambda r: {"waste_code": r.waste_code, "category": r.category},
    check_row=_map_check, order_by=("waste_code",),
)


def _mass_check(v: dict, ctx: Context) -> list[Problem]:
    out = []
    if v["product_group"] not in ctx.product_groups:
        out.append(("product_group", N_("Unknown product group {group}."), {"group": v["product_group"]}))
    if v.get("unit_mass_kg") is None and v.get("packaging_mass_kg") is None:
        out.append(("unit_mass_kg", N_("Give the unit mass, the packaging mass or both."), {}))
    return out


REFERENCE_MASSES = TableSpec(
    slug="reference-masses", model=m.ReferenceMass,
    title=N_("Reference unit and packaging masses"),
    description=N_("Average masses used when the mass of imported products cannot be established from documents (Order No. 690, point 6.5)."),
    key=("product_group", "item"),
    columns=(
        Column("product_group", "slug", N_("Product group")),
        Column("item", "text", N_("Item"), required=False, max_length=120),
        Column("unit", "text", N_("Unit"), required=False, max_length=20),
        Column("unit_mass_kg", "decimal", N_("Unit mass, kg"), required=False, minimum=Decimal("0.0001"), maximum=Decimal(10**9)),
        Column("packaging_mass_kg", "decimal", N_("Packaging mass, kg"), required=False, minimum=Decimal("0.0001"), maximum=Decimal(10**9)),
    ),
    to_model=lambda v: {**v, "item": v.get("item") or "", "unit": v.get("unit") or "piece"},
    check_row=_mass_check, order_by=("product_group", "item"),
)


# --- money ----------------------------------------------------------------------------------

MRP = TableSpec(
    slug="mrp", model=m.Mrp, group="money",
    title=N_("Monthly calculation index (MRP)"),
    description=N_("The MRP in tenge, set each year by the law on the republican budget."),
    key=(),
    columns=(Column("value_kzt", "decimal", N_("Value, tenge"), places=2, minimum=Decimal(1), maximum=Decimal(10**6)),),
    order_by=("valid_from",),
)


def _payout_check(v: dict, ctx: Context) -> list[Problem]:
    out = _category(ctx, v["category"], "category")
    kind = ctx.categories.get(v["category"])
    if kind == "packaging" and v["operation"] == "single":
        out.append(("operation", N_("Packaging is paid per operation: collection, transportation or processing."), {}))
    if kind == "product" and v["operation"] != "single":
        out.append(("operation", N_("This category has one single rate (operation single)."), {}))
    return out


PAYOUT_RATES = TableSpec(
    slug="payout-rates", model=m.PayoutRate, group="money",
    title=N_("Operator payout rates"),
    description=N_("The EPR operator's payouts to waste businesses, in MRP per tonne."),
    key=("category", "operation"),
    columns=(
        Column("category", "slug", N_("Waste category")),
        Column("operation", "choice", N_("Operation"), choices=OPERATIONS),
        Column("rate_mrp", "decimal", N_("Rate, MRP per tonne"), minimum=Decimal(0), maximum=Decimal(100000)),
    ),
    check_row=_payout_check, order_by=("category", "operation", "valid_from"),
)

FEE_RATES = TableSpec(
    slug="fee-rates", model=m.FeeRate, group="money",
    title=N_("Utilization payment rates"),
    description=N_("The utilization payment for products and packaging per tonne."),
    key=("category",),
    columns=(
        Column("category", "slug", N_("Waste category")),
        Column("rate", "decimal", N_("Rate per tonne"), minimum=Decimal(0), maximum=Decimal(10**9)),
        Column("unit", "choice", N_("Unit"), choices=("KZT", "MRP")),
    ),
    check_row=lambda v, ctx: _category(ctx, v["category"], "category"), order_by=("category", "valid_from"),
)


def _vehicle_check(v: dict, ctx: Context) -> list[Problem]:
    out: list[Problem] = []
    cats = v["categories"].split()
    bad = [c for c in cats if c not in VEHICLE_CATEGORIES]
    if not cats or bad:
        out.append(("categories", N_("Categories must be chosen from: {allowed}."), {"allowed": ", ".join(VEHICLE_CATEGORIES)}))
    if v["measure"] == "electric":
        if v.get("lower") is not None or v.get("upper") is not None:
            out.append(("lower", N_("The electric row has no band limits."), {}))
    elif v.get("lower") is not None and v.get("upper") is not None and v["lower"] >= v["upper"]:
        out.append(("upper", N_("The upper limit must be greater than the lower limit."), {}))
    return out


def _interval_overlap(a, b) -> bool:
    lo_a, hi_a = a.lower if a.lower is not None else Decimal("-Infinity"), a.upper if a.upper is not None else Decimal("Infinity")
    lo_b, hi_b = b.lower if b.lower is not None else Decimal("-Infinity"), b.upper if b.upper is not None else Decimal("Infinity")
    return lo_a < hi_b and lo_b < hi_a


def _periods_overlap(a, b) -> bool:
    end_a, end_b = a.valid_to, b.valid_to
    return (end_b is None or a.valid_from <= end_b) and (end_a is None or b.valid_from <= end_a)


def _vehicle_table(new_rows: list, all_rows: list) -> list[tuple[int, Problem]]:
    """No two bands of one category may cover the same value on the same day, and a category
    is banded by one measure only (besides its electric row)."""
    out = []
    for i, new in enumerate(new_rows):
        for other in all_rows:
            if other is new or other.code == new.code or not _periods_overlap(new, other):
                continue
            shared = set(new.categories.split()) & set(other.categories.split())
            if not shared:
                continue
            cat = sorted(shared)[0]
            if new.measure == "electric" and other.measure == "electric":
                out.append((i, ("measure", N_("Category {category} already has an electric row ({row_code})."), {"category": cat, "row_code": other.code})))
            elif "electric" in (new.measure, other.measure):
                continue
            elif new.measure != other.measure:
                out.append((i, ("measure", N_("Category {category} is banded by {measure} in row {row_code}; one measure per category."), {"category": cat, "measure": other.measure, "row_code": other.code})))
            elif _interval_overlap(new, other):
                out.append((i, ("lower", N_("The band overlaps row {row_code} for category {category}."), {"row_code": other.code, "category": cat})))
    return out


VEHICLE_RATES = TableSpec(
    slug="vehicle-rates", model=m.VehicleRate, group="money",
    title=N_("Vehicle and agricultural machinery rates"),
    description=N_("Base rate in MRP × coefficient by category and band of engine volume, gross mass or power."),
    key=("code",),
    columns=(
        Column("code", "text", N_("Row code"), max_length=20),
        Column("categories", "text", N_("Categories"), max_length=120, help=N_("Space-separated: M1, N1, N2, N3, truck_tractor, M2, M3, tractor, combine.")),
        Column("measure", "choice", N_("Measure"), choices=MEASURES),
        Column("lower", "decimal", N_("Above (exclusive)"), required=False, places=3, minimum=Decimal(0)),
        Column("upper", "decimal", N_("Up to (inclusive)"), required=False, places=3, minimum=Decimal(0)),
        Column("base_mrp", "decimal", N_("Base rate, MRP"), places=2, minimum=Decimal(0), maximum=Decimal(100000)),
        Column("coefficient", "decimal", N_("Coefficient"), places=3, minimum=Decimal(0), maximum=Decimal(1000)),
        Column("label_kk", "text", N_("Band as printed (Kazakh)"), max_length=200),
        Column("label_ru", "text", N_("Band as printed (Russian)"), max_length=200),
        Column("label_en", "text", N_("Band as printed (English)"), max_length=200),
    ),
    to_model=lambda v: {**v, "categories": " ".join(v["categories"].split())},
    check_row=_vehicle_check, check_table=_vehicle_table, order_by=("code", "valid_from"), name_column="label",
)


# --- calendar -------------------------------------------------------------------------------

CALENDAR_DAYS = TableSpec(
    slug="calendar-days", model=m.CalendarDay, group="general",
    title=N_("Days moved by decree"),
    description=N_("Transfers of days off: weekdays made days off and weekend days made working days."),
    key=("day",),
    columns=(
        Column("day", "date", N_("Day")),
        Column("kind", "choice", N_("Kind"), choices=("day_off", "working_day")),
        *names(),
    ),
    check_row=lambda v, ctx: (
        [("kind", N_("{day} is already a working weekday; a working_day row is for a Saturday or Sunday."), {"day": v["day"].isoformat()})]
        if v["kind"] == "working_day" and v["day"].weekday() < 5 else []
    ),
    order_by=("day",), name_column="name",
)


TABLES: dict[str, TableSpec] = {
    t.slug: t for t in (
        LEGAL_ACTS, WASTE_CODES, WASTE_CATEGORY_MAP, EPR_CATEGORIES, EPR_PRODUCTS, PRODUCT_GROUPS_TABLE,
        HS_PREFIXES, REFERENCE_MASSES, MRP, PAYOUT_RATES, FEE_RATES, VEHICLE_RATES, CALENDAR_DAYS,
    )
}
# The order a whole catalogue must be loaded in (references point backwards).
LOAD_ORDER = (
    "legal-acts", "waste-codes", "epr-categories", "waste-category-map", "epr-products", "product-groups",
    "hs-prefixes", "reference-masses", "mrp", "payout-rates", "fee-rates", "vehicle-rates", "calendar-days",
)

GROUPS = {
    "classifier": N_("Waste classifier"),
    "epr": N_("EPR lists"),
    "money": N_("MRP and rates"),
    "general": N_("Legal acts and the calendar"),
}

CHOICE_LABELS = {
    "collection": N_("collection"), "transportation": N_("transportation"), "processing": N_("processing"), "single": N_("single rate"),
    "packaging": N_("packaging"), "product": N_("product"),
    "vehicles": N_("Motor vehicles"), "goods": N_("Products (goods)"), "agricultural_machinery": N_("Agricultural machinery"),
    "cable_products": N_("Cable and wire products"),
    "tyres": N_("tyres"), "oils": N_("oils"), "batteries": N_("batteries"), "eee": N_("electrical and electronic equipment"), "lamps": N_("lamps"),
    "electric": N_("electric"), "engine_cc": N_("engine volume, cm³"), "gross_mass_t": N_("gross mass, t"), "power_hp": N_("engine power, hp"),
    "day_off": N_("day off"), "working_day": N_("working day"),
    "law": N_("law"), "code": N_("code"), "resolution": N_("resolution"), "order": N_("order"), "decision": N_("decision"), "decree": N_("decree"),
}


def spec(slug: str) -> TableSpec:
    from qaldyq.core.errors import not_found

    try:
        return TABLES[slug]
    except KeyError:
        raise not_found("There is no reference table {table}.", table=slug) from None
