"""A transfer document from draft to accepted in a real browser, each party in another language:
the generator (Kazakh) drafts and signs, the collector (Russian) takes it over, the recycler
(English) weighs and accepts; then the public verification page."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.xdist_group("browser")


def pick(page, select: str, text: str) -> None:
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    page.select_option(select, value)


def logout(page):
    page.context.clear_cookies()


def test_transfer_from_draft_to_accepted(page):
    login(page, "demo.generator.user", lang="kk")
    page.goto("/transfers/new?lang=kk")
    assert page.inner_text("h1") == "Жаңа беру құжаты"
    pick(page, "#receiver_site_id", "Завод по переработке пластика")
    pick(page, "#carrier_org_id", "Таза Астана Сервис")
    page.fill("#waste_code", "15 01 02")
    page.fill("#description", "ПЭТ-бутылка, престелген")
    page.fill("#declared_mass_kg", "1800")
    page.select_option("#planned_operation", "R3")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    number = re.search(r"TD-\d{4}-\d{6}", page.inner_text("h1")).group(0)
    assert "Жоба" in page.inner_text("h1")
    page.click("text=Жөнелтуші ретінде қол қою")
    page.wait_for_load_state("networkidle")
    assert "Жөнелтуші қол қойды" in page.inner_text("h1")
    logout(page)

    login(page, "demo.collector.user", lang="ru")
    page.goto(f"/transfers/{number}?lang=ru")
    page.click("text=Указать транспорт")
    page.wait_for_load_state("networkidle")
    page.click("text=Принять к перевозке")
    page.wait_for_load_state("networkidle")
    assert "В пути" in page.inner_text("h1")
    logout(page)

    login(page, "demo.recycler.user", lang="en")
    page.goto(f"/transfers/{number}?lang=en")
    page.fill("#gross_kg", "13820")
    page.fill("#tare_kg", "12000")
    page.click("text=Record the weighing")
    page.wait_for_load_state("networkidle")
    page.click("button:text-is('Sign the receipt')")
    page.wait_for_load_state("networkidle")
    assert "Received" in page.inner_text("h1")
    page.click("button:text-is('Save')")
    page.wait_for_load_state("networkidle")
    page.click("button:text-is('Accept or refuse')")
    page.wait_for_load_state("networkidle")
    assert "Accepted" in page.inner_text("h1")

    page.goto(f"/transfers/{number}/verify?lang=en")
    assert "Intact: every signature verifies" in page.inner_text("main")
    assert page.locator("td .badge.ok").count() == 4
