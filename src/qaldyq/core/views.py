from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from qaldyq import __version__
from qaldyq.core import service
from qaldyq.core.audit import Actor, set_actor
from qaldyq.core.auth import SESSION_COOKIE, Principal, checked_principal, current_principal, get_db
from qaldyq.core.errors import Problem
from qaldyq.core.i18n import Translator
from qaldyq.core.migrate import current_revisions, is_current
from qaldyq.core.security import sha256_hex
from qaldyq.web import NavItem, render

router = APIRouter(include_in_schema=False)

NAV = [NavItem("Home", "/", None, order=0)]


def _safe_next(value: str | None) -> str:
    # Only same-site paths: an open redirect after login would help phishing.
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.get("/")
def home(request: Request, principal: Principal | None = Depends(checked_principal)):
    if principal is None:
        return render(request, "core/landing.html")
    return render(request, "core/home.html")


@router.get("/login")
def login_page(request: Request, next: str | None = None):
    return render(request, "core/login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=200), next: str = Form(default="/"),
          db: Session = Depends(get_db)):
    settings = request.app.state.settings
    client = request.client.host if request.client else "?"
    try:
        user = service.authenticate(db, username, password, client, settings.login_rate_per_minute)
    except Problem as exc:
        db.commit()
        _ = Translator(request.state.locale)
        return render(request, "core/login.html", {"error": _(exc.detail or exc.title), "next": _safe_next(next), "username": username}, status_code=exc.status)
    set_actor(db, Actor(user.id, user.organization_id, f"{user.username} (login)"))
    sid, _ws = service.start_session(db, user, settings.session_hours)
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=settings.secure_cookies, max_age=settings.session_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)):
    if sid := request.cookies.get(SESSION_COOKIE):
        service.end_session(db, sha256_hex(sid))
        db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/health")
def health_page(request: Request, principal: Principal | None = Depends(checked_principal)):
    db = request.app.state.db
    revisions = current_revisions(db.engine)
    return render(request, "core/health.html", {"database": db.kind, "revisions": revisions, "current": is_current(db.engine, db.url), "version": __version__})
