"""Server-rendered UI: Jinja2 templates, static files, and the page context every view gets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from qaldyq.core.i18n import LOCALE_NAMES, Translator

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["LOCALE_NAMES"] = LOCALE_NAMES


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation, shown to users holding `permission` (None: everyone
    logged in; "public": also anonymous visitors)."""

    label: str
    url: str
    permission: str | None = None
    order: int = 50


def nav_items() -> list[NavItem]:
    from qaldyq.domains import modules

    items = [item for mod in modules("views") for item in getattr(mod, "NAV", ())]
    return sorted(items, key=lambda i: i.order)


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200, headers: dict | None = None):
    locale = getattr(request.state, "locale", "kk")
    principal = getattr(request.state, "principal", None)
    nav = [
        i for i in nav_items()
        if i.permission == "public" or (principal is not None and (i.permission is None or principal.can(i.permission)))
    ]
    ctx = {
        "_": Translator(locale),
        "locale": locale,
        "principal": principal,
        "nav": nav,
        "csrf_token": principal.csrf_token if principal is not None else "",
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
