"""A recycler's monthly claim from the ledger to payment in a real browser: the recycler (English)
picks a month with unclaimed ledger receipts, builds the claim from them and submits it; the
operator (Russian) approves it, puts it in a payment registry, exports it for the bank and marks
the registry paid."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.xdist_group("browser")


def number(text: str) -> Decimal:
    return Decimal(text.replace("\u00a0", "").replace(" ", "").replace(",", ""))


def card(page, label: str) -> str:
    return page.locator(".card.stat", has_text=label).locator(".value").inner_text()


def test_recycler_claim_from_ledger_to_payment(page):
    login(page, "demo.recycler", lang="en")
    page.goto("/payouts?lang=en")
    months = page.locator(".card", has=page.locator("h2", has_text="Ledger months not yet claimed"))
    row = months.locator("tbody tr", has_text="Collection").first
    period = row.locator("td").nth(0).inner_text()
    hint_kg = number(row.locator("td.num").nth(1).inner_text()) * 1000
    assert hint_kg > 0
    row.get_by_role("link", name="Prepare the claim").click()
    page.wait_for_load_state("networkidle")
    assert page.input_value("#c-op") == "collection" and page.input_value("#c-from").endswith("-01")
    page.click("#claim-form button[type=submit]")
    page.wait_for_url(re.compile(r"/payouts/claims/\d+$"))
    claim_url = page.url.split("?")[0]
    claim_no = re.search(r"PC-\d{4}-\d{6}", page.inner_text("h1")).group(0)
    assert "Draft" in page.inner_text("h1")
    assert card(page, "Period").replace("\n", "") == period

    # every line is a ledger transaction of the month, and the claim adds them up
    lines = page.locator("main table.data tbody tr")
    assert lines.count() >= 1
    masses = [number(lines.nth(i).locator("td.num").nth(0).inner_text()) for i in range(lines.count())]
    amounts = [number(lines.nth(i).locator("td.num").nth(2).inner_text()) for i in range(lines.count())]
    assert all(lines.nth(i).locator("a[href^='/ledger/transactions/']").count() == 1 for i in range(lines.count()))
    assert sum(masses) * 1000 == hint_kg == number(card(page, "Mass, t")) * 1000
    total = number(card(page, "Amount, KZT"))
    assert total == sum(amounts) and total > 0

    page.click("main button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert "Submitted" in page.inner_text("h1")
    page.goto("/payouts?lang=en")  # the month is no longer offered
    assert months.locator("tbody tr", has_text="Collection").filter(has_text=period).count() == 0
    page.context.clear_cookies()

    login(page, "demo.operator", lang="ru")
    page.goto(f"{claim_url}?lang=ru")
    assert "Подана" in page.inner_text("h1") and "ЭкоПолимер" in page.inner_text("main")
    page.click("main button[value=approve]")
    page.wait_for_load_state("networkidle")
    assert "Утверждена" in page.inner_text("h1")
    page.click("main button[value=registry]")
    page.wait_for_load_state("networkidle")
    registry = page.locator(".card", has=page.locator("h2", has_text="PR-"))
    assert number(re.search(r"[\d\s\u00a0]+\.\d\d", registry.inner_text()).group(0)) == total
    csv = page.request.get(registry.locator("a", has_text="CSV").get_attribute("href"))
    assert csv.status == 200 and claim_no in csv.text() and str(total) in csv.text()
    page.click("main button[value=pay]")
    page.wait_for_load_state("networkidle")
    assert "Оплачено" in page.inner_text("h1")
    assert "Оплачено" in registry.inner_text()
    assert page.locator("main button[value=pay]").count() == 0  # paid once
