"""Kazakh, Russian and English. English text is the message id; each domain keeps its Kazakh and
Russian translations in `qaldyq/<domain>/locales/{kk,ru}.po`, read with Babel at start-up (no
compile step). A missing translation falls back to English, and a test fails on any such gap."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from babel.messages.pofile import read_po

from qaldyq.domains import DOMAINS

LOCALES = ("kk", "ru", "en")
LOCALE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


@lru_cache
def catalogs() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {loc: {} for loc in LOCALES}
    for domain in DOMAINS:
        try:
            folder = resources.files(f"qaldyq.{domain}") / "locales"
        except ModuleNotFoundError:
            continue
        for loc in ("kk", "ru"):
            po = folder / f"{loc}.po"
            if not po.is_file():
                continue
            with po.open("rb") as fh:
                for msg in read_po(fh, locale=loc):
                    # The first domain to translate a message wins (core first), so a message
                    # reads the same everywhere.
                    if msg.id and msg.string and not msg.fuzzy:
                        table[loc].setdefault(msg.id, msg.string)
    return table


def translate(locale: str, msgid: str, **params) -> str:
    text = catalogs().get(locale, {}).get(msgid, msgid) if locale != "en" else msgid
    return text.format(**params) if params else text


def negotiate(accept_language: str | None, default: str) -> str:
    """Pick kk, ru or en from an Accept-Language header by its q-values."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        piece = part.strip().split(";")
        tag = piece[0].strip().lower().split("-")[0]
        q = 1.0
        for p in piece[1:]:
            p = p.strip()
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if tag in LOCALES and q > 0:
            ranked.append((-q, i, tag))
    return sorted(ranked)[0][2] if ranked else default


def N_(msgid: str) -> str:
    """Marks a message defined as data (labels in tables) for extraction; translated where shown."""
    return msgid


class Translator:
    """Bound to one locale; `_` in templates and services."""

    def __init__(self, locale: str):
        self.locale = locale if locale in LOCALES else "en"

    def __call__(self, msgid: str, **params) -> str:
        return translate(self.locale, msgid, **params)
