"""The own-system confirmation: applications (Appendix 1), the workflow of points 3–9 driven by
`workflow.TRANSITIONS`, the deadlines and the cross-check against the ledger. Takes a Session,
never commits (see docs/ownsystem.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qaldyq.catalog.service import reference_mass, today_almaty
from qaldyq.core.auth import Principal
from qaldyq.core.errors import FieldError, Problem, conflict, forbidden, invalid, not_found
from qaldyq.core.i18n import N_
from qaldyq.core.roles import Scope
from qaldyq.core.service import next_number
from qaldyq.ledger.reports import mass_balance
from qaldyq.ownsystem import deadlines as dl
from qaldyq.ownsystem.models import ApplicationEvent, ApplicationLine, OwnApplication
from qaldyq.ownsystem.schemas import ApplicationIn, EventIn, LineA, LineB, LineC, SectionD, SrbItem
from qaldyq.ownsystem.workflow import (
    ACTOR_PERMISSION, AUTOMATIC_EVENTS, EVENT_LABELS, STATUS_LABELS, Actor, Status, Transition, events_from, rows_for,
)
from qaldyq.registry.service import get_organization, sites_of

Q = Decimal("0.001")
READ = "ownsystem.read"


def tonnes(kg: int | Decimal) -> Decimal:
    return (Decimal(kg) / 1000).quantize(Q, ROUND_HALF_UP)


# --- the operator route (kept behind one function until the epr domain is wired in) ---------

def on_operator_route(db: Session, org_id: int, year: int, half: int) -> bool:
    """Whether the organization meets EPR through the operator route (contract, application,
    utilization payment) for that half-year. Art. 386(2): the routes are exclusive, so such an
    organization cannot apply here: refused when every route it registered that year (in the
    `epr` registrations) is the operator's."""
    from qaldyq.epr import service as epr

    routes = epr.routes_in_year(db, org_id, year)
    return bool(routes) and "own_system" not in routes


# --- applications ----------------------------------------------------------------------------

def _sum(values) -> Decimal:
    return sum((v for v in values), Decimal("0")).quantize(Q)


def check_sections(data: ApplicationIn) -> None:
    """Stated totals equal the sums of the lines; Section D's recycled mass is Section B's total;
    a product cannot be sold or exported beyond what was obtained. All errors at once."""
    errors: list[FieldError] = []

    def err(pointer: str, msgid: str, **params):
        errors.append(FieldError(msgid, pointer=pointer, params={k: str(v) for k, v in params.items()}, code="totals"))

    for sec, lines, totals in (("a", data.section_a, data.totals_a), ("b", data.section_b, data.totals_b), ("c", data.section_c, data.totals_c)):
        if totals is None:
            continue
        for col, stated in totals.model_dump().items():
            actual = _sum(getattr(line, col) for line in lines)
            if stated.quantize(Q) != actual:
                err(f"/totals_{sec}/{col}", N_("The total {stated} t is not the sum of the lines, {actual} t."), stated=stated, actual=actual)
    for i, line in enumerate(data.section_b):
        if line.sold_rk_t + line.export_t > line.product_t:
            err(f"/section_b/{i}/sold_rk_t", N_("Sold in Kazakhstan and exported ({sold} t) exceed the finished product obtained ({made} t)."),
                sold=line.sold_rk_t + line.export_t, made=line.product_t)
    recycled_b = _sum(line.recycled_t for line in data.section_b)
    if data.section_b and data.section_d.recycled_t.quantize(Q) != recycled_b:
        err("/section_d/recycled_t", N_("Section D recycled, {stated} t, must equal the waste recycled in Section B, {actual} t."),
            stated=data.section_d.recycled_t, actual=recycled_b)
    if data.applicant_kind == "importer" and data.section_c:
        imported = _sum(line.imported_t for line in data.section_c)
        if data.section_d.placed_t.quantize(Q) != imported:
            err("/section_d/placed_t", N_("For an importer, Section D must equal the mass imported in Section C, {actual} t."), actual=imported)
    if errors:
        raise Problem(422, "invalid", "The request is not valid.", errors[0].msgid, errors, **errors[0].params)


def ledger_lines(db: Session, org_id: int, year: int, half: int) -> tuple[list[LineA], list[LineB]]:
    """Sections A and B from the ledger of the organization's sites for the half-year: A per
    waste code (opening, received = collected, closing), B per waste code with processing (the
    site's products go on its first line; sales and exports are left to the applicant)."""
    start, end = dl.half_bounds(year, half)
    a: dict[str, list[int]] = {}
    b: list[LineB] = []
    for site in sites_of(db, org_id):
        bal = mass_balance(db, site.id, start, end)
        for r in bal.rows:
            tot = a.setdefault(r.waste_code, [0, 0, 0])
            tot[0] += r.opening
            tot[1] += r.received
            tot[2] += r.closing
        products = [(n, kg) for n, kg in bal.products]
        first = True
        for r in bal.rows:
            if r.processed <= 0:
                continue
            name = "; ".join(n for n, _ in products) if first and products else "—"
            made = tonnes(sum(kg for _, kg in products)) if first else Decimal("0.000")
            b.append(LineB(waste_name=r.waste_code, waste_code=r.waste_code, recycled_t=tonnes(r.processed), product_name=name,
                           product_t=made, sold_rk_t=Decimal("0.000"), export_t=Decimal("0.000")))
            first = False
    lines_a = [LineA(waste_name=c, waste_code=c, opening_t=tonnes(v[0]), collected_t=tonnes(v[1]), closing_t=tonnes(v[2])) for c, v in sorted(a.items())]
    return lines_a, b


def group_names(db: Session, on_date: date) -> dict[str, str]:
    """Product groups of the catalogue in force on `on_date`, with their Russian names (the
    language of the application's header)."""
    from qaldyq.catalog.service import list_rows

    _, rows = list_rows(db, "product-groups", on_date, limit=1000)
    return {r.code: r.name_ru for r in rows}


def _route(db: Session, org_id: int, year: int):
    """A memoized `epr.route_for` for one organization and year."""
    from qaldyq.epr import service as epr

    cache: dict[str, str | None] = {}

    def route(group: str) -> str | None:
        if group not in cache:
            cache[group] = epr.route_for(db, org_id, group, year)
        return cache[group]
    return route


def section_c_sources(db: Session, org_id: int, year: int, half: int) -> list[dict]:
    """Per product group, what Qaldyq knows of the organization's EPR products in the half-year:
    its route that year, the imports in the customs feed and the mass declared to the operator.
    Declarations exist only for groups on the operator route (the epr domain refuses the others),
    so they never prefill Section C: they show why a group is left out (Art. 386(2))."""
    from qaldyq.epr import service as epr

    start, end = dl.half_bounds(year, half)
    imported = epr.imports_by_group(db, org_id, start, end)
    declared = epr.declared_by_group(db, org_id, start, end)
    names = group_names(db, end)
    route = _route(db, org_id, year)
    out = []
    for g in sorted(set(imported) | set(declared)):
        customs_t, declared_t = tonnes(imported.get(g, 0)), tonnes(declared.get(g, 0))
        out.append({"product_group": g, "name": names.get(g, g), "route": route(g), "customs_t": customs_t, "declared_t": declared_t,
                    "prefilled": route(g) != "operator" and customs_t > 0})
    return out


def section_c_lines(db: Session, org_id: int, year: int, half: int) -> list[LineC]:
    """Section C from the customs feed: a line per product group imported in the half-year and
    not on the operator route. Production is left to the applicant: Qaldyq has no record of what
    an own-system producer made."""
    return [LineC(product_name=s["name"][:300], product_group=s["product_group"], produced_t=Decimal("0.000"), imported_t=s["customs_t"])
            for s in section_c_sources(db, org_id, year, half) if s["prefilled"]]


def prefilled(db: Session, org_id: int, data: ApplicationIn) -> ApplicationIn:
    """Sections A and B from the ledger (when both are empty), C from the customs feed (when
    empty); Section D's recycled mass follows B, an importer's placed mass follows C."""
    update: dict = {}
    d = data.section_d
    if not data.section_a and not data.section_b:
        a, b = ledger_lines(db, org_id, data.year, data.half)
        update |= {"section_a": a, "section_b": b}
        d = SectionD(placed_t=d.placed_t, recycled_t=_sum(x.recycled_t for x in b))
    if not data.section_c:
        c = section_c_lines(db, org_id, data.year, data.half)
        update["section_c"] = c
        if data.applicant_kind == "importer" and not d.placed_t:
            d = SectionD(placed_t=_sum(x.imported_t for x in c), recycled_t=d.recycled_t)
    return data.model_copy(update={**update, "section_d": d})


def check_groups(db: Session, org_id: int, data: ApplicationIn) -> None:
    """A Section C product group is one of the catalogue's and not one the organization has put
    on the operator route for that year (Art. 386(2): the routes are exclusive)."""
    if not any(x.product_group for x in data.section_c):
        return
    from qaldyq.epr import service as epr

    known = epr.product_groups(db, dl.half_bounds(data.year, data.half)[1])
    route = _route(db, org_id, data.year)
    errors: list[FieldError] = []
    for i, x in enumerate(data.section_c):
        if not x.product_group:
            continue
        ptr = f"/section_c/{i}/product_group"
        if x.product_group not in known:
            errors.append(FieldError(N_("{group} is not a product group under EPR."), pointer=ptr, params={"group": x.product_group},
                                     code="unknown-product-group"))
        elif route(x.product_group) == "operator":
            errors.append(FieldError(N_("The organization meets EPR for {group} through the operator in {year}; it cannot be in this application."),
                                     pointer=ptr, params={"group": x.product_group, "year": data.year}, code="operator-route"))
    if errors:
        raise Problem(422, "invalid", "The request is not valid.", errors[0].msgid, errors, **errors[0].params)


def prefill_preview(db: Session, principal: Principal, year: int, half: int, org_id: int | None = None) -> dict:
    """What `prefill` would put in Sections A–C, with the Section C sources (nothing stored)."""
    org_id = org_id or principal.org_id
    if not principal.sees_org("ownsystem.apply", org_id):
        raise forbidden()
    dl.check_period(year, half)
    a, b = ledger_lines(db, org_id, year, half)
    return {"year": year, "half": half, "section_a": a, "section_b": b, "section_c": section_c_lines(db, org_id, year, half),
            "section_c_sources": section_c_sources(db, org_id, year, half)}


def _set_lines(app: OwnApplication, data: ApplicationIn) -> None:
    app.lines = [
        *(ApplicationLine(section="A", name=x.waste_name, waste_code=x.waste_code, m1=x.opening_t, m2=x.collected_t, m3=x.closing_t) for x in data.section_a),
        *(ApplicationLine(section="B", name=x.waste_name, waste_code=x.waste_code, product_name=x.product_name, m1=x.recycled_t, m2=x.product_t,
                          m3=x.sold_rk_t, m4=x.export_t) for x in data.section_b),
        *(ApplicationLine(section="C", name=x.product_name, product_group=x.product_group, m1=x.produced_t, m2=x.imported_t) for x in data.section_c),
    ]
    app.d_placed_t, app.d_recycled_t = data.section_d.placed_t, data.section_d.recycled_t
    app.collection_on_site, app.standards_apply, app.other_operations = data.collection_on_site, data.standards_apply, data.other_operations


def create_application(db: Session, principal: Principal, data: ApplicationIn, org_id: int | None = None) -> OwnApplication:
    org_id = org_id or principal.org_id
    if not principal.sees_org("ownsystem.apply", org_id):
        raise forbidden()
    if on_operator_route(db, org_id, data.year, data.half):
        raise conflict("/applicant_kind", N_("This organization meets EPR through the operator for this half-year; the routes are exclusive."),
                       code="operator-route")
    if data.prefill:
        data = prefilled(db, org_id, data)
    check_sections(data)
    check_groups(db, org_id, data)
    if db.scalar(select(OwnApplication.id).where(OwnApplication.organization_id == org_id, OwnApplication.year == data.year,
                                                 OwnApplication.half == data.half)):
        raise conflict("/half", N_("This organization already has an application for half-year {half} of {year}."), code="duplicate",
                       half=data.half, year=data.year)
    org = get_organization(db, org_id)
    app = OwnApplication(number=next_number(db, "OS"), organization_id=org_id, year=data.year, half=data.half, applicant_kind=data.applicant_kind,
                         org_name=org.name_ru, org_bin=org.bin or "", status=Status.DRAFT)
    _set_lines(app, data)
    db.add(app)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:  # a concurrent submission for the same half-year
        raise conflict("/half", N_("This organization already has an application for half-year {half} of {year}."), code="duplicate",
                       half=data.half, year=data.year) from None
    return app


def update_application(db: Session, principal: Principal, app: OwnApplication, data: ApplicationIn) -> OwnApplication:
    if not principal.sees_org("ownsystem.apply", app.organization_id):
        raise forbidden()
    if app.status != Status.DRAFT:
        raise conflict("/status", N_("Only a draft can be changed."), code="not-draft")
    if (data.year, data.half) != (app.year, app.half):
        raise invalid("/half", N_("The half-year of an application cannot be changed."), code="immutable")
    check_sections(data)
    check_groups(db, app.organization_id, data)
    app.applicant_kind = data.applicant_kind
    _set_lines(app, data)
    db.flush()
    return app


def refill(db: Session, principal: Principal, app: OwnApplication) -> OwnApplication:
    """Sections A–C of a draft filled again from the ledger and the customs feed (the flags and
    a producer's Section D placed mass are kept)."""
    placed = Decimal("0") if app.applicant_kind == "importer" else app.d_placed_t
    data = ApplicationIn(year=app.year, half=app.half, applicant_kind=app.applicant_kind, section_d=SectionD(placed_t=placed, recycled_t=Decimal("0")),
                         collection_on_site=app.collection_on_site, standards_apply=app.standards_apply, other_operations=app.other_operations)
    return update_application(db, principal, app, prefilled(db, app.organization_id, data))


def get_application(db: Session, principal: Principal, app_id: int) -> OwnApplication:
    app = db.get(OwnApplication, app_id)
    if app is None or not principal.sees_org(READ, app.organization_id):
        raise not_found()
    return app


def list_applications(db: Session, principal: Principal, status: str | None = None, year: int | None = None, half: int | None = None) -> list[OwnApplication]:
    q = select(OwnApplication).order_by(OwnApplication.year.desc(), OwnApplication.half.desc(), OwnApplication.id)
    if principal.scope(READ) is Scope.OWN:
        q = q.where(OwnApplication.organization_id == principal.org_id)
    elif principal.scope(READ) is None:
        raise forbidden()
    if status:
        q = q.where(OwnApplication.status == status)
    if year:
        q = q.where(OwnApplication.year == year)
    if half:
        q = q.where(OwnApplication.half == half)
    return list(db.scalars(q))


# --- workflow --------------------------------------------------------------------------------

def event_days(app: OwnApplication) -> list[tuple[str, date]]:
    return [(e.event, e.day) for e in app.events]


def app_deadlines(db: Session, app: OwnApplication) -> list[dl.Deadline]:
    return dl.compute(db, app.year, app.half, event_days(app))


@dataclass
class Ctx:
    db: Session
    app: OwnApplication
    inp: EventIn
    day: date
    due: dict[str, date | None]

    def happened(self, event: str) -> bool:
        return any(e.event == event for e in self.app.events)


def _deadline_passed(code: str, due: date | None) -> Problem:
    msg = N_("The deadline {term} ({due}) has passed.")
    return Problem(409, "deadline-passed", "The deadline has passed.", msg,
                   [FieldError(msg, pointer="/day", params={"term": code, "due": str(due)}, code="deadline-passed")], term=code, due=str(due))


def _not_yet(code: str, due: date | None) -> Problem:
    msg = N_("This step is possible only after the deadline {term} ({due}).")
    return Problem(409, "deadline-open", "The deadline has not passed.", msg,
                   [FieldError(msg, pointer="/day", params={"term": code, "due": str(due)}, code="deadline-open")], term=code, due=str(due))


def g_on_time(c: Ctx) -> Problem | None:
    if c.day <= dl.half_bounds(c.app.year, c.app.half)[1]:
        return invalid("/day", N_("The application can be submitted only after the half-year has ended."), code="too-early")
    return None if c.day <= c.due["D1"] else _deadline_passed("D1", c.due["D1"])


def g_late(c: Ctx) -> Problem | None:
    return None if c.day > c.due["D1"] else invalid("/day", N_("The deadline {term} ({due}) has passed."), term="D1", due=str(c.due["D1"]))


def g_number_given(c: Ctx) -> Problem | None:
    if not c.inp.incoming_number:
        return invalid("/incoming_number", N_("Give the incoming assignment number."), code="required")
    taken = c.db.scalar(select(OwnApplication.id).where(OwnApplication.incoming_number == c.inp.incoming_number, OwnApplication.id != c.app.id))
    return conflict("/incoming_number", N_("The incoming number {value} is already used."), code="duplicate", value=c.inp.incoming_number) if taken else None


def g_srb_not_requested(c: Ctx) -> Problem | None:
    return conflict("/event", N_("The state revenue bodies have already been asked."), code="done") if c.happened("request_srb") else None


def g_srb_requested(c: Ctx) -> Problem | None:
    if not c.happened("request_srb"):
        return conflict("/event", N_("The state revenue bodies have not been asked yet."), code="order")
    if c.happened("srb_answer"):
        return conflict("/event", N_("The answer of the state revenue bodies is already recorded."), code="done")
    if not c.inp.srb_items:
        return invalid("/srb_items", N_("Give the products and masses of the answer."), code="required")
    return None


def g_srb_answered(c: Ctx) -> Problem | None:
    if not c.happened("srb_answer"):
        return conflict("/event", N_("The answer of the state revenue bodies is not recorded yet."), code="order")
    return conflict("/event", N_("Already done."), code="done") if c.happened("forward_srb") else None


def g_reason_given(c: Ctx) -> Problem | None:
    text = (c.inp.reasons or "").strip()
    return invalid("/reasons", N_("State the reasons in at least {n} characters."), code="required", n=10) if len(text) < 10 else None


def g_within(code: str) -> Callable[[Ctx], Problem | None]:
    return lambda c: None if c.due.get(code) and c.day <= c.due[code] else _deadline_passed(code, c.due.get(code))


def g_after(code: str) -> Callable[[Ctx], Problem | None]:
    return lambda c: None if c.due.get(code) and c.day > c.due[code] else _not_yet(code, c.due.get(code))


def g_conclusion_given(c: Ctx) -> Problem | None:
    return None  # a stopped review's report has its own status


def g_srb_without_mass(c: Ctx) -> Problem | None:
    if not c.happened("forward_srb"):
        return conflict("/event", N_("The state revenue data have not reached the operator yet."), code="order")
    if all(i.get("mass_t") is not None for i in c.app.srb_items or []):
        return conflict("/event", N_("The state revenue data give the mass of every product; no import documents are needed."), code="mass-known")
    return None


def g_import_docs_supplied(c: Ctx) -> Problem | None:
    if not c.happened("supply_import_docs") or c.app.mass_method == "reference":
        return conflict("/event", N_("The reference book is used only when the import documents do not show the mass."), code="order")
    return None


def g_review_ready(c: Ctx) -> Problem | None:
    if not c.happened("forward_srb"):
        return conflict("/event", N_("The review runs from the state revenue data, which have not reached the operator yet."), code="order")
    return None if c.inp.conclusion else invalid("/conclusion", N_("Give the conclusion of the review."), code="required")


def g_report_conforms(c: Ctx) -> Problem | None:
    if c.app.conclusion != "conforms":
        return conflict("/event", N_("The operator's report does not find conformity: hear the applicant before deciding."), code="hearing-needed")
    return None


def g_checklist_complete(c: Ctx) -> Problem | None:
    from qaldyq.ownsystem.documents import missing

    gaps = missing(c.app)
    return conflict("/event", N_("Documents missing or illegible: {items}. Request them from the applicant."), code="incomplete",
                    items=", ".join(gaps)) if gaps else None


GUARDS: dict[str, Callable[[Ctx], Problem | None]] = {
    "checklist_complete": g_checklist_complete,
    "on_time": g_on_time, "late": g_late, "number_given": g_number_given, "srb_not_requested": g_srb_not_requested,
    "srb_requested": g_srb_requested, "srb_answered": g_srb_answered, "reason_given": g_reason_given,
    "within_D6": g_within("D6"), "after_D6": g_after("D6"), "within_D9": g_within("D9"), "after_D9": g_after("D9"),
    "conclusion_given": g_conclusion_given, "srb_without_mass": g_srb_without_mass, "import_docs_supplied": g_import_docs_supplied,
    "review_ready": g_review_ready, "report_conforms": g_report_conforms,
}


# What an event writes on the application, besides the state.
def e_register(c: Ctx) -> dict | None:
    c.app.incoming_number = c.inp.incoming_number
    return {"incoming_number": c.inp.incoming_number}


def e_submit(c: Ctx) -> dict | None:
    c.app.submitted_on = c.day
    return None


def e_srb_answer(c: Ctx) -> dict | None:
    items = [{**i.model_dump(mode="json"), "mass_t": None if i.mass_t is None else str(i.mass_t.quantize(Q))} for i in c.inp.srb_items or []]
    c.app.srb_items = items
    if all(i["mass_t"] is not None for i in items):
        c.app.mass_method = "srb"
    return {"items": items}


def e_supply_import_docs(c: Ctx) -> dict | None:
    c.app.mass_method = "documents"
    return None


def e_fallback(c: Ctx) -> dict | None:
    """Point 6.5: the mass of each product the answer gives without mass, from the reference
    book of average unit (or packaging) masses in force at the end of the half-year."""
    end = dl.half_bounds(c.app.year, c.app.half)[1]
    items, notes = [], []
    for i in c.app.srb_items or []:
        i = dict(i)
        if i.get("mass_t") is None:
            try:
                ref = reference_mass(c.db, i["product_group"], i.get("item") or "", end)
            except Problem:
                notes.append(i["product_group"])
                items.append(i)
                continue
            per_unit = ref.unit_mass_kg if ref.unit_mass_kg is not None else ref.packaging_mass_kg
            if per_unit is not None and i.get("units") is not None:
                i["mass_t"] = str((Decimal(i["units"]) * per_unit / 1000).quantize(Q))
                i["source"] = "reference"
            else:
                notes.append(i["product_group"])
        items.append(i)
    c.app.srb_items = items
    c.app.mass_method = "reference"
    return {"items": items, "unresolved": notes}


def e_send_report(c: Ctx) -> dict | None:
    c.app.conclusion = "stopped" if c.app.status == Status.STOPPED else c.inp.conclusion
    return {"conclusion": c.app.conclusion}


def e_decide(c: Ctx) -> dict | None:
    c.app.decision_reasons = c.inp.reasons
    return None


EFFECTS: dict[str, Callable[[Ctx], dict | None]] = {
    "submit": e_submit, "register": e_register, "srb_answer": e_srb_answer, "supply_import_docs": e_supply_import_docs,
    "fallback_mass": e_fallback, "send_report": e_send_report, "confirm": e_decide, "refuse": e_decide, "appeal": lambda c: None,
}


def _check_day(app: OwnApplication, day: date, today: date) -> None:
    if day > today:
        raise invalid("/day", N_("The day cannot be in the future."), code="future")
    if app.events and day < app.events[-1].day:
        raise invalid("/day", N_("The day cannot be before the previous step ({day})."), code="order", day=app.events[-1].day.isoformat())


def fire(db: Session, app: OwnApplication, principal: Principal | None, inp: EventIn, today: date | None = None) -> ApplicationEvent:
    """Apply one event of the transition table. `principal` None means the system (automatic
    outcomes only). The caller's permission for the row's actor is checked per row."""
    today = today or today_almaty()
    day = inp.day or today
    rows = rows_for(Status(app.status), inp.event)
    if not rows:
        raise conflict("/event", N_("{event} is not possible in status {state}."), code="not-allowed", event=inp.event, state=str(app.status))
    _check_day(app, day, today)
    due = {d.code: d.due for d in app_deadlines(db, app)}
    ctx = Ctx(db, app, inp, day, due)
    problem: Problem | None = None
    for row in rows:
        if not _may_act(principal, row, app):
            problem = problem or forbidden(N_("Only the {actor} may do this."), actor=row.actor.value)
            continue
        refused = GUARDS[row.guard](ctx) if row.guard else None
        if refused is None:
            return _apply(db, ctx, row, principal)
        problem = problem or refused  # the first row's reason is the one to show
    raise problem



def _may_act(principal: Principal | None, row: Transition, app: OwnApplication) -> bool:
    if row.actor == Actor.SYSTEM:
        return principal is None
    if principal is None:
        return False
    return principal.sees_org(ACTOR_PERMISSION[row.actor], app.organization_id)


def _apply(db: Session, c: Ctx, row: Transition, principal: Principal | None) -> ApplicationEvent:
    before = c.app.status
    data = EFFECTS[row.event](c) if row.event in EFFECTS else None
    if row.next is not None:
        c.app.status = row.next
    if c.inp.missing:
        data = {**(data or {}), "missing": c.inp.missing}
    ev = ApplicationEvent(event=row.event, actor=row.actor.value, day=c.day, user_id=principal.user_id if principal else None,
                          from_status=before, to_status=c.app.status, note=c.inp.note or c.inp.reasons, data=data)
    c.app.events.append(ev)
    db.flush()
    from qaldyq.ownsystem.notify import notify

    notify(db, c.app, row.event)
    return ev


def run_automatic(db: Session, app: OwnApplication, today: date | None = None) -> list[ApplicationEvent]:
    """Fire the outcomes the Rules give when a term lapses: the review stops the day after D6
    (point 6.3); the mass comes from the reference book the day after D9 (point 6.5)."""
    today = today or today_almaty()
    fired = []
    for event in AUTOMATIC_EVENTS:
        for row in rows_for(Status(app.status), event):
            if row.actor != Actor.SYSTEM:
                continue
            code = row.guard.split("_")[1]
            due = next((d.due for d in app_deadlines(db, app) if d.code == code), None)
            if due is not None and today > due:
                fired.append(fire(db, app, None, EventIn(event=event, day=_day_after(due, app)), today))
    return fired


def _day_after(due: date, app: OwnApplication) -> date:
    return max(due + timedelta(days=1), app.events[-1].day)


def run_all_automatic(db: Session, today: date | None = None) -> int:
    apps = db.scalars(select(OwnApplication).where(OwnApplication.status.in_([Status.INCOMPLETE, Status.AWAITING_IMPORT_DOCS])))
    return sum(len(run_automatic(db, a, today)) for a in apps)


def allowed_events(db: Session, app: OwnApplication, principal: Principal, today: date) -> list[str]:
    """The events this principal could fire today: its actor's rows whose guards pass with a
    complete input (a preview: the real input is checked again when the event is fired)."""
    sample = EventIn(event="preview", incoming_number=f"preview-{app.id}-{app.number}", reasons="x" * 20, conclusion="conforms",
                     srb_items=[SrbItem(product_group="preview")])
    due = {d.code: d.due for d in app_deadlines(db, app)}
    day = max(today, app.events[-1].day) if app.events else today
    ctx = Ctx(db, app, sample, day, due)
    out = []
    for ev in events_from(Status(app.status)):
        if any(_may_act(principal, r, app) and (r.guard is None or GUARDS[r.guard](ctx) is None) for r in rows_for(Status(app.status), ev)):
            out.append(ev)
    return out


# --- presentation ---------------------------------------------------------------------------

def ledger_differences(db: Session, app: OwnApplication) -> list[dict]:
    """Every difference between Sections A/B as declared and the ledger (shown to the reviewer)."""
    a, b = ledger_lines(db, app.organization_id, app.year, app.half)
    out = []
    ledger_a = {x.waste_code: x for x in a}
    ledger_b = {x.waste_code: x for x in b}
    declared_a = {ln.waste_code or ln.name: ln for ln in app.lines if ln.section == "A"}
    declared_b = {ln.waste_code or ln.name: ln for ln in app.lines if ln.section == "B"}
    zero = Decimal("0.000")
    for code in sorted(set(ledger_a) | set(declared_a)):
        led, dec = ledger_a.get(code), declared_a.get(code)
        for col, attr in (("opening_t", "m1"), ("collected_t", "m2"), ("closing_t", "m3")):
            lv = getattr(led, col) if led else zero
            dv = (getattr(dec, attr) or zero) if dec else zero
            if lv != dv:
                out.append({"section": "A", "name": code, "column": col, "declared_t": dv, "ledger_t": lv, "difference_t": (dv - lv).quantize(Q)})
    for code in sorted(set(ledger_b) | set(declared_b)):
        lv = ledger_b[code].recycled_t if code in ledger_b else zero
        dv = (declared_b[code].m1 or zero) if code in declared_b else zero
        if lv != dv:
            out.append({"section": "B", "name": code, "column": "recycled_t", "declared_t": dv, "ledger_t": lv, "difference_t": (dv - lv).quantize(Q)})
    return out


def _imports_by_group(app: OwnApplication) -> dict[str | None, Decimal]:
    out: dict[str | None, Decimal] = {}
    for ln in app.lines:
        if ln.section == "C":
            out[ln.product_group] = out.get(ln.product_group, Decimal("0")) + (ln.m2 or 0)
    return {g: v.quantize(Q) for g, v in out.items()}


def customs_figures(db: Session, app: OwnApplication) -> tuple[str, dict[str, Decimal | None]] | None:
    """The import masses per product group the review compares Section C with: the state revenue
    bodies' answer once recorded (points 4 and 6.4; None where it gives no mass), before that the
    customs feed in Qaldyq; None when there is neither. Groups on the operator route are left
    out: their imports are accounted there."""
    route = _route(db, app.organization_id, app.year)
    if app.srb_items is not None:
        out: dict[str, Decimal | None] = {}
        for i in app.srb_items:
            g = i.get("product_group") or ""
            if route(g) == "operator":
                continue
            m = i.get("mass_t")
            if m is None:
                out[g] = None  # a group is unknown while any of its items has no mass
            elif g not in out:
                out[g] = Decimal(m).quantize(Q)
            elif out[g] is not None:
                out[g] = (out[g] + Decimal(m)).quantize(Q)
        return "srb", out
    from qaldyq.epr import service as epr

    start, end = dl.half_bounds(app.year, app.half)
    feed = {g: tonnes(kg) for g, kg in epr.imports_by_group(db, app.organization_id, start, end).items() if route(g) != "operator"}
    return ("customs", feed) if feed else None


def section_c_differences(db: Session, app: OwnApplication) -> list[dict]:
    """Every difference between the imports of Section C and the customs feed, and (once
    recorded) the state revenue bodies' answer, per product group (shown to the reviewer)."""
    start, end = dl.half_bounds(app.year, app.half)
    names = group_names(db, end)
    declared = _imports_by_group(app)
    route = _route(db, app.organization_id, app.year)
    from qaldyq.epr import service as epr

    feed = {g: tonnes(kg) for g, kg in epr.imports_by_group(db, app.organization_id, start, end).items() if route(g) != "operator"}
    sources: list[tuple[str, dict]] = [("customs", feed)]
    got = customs_figures(db, app)
    if got and got[0] == "srb":
        sources.append(got)
    zero = Decimal("0.000")
    out = []
    for source, figures in sources:
        for g in sorted(set(declared) | set(figures), key=lambda x: (x is None, x or "")):
            dv, sv = declared.get(g, zero), figures.get(g, zero) if g is not None else zero
            if sv is not None and dv == sv:
                continue
            out.append({"product_group": g, "name": names.get(g, g) if g else "—", "source": source, "column": "imported_t", "declared_t": dv,
                        "source_t": sv, "difference_t": None if sv is None else (dv - sv).quantize(Q)})
    return out


def present(db: Session, app: OwnApplication, principal: Principal, locale_translate: Callable[[str], str] = lambda s: s, today: date | None = None) -> dict:
    today = today or today_almaty()
    t = locale_translate
    lines = app.lines
    out = {
        "id": app.id, "number": app.number, "organization_id": app.organization_id, "org_name": app.org_name, "org_bin": app.org_bin,
        "year": app.year, "half": app.half, "applicant_kind": app.applicant_kind, "status": app.status,
        "status_label": t(STATUS_LABELS[Status(app.status)]), "incoming_number": app.incoming_number,
        "section_a": [{"waste_name": ln.name, "waste_code": ln.waste_code, "opening_t": ln.m1, "collected_t": ln.m2, "closing_t": ln.m3} for ln in lines if ln.section == "A"],
        "section_b": [{"waste_name": ln.name, "waste_code": ln.waste_code, "recycled_t": ln.m1, "product_name": ln.product_name or "", "product_t": ln.m2,
                       "sold_rk_t": ln.m3, "export_t": ln.m4} for ln in lines if ln.section == "B"],
        "section_c": [{"product_name": ln.name, "produced_t": ln.m1, "imported_t": ln.m2, "product_group": ln.product_group}
                      for ln in lines if ln.section == "C"],
        "section_d": {"placed_t": app.d_placed_t, "recycled_t": app.d_recycled_t},
        "mass_method": app.mass_method, "srb_items": app.srb_items, "conclusion": app.conclusion, "decision_reasons": app.decision_reasons,
        "deadlines": [{"code": d.code, "label": t(d.label), "actor": d.actor.value, "point": d.point, "start": d.start, "due": d.due, "met_on": d.met_on,
                       "state": d.state(today)} for d in app_deadlines(db, app)],
        "history": [{"event": e.event, "label": t(EVENT_LABELS.get(e.event, e.event)), "actor": e.actor, "day": e.day, "at": e.at,
                     "from_status": e.from_status, "to_status": e.to_status, "note": e.note, "data": e.data} for e in app.events],
        "allowed_events": allowed_events(db, app, principal, today),
    }
    if principal.scope(READ) is Scope.ALL:
        out["ledger_differences"] = ledger_differences(db, app)
        out["section_c_differences"] = section_c_differences(db, app)
    return out


def notifications_for(db: Session, principal: Principal, limit: int = 100) -> list:
    from qaldyq.ownsystem.models import Notification

    if principal.role.value in ("authority", "operator"):
        cond = Notification.actor == principal.role.value
    elif principal.scope(READ) is Scope.ALL:
        cond = Notification.id.is_not(None)
    else:
        cond = (Notification.actor == Actor.APPLICANT.value) & (Notification.organization_id == principal.org_id)
    return list(db.scalars(select(Notification).where(cond).order_by(Notification.id.desc()).limit(limit)))
