"""Demo data of the own-system confirmation (Order 690): applications of producers that are not on
the operator route, left in the states each actor has to deal with, so that demo.producer (the
applicant), demo.authority and demo.operator each find something in their queue.

Half-years are counted back from the day the demo is loaded (`ctx.shared["registry"]["today"]`):
C the current one, L the last ended one, L1 the one before, L2 the one before that.

    demo.producer's organization   C draft (filled from the ledger and the customs data)
                                   L missing documents requested (its turn: supply them)
                                   L1 fulfilment confirmed
                                   L2 left free (the browser journey applies for it)
    other producers                L submitted (authority: register)
                                   L completeness check (operator)
                                   L under review, state revenue data in (operator: report)
                                   L1 report sent, "conforms" (authority: decide)
                                   L1 refused with reasons after a hearing
                                   L1 not reviewed (submitted after D1)

Every step goes through `service.fire`, so the history and the deadlines are real; event days are
those the Rules would give, never after the demo day. The customs feed (epr domain) gets the
applicants' imports, from which Section C and the state revenue bodies' answer are taken.
Deterministic: dates follow the demo day, masses come from `ctx.rng_for("ownsystem")`; e-mails are
not written while seeding (the notifications in the system are).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy.orm import Session

from qaldyq.catalog.service import add_working_days
from qaldyq.core.auth import Principal, principal_for_user
from qaldyq.core.models import User
from qaldyq.core.roles import Role
from qaldyq.ownsystem import customs, deadlines as dl, documents, notify, service
from qaldyq.ownsystem.checklist import ITEMS, required
from qaldyq.ownsystem.schemas import ApplicationIn, EventIn, LineC
from qaldyq.registry.models import Organization

Q = Decimal("0.001")


@dataclass(frozen=True)
class Profile:
    kind: str
    waste: tuple[str, str]  # waste code, name in Section A/B
    product: str  # finished product of recycling (Section B)
    goods: str  # the applicant's own product (Section C)
    hs: str  # HS code of its imports in the customs feed (gives the product group)
    group: str  # product group of what it produces


PRODUCER = Profile("producer", ("15 01 02", "Отходы ПЭТ-бутылок"), "ПЭТ-флекс", "Бутылки ПЭТ для напитков", "3923300000", "packaging")
IMPORTER = Profile("importer", ("16 01 03", "Изношенные шины"), "Резиновая крошка", "Шины легковые", "4011100000", "rubber")
BOTH = Profile("both", ("15 01 01", "Отходы картонной упаковки"), "Картон гофрированный", "Упаковка картонная", "4819100000", "packaging")


def half_of(day: date) -> tuple[int, int]:
    return day.year, 1 if day.month <= 6 else 2


def before(period: tuple[int, int]) -> tuple[int, int]:
    y, h = period
    return (y, 1) if h == 2 else (y - 1, 2)


class _Silent:
    """An e-mail sender that drops messages: the demo history was not sent to anyone."""

    def send(self, message) -> None:
        pass


def _org_principal(org: Organization) -> Principal:
    return Principal(user_id=None, username="demo", full_name="demo", org_id=org.id, org_name=org.name_ru, role=Role.ORG_ADMIN,
                     region_kato=org.region_kato, via="cli")


@functools.cache
def _pdf(title: str) -> bytes:
    """A one-page PDF standing for a scanned document (Latin text: the core font)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=timezone.utc))  # the same bytes every time
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "Qaldyq demo document")
    pdf.ln(12)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 7, title)
    return bytes(pdf.output())


class _Seeder:
    def __init__(self, db: Session, ctx, reg: dict):
        self.db, self.ctx = db, ctx
        self.rng = ctx.rng_for("ownsystem")
        self.today: date = reg["today"]
        users = reg["users"]
        self.authority = principal_for_user(db.get(User, users["demo.authority"]), "session")
        self.operator = principal_for_user(db.get(User, users["demo.operator"]), "session")
        self.producer = principal_for_user(db.get(User, users["demo.producer"]), "session")
        self.customs_seq = 0

    # --- data ---------------------------------------------------------------------------------
    def customs(self, org: Organization, period: tuple[int, int], tonnes: int, hs: str) -> None:
        """A customs declaration of the applicant's imports in the half-year (two goods lines)."""
        start, end = dl.half_bounds(*period)
        day = min(start + timedelta(days=40), self.today)
        if day < start:
            return
        self.customs_seq += 1
        number = f"50010/{day:%d%m%y}/9{self.customs_seq:06d}"
        first = Decimal(tonnes * 600)
        from qaldyq.epr import service as epr

        epr.load_customs(self.db, [
            {"bin": org.bin, "declaration_number": number, "line_no": 1, "declared_on": day, "hs_code": hs, "quantity": 1, "mass_kg": first},
            {"bin": org.bin, "declaration_number": number, "line_no": 2, "declared_on": day, "hs_code": hs, "quantity": 1,
             "mass_kg": Decimal(tonnes * 1000) - first},
        ])

    def application(self, who: Principal, org: Organization, period: tuple[int, int], profile: Profile, *, share: Decimal = Decimal("1.05"),
                    imported_delta: Decimal = Decimal("0"), docs: bool = True, leave_out: tuple[str, ...] = ()):
        """An application whose sections add up: recycled = share × placed on the market."""
        r = self.rng
        year, half = period
        code, waste = profile.waste
        produced = Decimal(r.randint(80, 400)) if profile.kind != "importer" else Decimal("0")
        c = service.section_c_lines(self.db, org.id, year, half)  # imports from the customs feed
        if c and imported_delta:
            c[0] = c[0].model_copy(update={"imported_t": c[0].imported_t + imported_delta})  # the applicant's own figure
        if produced:
            c.append(LineC(product_name=profile.goods, product_group=profile.group, produced_t=produced, imported_t=Decimal("0")))
        imported = sum((x.imported_t for x in c), Decimal("0"))
        # Section D: imported (importers); sold from what was produced (producers); both for both
        sold = (produced * Decimal("0.9")).quantize(Q)
        placed = {"importer": imported, "producer": sold}.get(profile.kind, sold + imported)
        recycled = (placed * share).quantize(Q)
        opening = Decimal(r.randint(5, 30))
        closing = Decimal(r.randint(5, 30))
        product = (recycled * Decimal("0.88")).quantize(Q)
        data = ApplicationIn(
            year=year, half=half, applicant_kind=profile.kind,
            section_a=[{"waste_name": waste, "waste_code": code, "opening_t": opening, "collected_t": recycled - opening + closing, "closing_t": closing}],
            section_b=[{"waste_name": waste, "waste_code": code, "recycled_t": recycled, "product_name": profile.product, "product_t": product,
                        "sold_rk_t": (product * Decimal("0.8")).quantize(Q), "export_t": (product * Decimal("0.1")).quantize(Q)}],
            section_c=c, section_d={"placed_t": placed, "recycled_t": recycled}, collection_on_site=profile.kind == "importer")
        app = service.create_application(self.db, who, data)
        if docs:
            for item in ITEMS:
                if item.supplier == "applicant" and required(item, app) and item.code not in leave_out:
                    documents.add_file(self.db, who, app, item.code, f"{item.code}.pdf", _pdf(f"Order No. 690, point 3: item {item.code}"),
                                       self.meta(item, app))
        return app

    def meta(self, item, app) -> dict:
        end = dl.half_bounds(app.year, app.half)[1]
        values = {"date": end.isoformat(), "number": f"{item.code.upper()}-{app.id:03d}", "counterparty": "ТОО «Таза Астана Сервис»",
                  "instrument_name": "Весы автомобильные", "instrument_type": "truck_scale", "serial_number": f"ВА-{app.id:04d}", "year_made": 2019,
                  "signatory": "first_head", "mass_t": str(app.d_recycled_t)}
        return {name: values[name] for name, _ in item.fields if name in values}

    # --- workflow -----------------------------------------------------------------------------
    def run(self, app, steps: list[tuple[Principal, str, date, dict]]) -> None:
        """Fire the steps in order; a day is never before the previous step nor after today."""
        last = app.events[-1].day if app.events else date.min
        for who, event, day, fields in steps:
            day = min(max(day, last), self.today)
            service.fire(self.db, app, who, EventIn(event=event, day=day, **fields), today=self.today)
            last = day

    def wd(self, day: date, n: int) -> date:
        return add_working_days(self.db, day, n)

    def to_operator(self, app, who: Principal, srb: bool = True) -> list:
        """Submission on time, registration, the request to the state revenue bodies and their
        answer (from the customs feed), forwarding of the documents and of the answer."""
        due = dl.period_deadlines(self.db, app.year, app.half)
        d1, d2 = due["application_due"], due["authority_request_due"]
        steps = [(who, "submit", d1 - timedelta(days=4), {}),
                 (self.authority, "register", d1 - timedelta(days=2), {"incoming_number": f"ЖТ-04-{app.number[-6:]}"}),
                 (self.authority, "request_srb", d2 - timedelta(days=3), {}),
                 (self.authority, "forward", d2 - timedelta(days=1), {})]
        self.run(app, steps)
        if srb:
            answer = self.wd(d2, 12)
            self.run(app, [(self.authority, "srb_answer", answer, {"srb_items": customs.from_feed(self.db, app)}),
                           (self.authority, "forward_srb", self.wd(answer, 2), {})])
        return steps

    def review(self, app, conclusion: str, report_day: date, faulty: str | None = None) -> None:
        """Completeness, the marks on every document, and the Appendix 2 report."""
        forwarded = next(e.day for e in app.events if e.event == "forward_srb")
        self.run(app, [(self.operator, "complete", self.wd(forwarded, 3), {})])
        for doc in app.documents:
            bad = doc.item == faulty
            documents.mark(self.db, self.operator, app, doc.id, True, not bad,
                           "Остатки на конец полугодия не сходятся с материальной ведомостью" if bad else None)
        self.run(app, [(self.operator, "send_report", report_day, {"conclusion": conclusion})])

    # --- the set ------------------------------------------------------------------------------
    def seed(self, key: Organization, others: list[Organization]) -> list[dict]:
        C = half_of(self.today)
        L = before(C)
        L1 = before(L)
        L2 = before(L1)
        made = []
        plan = list(zip(others, (L, L, L, L1, L1, L1), (PRODUCER, IMPORTER, PRODUCER, IMPORTER, BOTH, PRODUCER)))
        for period in (C, L, L1, L2):
            self.customs(key, period, self.rng.randint(20, 60), BOTH.hs)
        for org, period, profile in plan:
            self.customs(org, period, self.rng.randint(30, 90), profile.hs)
        both, producer, importer = BOTH, PRODUCER, IMPORTER

        # demo.producer: a draft for the current half-year, filled from Qaldyq's data
        draft = service.create_application(self.db, self.producer, ApplicationIn(year=C[0], half=C[1], applicant_kind="both", prefill=True,
                                                                                 section_d={"placed_t": "0", "recycled_t": "0"}))
        made.append(draft)
        # ... missing documents requested for the last half-year: its turn
        app = self.application(self.producer, key, L, both, imported_delta=Decimal("-2.5"), leave_out=("3d", "5d"))
        self.to_operator(app, self.producer)
        self.run(app, [(self.operator, "request_missing", self.today - timedelta(days=1),
                        {"reasons": "Нет сводной информации по ПОЗ (3d) и материальной ведомости (5d)", "missing": ["3d", "5d"]})])
        made.append(app)
        # ... the half-year before: confirmed
        app = self.application(self.producer, key, L1, both)
        self.to_operator(app, self.producer)
        report = self.wd(next(e.day for e in app.events if e.event == "forward_srb"), 15)
        self.review(app, "conforms", report)
        self.run(app, [(self.authority, "confirm", self.wd(report, 6), {"reasons": "Исполнение РОП подтверждено по отчёту оператора"})])
        made.append(app)

        o1, o2, o3, o4, o5, o6 = others[:6]
        # submitted: the authorized body registers it
        app = self.application(_org_principal(o1), o1, L, producer)
        self.run(app, [(_org_principal(o1), "submit", dl.period_deadlines(self.db, *L)["application_due"] - timedelta(days=1), {})])
        made.append(app)
        # with the operator for the completeness check
        app = self.application(_org_principal(o2), o2, L, importer)
        self.to_operator(app, _org_principal(o2), srb=False)
        made.append(app)
        # under review with the state revenue data: the operator reports
        app = self.application(_org_principal(o3), o3, L, producer, imported_delta=Decimal("4"))
        self.to_operator(app, _org_principal(o3))
        forwarded = next(e.day for e in app.events if e.event == "forward_srb")
        self.run(app, [(self.operator, "complete", self.wd(forwarded, 2), {})])
        made.append(app)
        # report sent ("conforms"): the authorized body decides
        app = self.application(_org_principal(o4), o4, L1, importer)
        self.to_operator(app, _org_principal(o4))
        self.review(app, "conforms", self.today - timedelta(days=3))
        made.append(app)
        # refused with reasons after a hearing: recycled 60 % of the mass placed on the market
        app = self.application(_org_principal(o5), o5, L1, both, share=Decimal("0.6"))
        self.to_operator(app, _org_principal(o5))
        report = self.wd(next(e.day for e in app.events if e.event == "forward_srb"), 15)
        self.review(app, "not_conforms", report, faulty="5d")
        self.run(app, [(self.authority, "open_hearing", self.wd(report, 3), {"reasons": "Заслушивание по АППК, ст. 73"}),
                       (self.authority, "refuse", self.wd(report, 8),
                        {"reasons": "Переработано 60 % массы, реализованной на рынке; материальная ведомость (5d) не соответствует"})])
        made.append(app)
        # submitted after D1: stored and not reviewed
        app = self.application(_org_principal(o6), o6, L1, producer)
        self.run(app, [(_org_principal(o6), "submit", dl.period_deadlines(self.db, *L1)["application_due"] + timedelta(days=9), {})])
        made.append(app)
        return [{"id": a.id, "number": a.number, "organization_id": a.organization_id, "year": a.year, "half": a.half, "status": a.status} for a in made]


def seed(db: Session, ctx) -> None:
    reg = ctx.shared.get("registry")
    if not reg or not all(u in reg.get("users", {}) for u in ("demo.authority", "demo.operator", "demo.producer")):
        return
    s = _Seeder(db, ctx, reg)
    key = db.get(Organization, reg["key"]["producer"])
    periods = [half_of(s.today)]
    for _ in range(3):
        periods.append(before(periods[-1]))
    # producers not on the operator route in the half-years used (Art. 386(2))
    candidates = sorted({i for role in ("producer", "importer") for i in reg["orgs_by_role"].get(role, []) if i != key.id})
    others = [o for o in (db.get(Organization, i) for i in candidates)
              if o.bin and not any(service.on_operator_route(db, o.id, y, h) for y, h in periods)]
    others.sort(key=lambda o: o.bin)
    if len(others) < 6 or any(service.on_operator_route(db, key.id, y, h) for y, h in periods[:3]):
        return
    before_sender = notify.sender()
    notify.set_sender(_Silent())
    try:
        ctx.shared["ownsystem"] = {"applications": s.seed(key, others[:6]), "free_period": list(periods[3])}
    finally:
        notify.set_sender(before_sender)
