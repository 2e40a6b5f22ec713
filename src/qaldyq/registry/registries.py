"""The registries the Concept 2026-2030 asks for, as filtered views of the organizations, with
their columns for the pages and the XLSX/CSV exports.

- the registry of hazardous waste generators (excluding municipal waste): organizations holding
  the role hazardous_waste_generator;
- the registry of special organizations performing waste management operations: collectors,
  carriers, sorters, recyclers and landfill operators.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from qaldyq.core.auth import Principal
from qaldyq.core.i18n import N_, Translator
from qaldyq.registry import service
from qaldyq.registry.models import Organization
from qaldyq.registry.vocab import HAZARDOUS_GENERATOR_ROLE, WASTE_MANAGEMENT_ROLES, label

ALMATY = ZoneInfo("Asia/Almaty")
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Column:
    title: str  # message id
    value: Callable[[Organization, dict, Translator], Any]
    width: int = 18


def org_name(org: Organization, locale: str) -> str:
    return org.name_kk if locale == "kk" else org.name_ru


def region_name(region, locale: str) -> str:
    return {"kk": region.name_kk, "ru": region.name_ru}.get(locale, region.name_en)


COMMON_HEAD = (
    Column(N_("BIN"), lambda o, c, _: o.bin, 15),
    Column(N_("Name in Kazakh"), lambda o, c, _: o.name_kk, 40),
    Column(N_("Name in Russian"), lambda o, c, _: o.name_ru, 40),
    Column(N_("Legal form"), lambda o, c, _: _(label("legal_form", o.legal_form)), 24),
    Column(N_("Region"), lambda o, c, _: region_name(o.region, _.locale), 26),
)
CONTACTS = (
    Column(N_("Address"), lambda o, c, _: o.address or "", 36),
    Column(N_("Phone"), lambda o, c, _: o.phone or "", 16),
    Column(N_("E-mail"), lambda o, c, _: o.email or "", 24),
    Column(N_("Status"), lambda o, c, _: _(label("org_status", o.status)), 14),
)


@dataclass(frozen=True)
class Registry:
    slug: str
    title: str
    roles: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str


REGISTRIES: dict[str, Registry] = {
    r.slug: r for r in (
        Registry(
            "hazardous-waste-generators", N_("Registry of hazardous waste generators"), (HAZARDOUS_GENERATOR_ROLE,),
            COMMON_HEAD + (Column(N_("Sites"), lambda o, c, _: c["sites"], 8),) + CONTACTS,
            N_("Organizations generating hazardous waste (municipal waste excluded), as the Concept for waste management 2026-2030 requires."),
        ),
        Registry(
            "waste-management-organizations", N_("Registry of waste management organizations"), WASTE_MANAGEMENT_ROLES,
            COMMON_HEAD + (
                Column(N_("Activities"), lambda o, c, _: ", ".join(_(label("role", r)) for r in o.role_names if r in WASTE_MANAGEMENT_ROLES), 34),
                Column(N_("Hazardous waste licence"), lambda o, c, _: o.hazardous_license or "", 18),
                Column(N_("Sites"), lambda o, c, _: c["sites"], 8),
                Column(N_("Vehicles"), lambda o, c, _: c["vehicles"], 9),
                Column(N_("Weighing instruments"), lambda o, c, _: c["instruments"], 10),
            ) + CONTACTS,
            N_("Special organizations performing waste management operations: collection, transport, sorting, recycling and landfilling."),
        ),
    )
}


def filters_for(reg: Registry, f: service.OrgFilters) -> service.OrgFilters:
    """A role filter narrows within the registry's roles; anything else is ignored."""
    roles = [r for r in f.roles if r in reg.roles] or list(reg.roles)
    return service.OrgFilters(q=f.q, roles=roles, region=f.region, legal_form=f.legal_form, status=f.status)


def entries(db: Session, viewer: Principal | None, reg: Registry, f: service.OrgFilters, page: int, per_page: int) -> tuple[service.PageResult, dict]:
    result = service.list_organizations(db, viewer, filters_for(reg, f), page, per_page)
    return result, service.organization_counts(db, [o.id for o in result.items])


def table(db: Session, viewer: Principal | None, reg: Registry, f: service.OrgFilters, locale: str) -> tuple[list[str], list[list[Any]]]:
    _ = Translator(locale)
    result, counts = entries(db, viewer, reg, f, 1, EXPORT_LIMIT)
    headers = ["№"] + [_(c.title) for c in reg.columns]
    rows = [[n] + [c.value(o, counts[o.id], _) for c in reg.columns] for n, o in enumerate(result.items, 1)]
    return headers, rows


_PHONE_LIKE = re.compile(r"^[+\-][0-9 ()\-]*$")


def _inert(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (a name typed as '=HYPERLINK(...)') gets a
    leading apostrophe; phone numbers such as +7 701 ... stay as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PHONE_LIKE.match(value):
        return "'" + value
    return value


def to_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark and semicolons, which Excel opens correctly in kk/ru locales."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[_inert(v) for v in row] for row in rows])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: list[str], rows: list[list[Any]], widths: list[int], locale: str) -> bytes:
    _ = Translator(locale)
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    now = datetime.now(ALMATY).strftime("%Y-%m-%d %H:%M")
    ws.append([_("Generated {at} (Astana time) by Qaldyq. Entries: {count}.", at=now, count=len(rows))])
    ws["A2"].font = Font(italic=True, color="5B6B7B")
    ws.append(headers)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF2F6")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # user text is never a formula
                cell.data_type = "s"
    for i, width in enumerate([6] + widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "C4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(headers))}{3 + len(rows)}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export(db: Session, viewer: Principal | None, reg: Registry, f: service.OrgFilters, locale: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name)."""
    headers, rows = table(db, viewer, reg, f, locale)
    stamp = datetime.now(ALMATY).strftime("%Y%m%d")
    if fmt == "csv":
        return to_csv(headers, rows), "text/csv; charset=utf-8", f"{reg.slug}-{stamp}.csv"
    content = to_xlsx(Translator(locale)(reg.title), headers, rows, [c.width for c in reg.columns], locale)
    return content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{reg.slug}-{stamp}.xlsx"
