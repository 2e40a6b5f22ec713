"""New versions of reference rows: validate everything first, then write, never overwrite.

Rules (per table key, see `tables.TABLES[...].key`):
- The validity periods of one key never overlap.
- A new row whose period starts after an existing open-ended row of the same key supersedes it:
  the old row gets `valid_to` = the day before and `superseded_by_id`. Its values never change.
- A row identical to a stored one (same values and period) changes nothing, so an exported
  table can be imported again.
- A row with the same start and values as a stored open-ended row but with an end date closes
  that row (an act repealed without replacement).
- Anything else that overlaps is refused, naming the row it overlaps.
- Within one file the rows of a key must not overlap each other (give the earlier one its end).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qaldyq.catalog import models as m
from qaldyq.catalog.columns import CellError
from qaldyq.catalog.tables import Context, TableSpec
from qaldyq.core.i18n import N_


@dataclass
class RowError:
    line: int | None  # the row of the file (header = 1); None: the file as a whole
    column: str | None
    msgid: str
    params: dict = field(default_factory=dict)


@dataclass
class Candidate:
    line: int
    values: dict[str, Any]  # parsed file values
    attrs: dict[str, Any]  # model attributes
    instance: Any = None

    @property
    def valid_from(self) -> date:
        return self.attrs["valid_from"]

    @property
    def valid_to(self) -> date | None:
        return self.attrs["valid_to"]


@dataclass
class Plan:
    spec: TableSpec
    creates: list[Candidate] = field(default_factory=list)
    closes: list[tuple[Any, date, Candidate | None]] = field(default_factory=list)  # (stored row, new valid_to, superseding row)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "created": len(self.creates),
            "superseded": sum(1 for _, _, c in self.closes if c is not None),
            "closed": sum(1 for _, _, c in self.closes if c is None),
            "unchanged": self.unchanged,
        }


class _Version:
    """A stored or planned version while a plan is being made."""

    def __init__(self, valid_from: date, valid_to: date | None, stored=None, candidate: Candidate | None = None):
        self.valid_from, self.valid_to, self.stored, self.candidate = valid_from, valid_to, stored, candidate

    def overlaps(self, start: date, end: date | None) -> bool:
        return (self.valid_to is None or start <= self.valid_to) and (end is None or self.valid_from <= end)


def periods_overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def parse_rows(spec: TableSpec, rows: list[tuple[int, dict[str, Any]]], ctx: Context) -> tuple[list[Candidate], list[RowError]]:
    """Cells -> values -> model attributes, with the column and reference checks of each row."""
    candidates, errors = [], []
    for line, raw in rows:
        values, row_errors = {}, []
        for col in spec.all_columns:
            try:
                values[col.name] = col.parse(raw.get(col.name))
            except CellError as exc:
                row_errors.append(RowError(line, col.name, exc.msgid, exc.params))
        if not row_errors:
            if spec.versioned and values["act"] not in ctx.acts:
                row_errors.append(RowError(line, "act", N_("Unknown legal act {act_code}; import it into the legal acts table first."), {"act_code": values["act"]}))
            if spec.versioned and values["valid_to"] is not None and values["valid_to"] < values["valid_from"]:
                row_errors.append(RowError(line, "valid_to", N_("The end of validity is before its start."), {}))
            for column, msgid, params in spec.check_row(values, ctx):
                row_errors.append(RowError(line, column, msgid, params))
        if row_errors:
            errors.extend(row_errors)
            continue
        attrs = spec.to_model({c.name: values[c.name] for c in spec.columns})
        if spec.versioned:
            attrs.update(act_id=ctx.acts[values["act"]], valid_from=values["valid_from"], valid_to=values["valid_to"], source=values["source"])
        if spec.model is m.WasteCode:  # later rows may hang under this chapter or subchapter
            ctx.waste_codes.add(attrs["code"])
        candidates.append(Candidate(line, values, attrs))
    return candidates, errors


def _key(spec: TableSpec, obj) -> tuple:
    if isinstance(obj, dict):
        return tuple(obj[k] for k in spec.key)
    return tuple(getattr(obj, k) for k in spec.key)


def _same(spec: TableSpec, stored, attrs: dict) -> bool:
    return all(getattr(stored, k) == v for k, v in attrs.items() if k not in ("valid_to",))


def plan(db: Session, spec: TableSpec, candidates: list[Candidate]) -> Plan:
    """Decide, for every candidate row, whether it is new, supersedes, closes, repeats or conflicts."""
    result = Plan(spec)
    if not spec.versioned:
        return _plan_plain(db, spec, candidates, result)
    stored_by_key: dict[tuple, list] = defaultdict(list)
    for row in db.scalars(select(spec.model)):
        stored_by_key[_key(spec, row)].append(row)
    incoming: dict[tuple, list[Candidate]] = defaultdict(list)
    for c in candidates:
        incoming[_key(spec, c.attrs)].append(c)

    for key, group in incoming.items():
        group.sort(key=lambda c: c.valid_from)
        # Within the file first: rows of one key must not overlap each other.
        bad = set()
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if periods_overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
                    for x, y in ((a, b), (b, a)):
                        result.errors.append(RowError(x.line, "valid_from", N_("Row {other} of this file has the same key and an overlapping period."), {"other": y.line}))
                        bad.add(x.line)
        versions = [_Version(r.valid_from, r.valid_to, stored=r) for r in stored_by_key.get(key, [])]
        for c in group:
            if c.line in bad:
                continue
            same_start = next((v for v in versions if v.valid_from == c.valid_from and v.stored is not None), None)
            if same_start is not None and _same(spec, same_start.stored, c.attrs):
                if same_start.valid_to == c.valid_to:
                    result.unchanged += 1
                elif same_start.valid_to is None and not any(
                    v is not same_start and v.overlaps(c.valid_from, c.valid_to) for v in versions
                ):
                    same_start.valid_to = c.valid_to
                    result.closes.append((same_start.stored, c.valid_to, None))
                else:
                    result.errors.append(_overlap_error(c, same_start))
                continue
            if same_start is not None:
                result.errors.append(RowError(c.line, "valid_from", N_("A version valid from {date} already exists with other values; a new version must start on a later date."), {"date": c.valid_from.isoformat()}))
                continue
            overlapping = [v for v in versions if v.overlaps(c.valid_from, c.valid_to)]
            if not overlapping:
                versions.append(_Version(c.valid_from, c.valid_to, candidate=c))
                result.creates.append(c)
                continue
            old = overlapping[0]
            if len(overlapping) == 1 and old.stored is not None and old.valid_to is None and old.valid_from < c.valid_from:
                old.valid_to = c.valid_from - timedelta(days=1)
                result.closes.append((old.stored, old.valid_to, c))
                versions.append(_Version(c.valid_from, c.valid_to, candidate=c))
                result.creates.append(c)
                continue
            result.errors.append(_overlap_error(c, old))

    if spec.check_table and result.creates:
        _check_table(db, spec, result)
    return result


def _overlap_error(c: Candidate, v: _Version) -> RowError:
    params = {"start": v.valid_from.isoformat(), "end": v.valid_to.isoformat() if v.valid_to else "…"}
    if v.stored is not None:
        return RowError(c.line, "valid_from", N_("The period overlaps the stored version valid {start} – {end}; versions of one key must not overlap."), params)
    return RowError(c.line, "valid_from", N_("The period overlaps another row of this file valid {start} – {end}; versions of one key must not overlap."), params)


def _check_table(db: Session, spec: TableSpec, result: Plan) -> None:
    """Table invariants over what would be stored after the import."""

    class Row:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    closing = {id(stored): valid_to for stored, valid_to, _ in result.closes}
    after = []
    for stored in db.scalars(select(spec.model)):
        attrs = {c.name: getattr(stored, c.name) for c in spec.columns}
        after.append(Row(**attrs, valid_from=stored.valid_from, valid_to=closing.get(id(stored), stored.valid_to)))
    new_rows = [Row(**{k: v for k, v in c.attrs.items()}) for c in result.creates]
    after.extend(new_rows)
    for index, (column, msgid, params) in spec.check_table(new_rows, after):
        result.errors.append(RowError(result.creates[index].line, column, msgid, params))


def _plan_plain(db: Session, spec: TableSpec, candidates: list[Candidate], result: Plan) -> Plan:
    """Legal acts are facts: added once, never changed."""
    stored = {_key(spec, r): r for r in db.scalars(select(spec.model))}
    identities = {(r.issuer_en, r.number, r.act_date): r.code for r in stored.values()}
    seen: dict[tuple, int] = {}
    for c in candidates:
        key = _key(spec, c.attrs)
        if key in seen:
            result.errors.append(RowError(c.line, spec.key[0], N_("Row {other} of this file has the same key and an overlapping period."), {"other": seen[key]}))
            continue
        seen[key] = c.line
        old = stored.get(key)
        if old is not None:
            if all(getattr(old, k) == v for k, v in c.attrs.items()):
                result.unchanged += 1
            else:
                result.errors.append(RowError(c.line, spec.key[0], N_("{act_code} is already in the catalogue with other content; a stored act is never changed."), {"act_code": key[0]}))
            continue
        identity = (c.attrs["issuer_en"], c.attrs["number"], c.attrs["act_date"])
        if identity in identities:
            result.errors.append(RowError(c.line, "number", N_("This issuer, number and date are already the act {act_code}."), {"act_code": identities[identity]}))
            continue
        identities[identity] = c.attrs["code"]
        result.creates.append(c)
    return result


def apply(db: Session, plan_: Plan) -> dict[str, int]:
    """Write a plan without errors: new rows first (for their ids), then the closures."""
    assert not plan_.errors, "a plan with errors is never applied"
    for c in plan_.creates:
        c.instance = plan_.spec.model(**c.attrs)
        db.add(c.instance)
    db.flush()
    for stored, valid_to, superseding in plan_.closes:
        stored.valid_to = valid_to
        if superseding is not None:
            stored.superseded_by_id = superseding.instance.id
    db.flush()
    return plan_.summary()
