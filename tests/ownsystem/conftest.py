"""Fixtures of the own-system confirmation: an applicant, the authorized body and the operator as
principals (service-level tests) and as HTTP headers (API tests), and a valid Appendix 1 body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from qaldyq.core.auth import principal_for_user
from qaldyq.epr import service as epr
from qaldyq.epr.models import Declaration, DeclarationLine, Registration
from qaldyq.ownsystem import documents, service
from qaldyq.ownsystem.checklist import ITEMS, required
from qaldyq.ownsystem.schemas import ApplicationIn, EventIn
from tests.factories import bearer, make_org, make_user


@dataclass
class Party:
    org: object
    user: object
    principal: object
    headers: dict


def party(db, role: str, org_roles=("waste_generator",), name="ТОО Тест") -> Party:
    org = make_org(db, roles=org_roles, name=name)
    user = make_user(db, org, role)
    return Party(org, user, principal_for_user(user, "token"), bearer(db, user))


@dataclass
class Cast:
    applicant: Party
    other: Party  # another applicant organization
    authority: Party
    operator: Party


@pytest.fixture
def cast(db) -> Cast:
    return Cast(party(db, "org_admin", name="ТОО «ЭкоПласт»"), party(db, "org_admin", name="ТОО «Другой»"),
                party(db, "authority", ("authority",)), party(db, "operator", ("operator",)))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def body(year=2025, half=2, **over) -> dict:
    """A producer's application whose sections add up (tonnes as strings, as JSON clients send)."""
    b = {
        "year": year, "half": half, "applicant_kind": "producer",
        "section_a": [{"waste_name": "Отходы ПЭТ-бутылок", "opening_t": "12.500", "collected_t": "140.250", "closing_t": "8.000"}],
        "section_b": [{"waste_name": "Отходы ПЭТ-бутылок", "recycled_t": "144.750", "product_name": "ПЭТ-флекс", "product_t": "130.000",
                       "sold_rk_t": "100.000", "export_t": "25.000"}],
        "section_c": [{"product_name": "Бутылки ПЭТ", "produced_t": "160.000", "imported_t": "0"}],
        "section_d": {"placed_t": "150.000", "recycled_t": "144.750"},
        "totals_a": {"opening_t": "12.500", "collected_t": "140.250", "closing_t": "8.000"},
    }
    b.update(over)
    return b


class Driver:
    """Drives one application through the service with explicit business days ("today" is the
    event's day, so the deadlines are those of the calendar, not of the machine's clock)."""

    def __init__(self, db, cast: Cast, year=2025, half=2, docs=True, **over):
        self.db, self.cast = db, cast
        self.app = service.create_application(db, cast.applicant.principal, ApplicationIn(**body(year, half, **over)))
        if docs:
            for item in ITEMS:
                if item.supplier == "applicant" and required(item, self.app):
                    documents.add_file(db, cast.applicant.principal, self.app, item.code, f"{item.code}.pdf", PDF, {})

    def who(self, actor: str):
        return {"applicant": self.cast.applicant, "authority": self.cast.authority, "operator": self.cast.operator}[actor].principal

    def __call__(self, actor: str, event: str, day: str, **fields):
        d = date.fromisoformat(day)
        return service.fire(self.db, self.app, self.who(actor), EventIn(event=event, day=d, **fields), today=d)

    def due(self) -> dict[str, tuple]:
        return {x.code: (x.due.isoformat() if x.due else None, x.met_on.isoformat() if x.met_on else None) for x in service.app_deadlines(self.db, self.app)}


@pytest.fixture
def drive(db, cast):
    return lambda **kw: Driver(db, cast, **kw)


@pytest.fixture(autouse=True)
def outbox(tmp_path):
    """E-mails of the tests go to a temporary outbox folder."""
    from qaldyq.ownsystem import notify

    before = notify.sender()
    box = notify.FileOutbox(tmp_path / "outbox")
    notify.set_sender(box)
    yield tmp_path / "outbox"
    notify.set_sender(before)


RUBBER = "Каучук, резина и изделия из них"  # the catalogue's Russian name of the group "rubber"


@pytest.fixture
def imports(db, cast):
    """The applicant: own system for rubber and the operator route for packaging in 2025; the
    customs feed shows 30 t of tyres (18 t + 12 t) and 4 t of plastic packaging in H2 2025, and
    5 t of tyres in H1 (another half-year); 4 t of packaging declared to the operator in H2."""
    org = cast.applicant.org
    db.add_all([Registration(organization_id=org.id, product_group="rubber", year=2025, route="own_system"),
                Registration(organization_id=org.id, product_group="packaging", year=2025, route="operator")])
    feed = [("50010/150825/0000001", 1, date(2025, 8, 15), "4011100000", 600, "18000"),
            ("50010/150825/0000001", 2, date(2025, 8, 15), "4011100000", 400, "12000"),
            ("50010/010925/0000002", 1, date(2025, 9, 1), "3923300000", 250000, "4000"),
            ("50010/010325/0000003", 1, date(2025, 3, 1), "4011100000", 100, "5000")]
    epr.load_customs(db, [{"bin": org.bin, "declaration_number": n, "line_no": ln, "declared_on": d, "hs_code": hs, "quantity": q, "mass_kg": m}
                          for n, ln, d, hs, q, m in feed])
    dec = Declaration(number="EPR-DEC-TEST-1", organization_id=org.id, period_from=date(2025, 7, 1), period_to=date(2025, 9, 30), status="accepted")
    dec.lines.append(DeclarationLine(line_no=1, kind="packaging", product_group="packaging", category="packaging-polymer", mass_kg=Decimal("4000"),
                                     amount_kzt=Decimal("0.00")))
    db.add(dec)
    db.flush()
    return org
