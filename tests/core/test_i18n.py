"""Every user-facing message has a Kazakh and a Russian translation, and placeholders survive."""

from __future__ import annotations

import re

import pytest

from qaldyq.core.i18n import catalogs, negotiate, translate
from qaldyq.core.i18n_extract import domain_messages
from qaldyq.domains import DOMAINS, domain_module

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
PRESENT = [d for d in DOMAINS if any(domain_module(d, m) for m in ("models", "api", "service", "views"))]


@pytest.mark.parametrize("domain", PRESENT)
@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_every_message_is_translated(domain, locale):
    table = catalogs()[locale]
    messages = domain_messages(domain)
    missing = sorted(m for m in messages if m not in table)
    assert not missing, f"{domain}/{locale}.po lacks: {missing[:20]} (run `qaldyq i18n update {domain}`)"
    for m in messages:
        assert sorted(PLACEHOLDER.findall(m)) == sorted(PLACEHOLDER.findall(table[m])), f"placeholders differ in {locale}: {m!r}"


def test_negotiation_follows_q_values():
    assert negotiate("en-US,en;q=0.9,ru;q=0.8", "kk") == "en"
    assert negotiate("ru;q=0.5, kk;q=0.9", "en") == "kk"
    assert negotiate("de-DE", "kk") == "kk"
    assert negotiate(None, "ru") == "ru"


def test_translate_fills_placeholders():
    assert translate("ru", "Unknown role {role}.", role="x") == "Неизвестная роль x."
    assert translate("en", "Unknown role {role}.", role="x") == "Unknown role x."
