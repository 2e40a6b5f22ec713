"""Cadastre flows computed from the ledger with one grouped SQL statement per question:
generation, collection, processing, disposal, export in a year and the stock held at its end, by
region, waste code, hazard and type of generating site.

Line roles (docs/ledger.md): generation = `generated` entries at sites; collection = `accepted`
entries (mass received by the receiving site); processing = `input` entries (mass consumed by
processing); disposal = `disposed`; export = `exported`; stock = the sum of every entry on site
accounts up to the end of the year (mass in transit at that moment is not on any site and is
shown separately). Reversals carry the line of what they reverse, so they net out here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from qaldyq.catalog import service as catalog
from qaldyq.ledger.models import LedgerAccount as A
from qaldyq.ledger.models import LedgerEntry as E
from qaldyq.registry.models import Site

LOCAL_TZ = ZoneInfo("Asia/Almaty")
FLOWS = ("generated", "collected", "processed", "disposed", "exported")
# flow -> (entry line, sign that makes the flow positive)
FLOW_LINES = {"generated": ("generated", 1), "collected": ("accepted", 1), "processed": ("input", -1),
              "disposed": ("disposed", -1), "exported": ("exported", -1)}
DIMENSIONS = ("region", "waste_code", "hazard", "generator_type", "site")
_COLUMNS = {"region": Site.region_kato, "waste_code": A.waste_code, "generator_type": Site.site_type, "site": Site.id}


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January 00:00 to the next 1 January 00:00, Asia/Almaty (the reporting year)."""
    return datetime(year, 1, 1, tzinfo=LOCAL_TZ), datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)


@dataclass
class FlowRow:
    keys: dict[str, str]
    generated: int = 0
    collected: int = 0
    processed: int = 0
    disposed: int = 0
    exported: int = 0
    stock: int = 0
    organizations: set[int] = field(default_factory=set)
    entries: int = 0  # entries in the year behind the figures (0 means no data)

    def add(self, other: FlowRow) -> None:
        for f in (*FLOWS, "stock", "entries"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.organizations |= other.organizations

    def __getitem__(self, name: str) -> int:  # templates read flows by column name
        return getattr(self, name)

    def as_dict(self) -> dict:
        return {**self.keys, **{f: getattr(self, f) for f in (*FLOWS, "stock")}, "organizations": len(self.organizations)}


def hazard_map(db: Session) -> dict[str, bool]:
    return {row.code: row.hazardous for row in catalog.waste_codes(db) if row.level == "code"}


def hazard_of(hazards: dict[str, bool], code: str) -> str:
    flag = hazards.get(code)
    return "unknown" if flag is None else ("hazardous" if flag else "non_hazardous")


def flows(db: Session, year: int, by: tuple[str, ...] = ("region",), region: str | None = None, site_id: int | None = None,
          organization_id: int | None = None) -> list[FlowRow]:
    """Flows of `year` grouped by the dimensions in `by` (any of DIMENSIONS), optionally limited
    to a region, a site or an organization. Rows with nothing in the year and no stock are left out."""
    start, end = year_bounds(year)
    sql_dims = [d for d in by if d in _COLUMNS]
    if "hazard" in by and "waste_code" not in sql_dims:
        sql_dims.append("waste_code")
    cols = [_COLUMNS[d].label(d) for d in sql_dims]
    in_year = E.effective_at >= start
    sums = [func.coalesce(func.sum(case((and_(in_year, E.line == line), E.amount_kg * sign), else_=0)), 0).label(name)
            for name, (line, sign) in FLOW_LINES.items()]
    q = (select(*cols, *sums, func.coalesce(func.sum(E.amount_kg), 0).label("stock"),
                func.sum(case((in_year, 1), else_=0)).label("entries"), Site.organization_id)
         .select_from(E).join(A, A.id == E.account_id).join(Site, Site.id == A.site_id)
         .where(A.kind == "site", E.effective_at < end)
         .group_by(*[_COLUMNS[d] for d in sql_dims], Site.organization_id))
    if region:
        q = q.where(Site.region_kato == region)
    if site_id is not None:
        q = q.where(Site.id == site_id)
    if organization_id is not None:
        q = q.where(Site.organization_id == organization_id)
    hazards = hazard_map(db) if "hazard" in by else {}
    out: dict[tuple, FlowRow] = {}
    for r in db.execute(q).mappings():
        keys = {d: r[d] for d in sql_dims}
        if "hazard" in by:
            keys["hazard"] = hazard_of(hazards, keys["waste_code"])
        keys = {d: keys[d] for d in by}
        row = FlowRow(keys, **{f: int(r[f]) for f in (*FLOWS, "stock", "entries")}, organizations={r["organization_id"]})
        key = tuple(keys[d] for d in by)
        if key in out:
            out[key].add(row)
        else:
            out[key] = row
    rows = [r for r in out.values() if r.entries or r.stock]
    return sorted(rows, key=lambda r: tuple(str(r.keys[d]) for d in by))


def totals(rows: list[FlowRow]) -> FlowRow:
    total = FlowRow({})
    for r in rows:
        total.add(r)
    return total


def in_transit_kg(db: Session, year: int, region: str | None = None) -> int:
    """Mass picked up but not yet accepted at the end of the year (on transit accounts)."""
    _, end = year_bounds(year)
    q = select(func.coalesce(func.sum(E.amount_kg), 0)).join(A, A.id == E.account_id).where(A.kind == "transit", E.effective_at < end)
    if region:
        from qaldyq.ledger.models import LedgerTransaction as T

        q = q.join(T, T.id == A.pending_id).join(Site, Site.id == T.site_id).where(Site.region_kato == region)
    return int(db.scalar(q) or 0)


def generating_sites(db: Session, year: int) -> dict[int, str]:
    """Sites that recorded generation in the year -> their region."""
    start, end = year_bounds(year)
    q = (select(A.site_id, Site.region_kato).distinct().join(E, E.account_id == A.id).join(Site, Site.id == A.site_id)
         .where(A.kind == "site", E.line == "generated", E.effective_at >= start, E.effective_at < end))
    return {sid: kato for sid, kato in db.execute(q)}

