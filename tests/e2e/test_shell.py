"""The web shell in a real browser, in the three languages."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("browser")

EXPECTED = {
    "kk": ("Кіру", "Қалдықтарды есепке алу мен мониторингтің бірыңғай ақпараттық жүйесі"),
    "ru": ("Войти", "Единая информационная система учёта и мониторинга отходов"),
    "en": ("Log in", "Unified information system for accounting and monitoring of waste"),
}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_login_page_speaks_each_language(page, lang):
    page.goto(f"/login?lang={lang}")
    button, subtitle = EXPECTED[lang]
    assert page.inner_text("button[type=submit]").strip() == button
    assert subtitle in page.inner_text(".brand-text")
    assert page.get_attribute("html", "lang") == lang
    # the language choice sticks (cookie) when the next page has no ?lang=
    page.goto("/login")
    assert page.get_attribute("html", "lang") == lang


def test_wrong_password_is_shown_on_the_form(page):
    page.goto("/login?lang=ru")
    page.fill("#username", "nobody")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert "Неверное имя пользователя или пароль." in page.inner_text("[role=alert]")


def test_health_page(page):
    page.goto("/health?lang=en")
    assert "sqlite" in page.inner_text("main")
    assert "up to date" in page.inner_text("main")
