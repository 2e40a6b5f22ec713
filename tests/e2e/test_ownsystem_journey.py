"""An own-system application (Order No. 690) from creation to the final decision in a real browser
against `qaldyq demo` data, each actor in its queue: the producer (English) creates it for the
half-year the demo leaves free, corrects Appendix 1 (Section C comes from the customs data),
uploads the documents (a wrong type refused) and submits; the authorized body (Russian)
registers it, asks the state revenue bodies, takes their answer from the customs data and
forwards everything; the operator (English) checks completeness, reviews and sends the
Appendix 2 report; the authorized body confirms. Every step is dated on the last day of D1 (the
day the application was due), so the deadlines hold whatever the machine's date."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.xdist_group("browser")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# the applicant's documents when collection is on site and no national standard applies (a producer and importer)
ITEMS = ("1", "2", "3a", "3b", "3c", "3d", "5a", "5b", "5d", "6a", "6b", "6c")


def free_period(today: date) -> tuple[int, int]:
    """The half-year two before the last ended one: the demo leaves it free (src/qaldyq/ownsystem/demo.py)."""
    y, h = today.year, 1 if today.month <= 6 else 2
    for _ in range(3):
        y, h = (y, 1) if h == 2 else (y - 1, 2)
    return y, h


def logout(page):
    page.context.clear_cookies()


def open_as(page, username: str, lang: str, number: str) -> None:
    """Log in as one party and open the application from its queue."""
    login(page, username, lang=lang)
    page.goto(f"/ownsystem?lang={lang}")
    page.click(f"text={number}")
    page.wait_for_load_state("networkidle")


def act(page, event: str, day: str, **fields) -> None:
    page.select_option("#ev", event)
    page.fill("#day", day)
    for selector, value in fields.items():
        if selector == "#conc":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click("#actions form[action$='/act'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert not page.query_selector(".flash-error"), page.inner_text(".flash-error")


def test_own_system_application_from_creation_to_decision(page, live_server):
    year, half = free_period(date.today())
    due = httpx.get(f"{live_server}/api/v1/epr/own-system/deadlines", params={"year": year, "half": half}).json()["application_due"]

    # the producer: its queue, a new application filled from Qaldyq's data
    login(page, "demo.producer", lang="en")
    page.goto("/ownsystem?lang=en")
    assert "Own-system EPR · Applicant" in page.inner_text("h1")
    assert "Missing documents supplied" in page.inner_text("main")  # the demo's application waiting for it
    page.click("text=New application")
    page.select_option("#period", f"{year}-{half}")
    page.select_option("#applicant_kind", "both")
    page.check("input[name=collection_on_site]")
    page.uncheck("input[name=standards_apply]")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(r"/ownsystem/applications/\d+/edit", page.url), page.inner_text("main")[:2000]
    number = re.search(r"OS-\d{4}-\d{6}", page.inner_text("h1")).group(0)
    assert "used in Section C" in page.inner_text("main")
    imported = page.input_value("#c-0-imported_t")
    assert float(imported) > 0 and page.input_value("select[name='c-0-product_group']") == "packaging"

    # Appendix 1 corrected: a negative mass is refused first
    page.fill("#a-0-waste_name", "Отходы ПЭТ-бутылок")
    page.fill("#a-0-opening_t", "10")
    page.fill("#a-0-collected_t", "-140")
    page.fill("#a-0-closing_t", "8")
    page.fill("#b-0-waste_name", "Отходы ПЭТ-бутылок")
    page.fill("#b-0-recycled_t", "142")
    page.fill("#b-0-product_name", "ПЭТ-флекс")
    page.fill("#b-0-product_t", "125")
    page.fill("#b-0-sold_rk_t", "100")
    page.fill("#b-0-export_t", "20")
    page.fill("#c-1-product_name", "Бутылки ПЭТ для напитков")
    page.select_option("select[name='c-1-product_group']", "packaging")
    page.fill("#c-1-produced_t", "120")
    page.fill("#placed_t", "130")
    page.click("#appendix1 button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Section A, row 1, Collected in the half-year, t: Must be at least 0." in page.inner_text(".flash-error")
    page.fill("#a-0-collected_t", "140")
    page.click("#appendix1 button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Appendix 1 is saved." in page.inner_text(".flash")
    page.click("text=Documents and submission")
    page.wait_for_load_state("networkidle")

    # documents: a text file is refused by its content, then every required document uploaded
    page.click("#item-1 summary")
    page.set_input_files("#file-1", files=[{"name": "regulation.pdf", "mimeType": "application/pdf", "buffer": b"just some text"}])
    page.click("form.upload[data-item='1'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Only PDF, PNG, JPEG and office (XLSX, DOCX) files are accepted." in page.inner_text(".flash-error")
    for code in ITEMS:
        page.click(f"#item-{code} summary")
        page.set_input_files(f"#file-{code}", files=[{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        if code == "3d":
            page.fill("#u-3d-mass_t", "140")
            page.select_option("#u-3d-signatory", "first_head")
        page.click(f"form.upload[data-item='{code}'] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "The document is attached." in page.inner_text(".flash"), page.inner_text("main")[:1500]
    for code in ITEMS:
        assert "Present" in page.inner_text(f"#item-{code}")
    act(page, "submit", due)
    assert page.inner_text("#status") == "Submitted"
    logout(page)

    # the authorized body, in Russian: registration, the state revenue bodies, forwarding
    open_as(page, "demo.authority", "ru", number)
    act(page, "register", due, **{"#inc": f"ЖТ-04-{number[-6:]}-E2E"})
    assert page.inner_text("#status") == "Зарегистрировано"
    act(page, "request_srb", due)
    page.fill("#srb-day", due)
    page.click("button[name=source][value=feed]")
    page.wait_for_load_state("networkidle")
    assert "Ответ органов государственных доходов записан." in page.inner_text(".flash")
    act(page, "forward_srb", due)
    act(page, "forward", due)
    assert page.inner_text("#status") == "Проверка полноты"
    logout(page)

    # the operator: completeness, the review, the Appendix 2 report
    open_as(page, "demo.operator", "en", number)
    review = page.inner_text("#review")
    assert "Imports of Section C agree with the state revenue (customs) data" in review
    act(page, "complete", due)
    assert page.inner_text("#status") == "Under review"
    act(page, "send_report", due, **{"#conc": "conforms"})
    assert page.inner_text("#status") == "Operator's report sent"
    app_id = re.search(r"/ownsystem/applications/(\d+)", page.url).group(1)
    pdf = page.request.get(f"/api/v1/ownsystem/applications/{app_id}/report.pdf?lang=kk")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    logout(page)

    # the authorized body decides
    open_as(page, "demo.authority", "ru", number)
    act(page, "confirm", due)
    assert page.inner_text("#status") == "Исполнение подтверждено"
    logout(page)

    # the applicant sees the decision and the whole history
    open_as(page, "demo.producer", "en", number)
    assert page.inner_text("#status") == "Fulfilment confirmed"
    history = page.inner_text("main")
    for label in ("Application submitted", "Registered with an incoming number", "Answer of the state revenue bodies",
                  "Documents complete and legible", "Appendix 2 report sent to the authorized body", "Fulfilment of EPR confirmed"):
        assert label in history
