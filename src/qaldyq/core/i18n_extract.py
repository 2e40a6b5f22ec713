"""Find every user-facing English message of a domain, so that `qaldyq i18n update` can add the
missing ones to its kk.po and ru.po and a test can fail on any message left untranslated.

Python: string literals passed to the calls below (by position or keyword). Templates (the
domain's folder under web/templates, base.html for core): `_("...")` calls.
"""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

# call name -> positions (0-based) of message arguments, and keyword names that carry messages
CALLS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "_": ((0,), ()),
    "N_": ((0,), ()),
    "translate": ((1,), ()),
    "invalid": ((1,), ("msgid",)),
    "invalid_param": ((1,), ("msgid",)),
    "conflict": ((1,), ("msgid",)),
    "not_found": ((0,), ("msgid",)),
    "forbidden": ((0,), ("msgid",)),
    "field_error": ((0,), ("msgid",)),
    "FieldError": ((0,), ("msgid",)),
    "Problem": ((2, 3), ("title", "detail")),
    "NavItem": ((0,), ("label",)),
}
TEMPLATE_CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
WEB = Path(__file__).resolve().parent.parent / "web" / "templates"


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def python_messages(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and (name := _name(node.func)) in CALLS:
            positions, keywords = CALLS[name]
            args = [node.args[i] for i in positions if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in keywords]
            found.update(a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.strip())
    return found


def template_messages(text: str) -> set[str]:
    out = set()
    for m in TEMPLATE_CALL.finditer(text):
        raw = m.group(1) if m.group(1) is not None else m.group(2)
        out.add(raw.replace('\\"', '"').replace("\\'", "'"))
    return out


def domain_messages(domain: str) -> set[str]:
    pkg = Path(str(resources.files(f"qaldyq.{domain}")))
    found: set[str] = set()
    for path in pkg.rglob("*.py"):
        found |= python_messages(path.read_text(encoding="utf-8"))
    tdirs = [WEB / domain]
    if domain == "core":
        found |= template_messages((WEB / "base.html").read_text(encoding="utf-8"))
    for tdir in tdirs:
        for path in tdir.rglob("*.html") if tdir.is_dir() else ():
            found |= template_messages(path.read_text(encoding="utf-8"))
    return found


def po_path(domain: str, locale: str) -> Path:
    return Path(str(resources.files(f"qaldyq.{domain}"))) / "locales" / f"{locale}.po"


def update_catalog(domain: str, locale: str) -> list[str]:
    """Add missing messages (empty translation) to the domain's catalog; drop obsolete ones.
    Returns the messages still untranslated."""
    path = po_path(domain, locale)
    wanted = domain_messages(domain)
    old = {}
    if path.exists():
        with path.open("rb") as fh:
            old = {m.id: m.string for m in read_po(fh, locale=locale) if m.id}
    cat = Catalog(locale=locale, project="qaldyq", domain=domain)
    for msgid in sorted(wanted):
        cat.add(msgid, old.get(msgid, ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, cat, width=0, omit_header=False, sort_output=True)
    return sorted(m for m in wanted if not old.get(m))


def fill_catalog(domain: str, locale: str, translations: dict[str, str]) -> int:
    """Set translations (msgid -> text) in a domain's catalog; returns how many were set."""
    path = po_path(domain, locale)
    with path.open("rb") as fh:
        cat = read_po(fh, locale=locale)
    n = 0
    for msgid, text in translations.items():
        if msgid in cat and text:
            cat[msgid].string = text
            n += 1
    with path.open("wb") as fh:
        write_po(fh, cat, width=0, sort_output=True)
    return n
