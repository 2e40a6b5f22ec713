"""Declaration to certificate through the operator, in a real browser: a producer's employee
declares polymer packaging (Kazakh), the operator accepts it, which issues the invoice, and
records the utilization payment (Russian); the invoice is paid, the certificate is issued, the
producer opens it and its PDF (Kazakh), and anyone can check it on the public page (English)."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.xdist_group("browser")


def logout(page):
    page.context.clear_cookies()


def card(page, index: int) -> str:
    return page.locator("main .cards .card").nth(index).inner_text()


def test_declaration_to_certificate(page):
    # the producer's employee declares 1,500 kg of polymer packaging for the third quarter of 2024
    login(page, "demo.producer.user", lang="kk")
    page.goto("/epr?lang=kk")
    page.fill("#period_from", "2024-07-01")
    page.fill("#period_to", "2024-09-30")
    page.select_option("#kind", "packaging")
    page.select_option("#material", "packaging-polymer")
    page.fill("#mass_kg", "1500")
    page.click("main form[action='/epr/declare'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(r"/epr/declarations/\d+$", page.url), page.url + "\n" + page.inner_text("main")[:1500]
    declaration_url = urlparse(page.url).path
    number = re.search(r"EPR-DEC-\d{4}-\d{6}", page.inner_text("h1")).group(0)
    assert "жіберілді" in card(page, 3)  # submitted
    assert "Дала Сусындары" in card(page, 0)
    bin_ = re.search(r"\d{12}", card(page, 0)).group(0)
    total = Decimal(card(page, 2).split("\n")[-1].strip())
    assert total > 0
    assert "packaging-polymer" in page.inner_text("main table.data")
    assert page.locator("text=Қабылдау және шот беру").count() == 0  # a producer cannot accept its own declaration
    logout(page)

    # the operator accepts it (the invoice is issued) and records the payment from the bank
    login(page, "demo.operator", lang="ru")
    page.goto(f"{declaration_url}?lang=ru")
    assert number in page.inner_text("h1")
    page.click("main button[type=submit][value=accept]")
    page.wait_for_load_state("networkidle")
    assert "принята" in card(page, 3)  # accepted
    invoice = re.search(r"EPR-INV-\d{4}-\d{6}", page.inner_text("main")).group(0)
    assert "Выдаётся после полной оплаты счёта." in page.inner_text("main")  # no certificate before the payment

    page.goto("/epr/operator?lang=ru")
    page.fill("#bank_reference", f"E2E-{uuid.uuid4().hex[:10]}")
    page.fill("#paid_on", date.today().isoformat())
    page.fill("#amount_kzt", str(total))
    page.fill("#payer_bin", bin_)
    page.fill("#invoice_number", invoice)
    page.click("main form:has(#bank_reference) button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Платёж сопоставлен со счётом." in page.inner_text("main .flash")  # the payment is matched

    page.goto(f"{declaration_url}?lang=ru")
    assert "оплачен" in page.inner_text("main .card .badge")  # the invoice is paid
    links = page.locator("main a[href^='/epr/verify/']")
    assert links.count() >= 1
    certificate = links.first.inner_text().strip()
    logout(page)

    # the producer opens the certificate and its PDF
    login(page, "demo.producer.user", lang="kk")
    page.goto(f"{declaration_url}?lang=kk")
    page.click(f"main a[href='/epr/verify/{certificate}']")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("h1") == f"Кәдеге жарату төлемін енгізу туралы сертификат {certificate}"
    main = page.inner_text("main")
    assert "жарамды" in main  # valid
    assert f"«Дала Сусындары» (BIN {bin_})" in main
    assert "packaging-polymer: 1500.000 kg" in main
    assert "2024-07-01 — 2024-09-30" in main
    assert str(total) in main
    pdf = page.request.get(f"/api/v1/epr/certificates/{certificate}/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF")
    logout(page)

    # the public verification page needs no login
    page.goto(f"/epr/verify/{certificate}?lang=en")
    assert "valid" in page.inner_text("main .badge")
    assert str(total) in page.inner_text("main")
